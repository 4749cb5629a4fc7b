#ifndef TANDEM_COMMON_DB_IDEMPOTENCY_MIGRATIONS_H_
#define TANDEM_COMMON_DB_IDEMPOTENCY_MIGRATIONS_H_

#include "common/db/migration.h"

namespace tandem::migrations {

// The idempotency_keys schema (common/db/migrations), embedded at build time. Every service whose writes take
// an idempotency key applies it to its own database next to its own migrations:
//   db::ApplyMigrations(db, migrations::idempotency(), {.runtime_role = ...});
const db::MigrationSet& idempotency();

}  // namespace tandem::migrations

#endif  // TANDEM_COMMON_DB_IDEMPOTENCY_MIGRATIONS_H_
