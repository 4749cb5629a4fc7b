#ifndef TANDEM_COMMON_DB_MIGRATOR_H_
#define TANDEM_COMMON_DB_MIGRATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/db/database.h"
#include "common/db/migration.h"

namespace tandem::db {

struct MigrationOptions {
  // PostgreSQL only (ignored on SQLite): the least-privilege role the service runs as (`--db_url`), while
  // migrations run as the owner (`--db_migrate_url`). After migrating, the role gets SELECT, INSERT, UPDATE
  // and DELETE on the component's tables (those its migrations create) and USAGE and SELECT on their
  // sequences; append-only tables get only SELECT and INSERT, whatever was granted before. Must not be the
  // migrating role nor a superuser (FAILED_PRECONDITION), since either would make the restriction
  // meaningless.
  std::string runtime_role = {};
};

// Brings the database up to date with `set`, recording each applied migration in the table
// schema_migrations(component, version, name, applied_at), which several components share. Each migration
// runs in its own write transaction together with its schema_migrations row, so it applies completely or not
// at all; a second run applies nothing. Safe when several processes start at once: on SQLite each migration's
// transaction holds the write lock (BEGIN IMMEDIATE) and re-checks schema_migrations inside it; on PostgreSQL
// each transaction first takes a transaction-scoped advisory lock keyed by the component
// (pg_advisory_xact_lock), so runners for one component proceed one at a time and a waiting runner re-checks
// after the lock is granted. A transaction-scoped lock cannot be leaked by a runner that dies or by a pooled
// connection, unlike a session lock. A migration recorded under a different name than the binary's fails with
// FAILED_PRECONDITION (the numbering was changed after release); recorded versions the binary does not know
// (a newer release ran first) are left alone. Migration SQL must not contain BEGIN/COMMIT.
absl::Status ApplyMigrations(Database& db, const MigrationSet& set, const MigrationOptions& options = {});

// Exposed for tests; they do no I/O.

// The advisory lock key for a component's migrations (64-bit FNV-1a of a fixed prefix and the name).
int64_t MigrationLockKey(absl::string_view component);

// The tables created by `migrations` (CREATE [UNLOGGED] TABLE [IF NOT EXISTS] name), in order, without
// duplicates, as written (possibly schema-qualified or quoted). Comments are ignored.
std::vector<std::string> TablesCreatedBy(const std::vector<Migration>& migrations);
// Likewise for CREATE SEQUENCE.
std::vector<std::string> SequencesCreatedBy(const std::vector<Migration>& migrations);
// The tables declared with a `-- tandem:append-only <table>` line.
std::vector<std::string> AppendOnlyTablesDeclaredIn(const std::vector<Migration>& migrations);

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_MIGRATOR_H_
