#ifndef TANDEM_COMMON_AUDIT_AUDIT_MIGRATIONS_H_
#define TANDEM_COMMON_AUDIT_AUDIT_MIGRATIONS_H_

#include "common/db/migration.h"

namespace tandem::migrations {

// The audit_log schema (common/audit/migrations), embedded at build time. Every service that audits applies
// it to its own database next to its own migrations:
//   db::ApplyMigrations(db, migrations::audit(), {.runtime_role = ...});
// Its PostgreSQL migration declares audit_log append-only, so the runtime role gets only SELECT and INSERT.
const db::MigrationSet& audit();

}  // namespace tandem::migrations

#endif  // TANDEM_COMMON_AUDIT_AUDIT_MIGRATIONS_H_
