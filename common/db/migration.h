#ifndef TANDEM_COMMON_DB_MIGRATION_H_
#define TANDEM_COMMON_DB_MIGRATION_H_

#include <string>
#include <vector>

namespace tandem::db {

// One numbered SQL file embedded in the binary (see cmake/TandemEmbed.cmake): NNN_<what>.sql.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// A component's migrations for each dialect, in version order. Generated code initialises it as
// `MigrationSet{"name", {...sqlite...}, {...postgresql...}}`, so any member added here must come last and
// have a default.
//
// A PostgreSQL migration may declare a table append-only with a comment line of its own:
//   -- tandem:append-only audit_log
// Such tables, and those listed in `append_only_tables`, get only SELECT and INSERT for the runtime role.
struct MigrationSet {
  std::string component;
  std::vector<Migration> sqlite;
  std::vector<Migration> postgresql;
  std::vector<std::string> append_only_tables = {};
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_MIGRATION_H_
