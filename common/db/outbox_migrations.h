#ifndef TANDEM_COMMON_DB_OUTBOX_MIGRATIONS_H_
#define TANDEM_COMMON_DB_OUTBOX_MIGRATIONS_H_

#include "common/db/migration.h"

namespace tandem::migrations {

// The outbox schema (common/db/outbox_migrations), embedded at build time. Every service that calls another
// one as a consequence of its own writes applies it to its own database next to its own migrations:
//   db::ApplyMigrations(db, migrations::outbox(), {.runtime_role = ...});
const db::MigrationSet& outbox();

}  // namespace tandem::migrations

#endif  // TANDEM_COMMON_DB_OUTBOX_MIGRATIONS_H_
