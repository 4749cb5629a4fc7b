#include "common/db/migrator.h"

#include <algorithm>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/db/advisory_lock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"

namespace tandem::db {
namespace {

constexpr absl::string_view kAppendOnlyMarker = "tandem:append-only";

// Removes -- and /* */ comments (good enough for schema files, whose string literals hold no comment
// markers).
std::string StripComments(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  size_t i = 0;
  while (i < sql.size()) {
    if (sql.substr(i, 2) == "--") {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (sql.substr(i, 2) == "/*") {
      size_t end = sql.find("*/", i + 2);
      i = end == absl::string_view::npos ? sql.size() : end + 2;
      out.push_back(' ');
    } else {
      out.push_back(sql[i++]);
    }
  }
  return out;
}

std::vector<std::string> NamesAfter(const std::vector<Migration>& migrations, const std::regex& pattern) {
  std::vector<std::string> names;
  absl::flat_hash_set<std::string> seen;
  for (const Migration& m : migrations) {
    if (m.sql == nullptr) continue;
    const std::string sql = StripComments(m.sql);
    for (auto it = std::sregex_iterator(sql.begin(), sql.end(), pattern); it != std::sregex_iterator();
         ++it) {
      std::string name = (*it)[1].str();
      if (seen.insert(name).second) names.push_back(std::move(name));
    }
  }
  return names;
}

std::string QuoteIdentifier(absl::string_view name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}

absl::Status ValidateSet(const MigrationSet& set) {
  if (set.component.empty()) return absl::InvalidArgumentError("migration set without a component name");
  for (const auto* list : {&set.sqlite, &set.postgresql}) {
    int previous = 0;
    for (const Migration& m : *list) {
      if (m.version <= previous || m.name == nullptr || m.sql == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "migrations of ", set.component, " must have increasing positive versions, names and SQL"));
      }
      previous = m.version;
    }
  }
  return absl::OkStatus();
}

absl::Status LockForMigration(Transaction& tx, int64_t key) {
  if (tx.dialect() != Dialect::kPostgres) return absl::OkStatus();  // BEGIN IMMEDIATE already serialises.
  return tx.Execute("SELECT pg_advisory_xact_lock($1)", {key}).status();
}

absl::Status CreateMigrationsTable(Database& db) {
  return db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    // Components sharing a database may start together: CREATE TABLE IF NOT EXISTS races on PostgreSQL.
    RETURN_IF_ERROR(LockForMigration(tx, MigrationLockKey("")));
    const char* time_type = db.dialect() == Dialect::kPostgres ? "TIMESTAMPTZ" : "INTEGER";
    return tx.ExecuteScript(
        absl::StrCat("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " component TEXT NOT NULL,"
                     " version INTEGER NOT NULL,"
                     " name TEXT NOT NULL,"
                     " applied_at ",
                     time_type,
                     " NOT NULL,"
                     " PRIMARY KEY (component, version))"));
  });
}

absl::StatusOr<absl::flat_hash_map<int64_t, std::string>> AppliedVersions(Transaction& tx,
                                                                          absl::string_view component) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx.Execute("SELECT version, name FROM schema_migrations WHERE component = $1", {component}));
  absl::flat_hash_map<int64_t, std::string> applied;
  for (const Row& row : rows) {
    ASSIGN_OR_RETURN(int64_t version, row.GetInt64(0));
    ASSIGN_OR_RETURN(std::string name, row.GetText(1));
    applied[version] = std::move(name);
  }
  return applied;
}

absl::Status CheckName(const MigrationSet& set, const Migration& m, absl::string_view recorded) {
  if (recorded == m.name) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("migration ", set.component, "/", m.version,
                                                    " was applied as ", recorded, " but is now ", m.name));
}

absl::Status ApplyOne(Database& db, const MigrationSet& set, const Migration& m) {
  bool applied_here = false;
  absl::Status status = db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(LockForMigration(tx, MigrationLockKey(set.component)));
    // Another runner may have applied it while this one waited for the lock.
    ASSIGN_OR_RETURN(ResultSet existing,
                     tx.Execute("SELECT name FROM schema_migrations WHERE component = $1 AND version = $2",
                                {set.component, m.version}));
    if (!existing.empty()) {
      ASSIGN_OR_RETURN(std::string recorded, existing[0].GetText(0));
      return CheckName(set, m, recorded);
    }
    if (absl::Status script = tx.ExecuteScript(m.sql); !script.ok()) {
      return absl::Status(script.code(),
                          absl::StrCat("migration ", set.component, "/", m.name, ": ", script.message()));
    }
    RETURN_IF_ERROR(tx.Execute("INSERT INTO schema_migrations (component, version, name, applied_at) "
                               "VALUES ($1, $2, $3, $4)",
                               {set.component, m.version, m.name, Clock::Real().Now()})
                        .status());
    applied_here = true;
    return absl::OkStatus();
  });
  if (status.ok() && applied_here) {
    log::Info("db_migration_applied",
              {{"component", set.component}, {"version", m.version}, {"name", m.name}});
  }
  return status;
}

absl::Status GrantRuntimeRole(Database& db, const MigrationSet& set, const std::string& role) {
  std::vector<std::string> tables = TablesCreatedBy(set.postgresql);
  absl::flat_hash_set<std::string> append_only;
  for (const std::string& t : AppendOnlyTablesDeclaredIn(set.postgresql)) append_only.insert(t);
  for (const std::string& t : set.append_only_tables) append_only.insert(t);
  for (const std::string& t : append_only) {
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) tables.push_back(t);
  }
  const std::string grantee = QuoteIdentifier(role);
  return db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    // Concurrent GRANTs on one table fail ("tuple concurrently updated"): hold the component's lock.
    RETURN_IF_ERROR(LockForMigration(tx, MigrationLockKey(set.component)));
    ASSIGN_OR_RETURN(
        ResultSet roles,
        tx.Execute("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = $1", {role}));
    if (roles.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("runtime role ", role, " does not exist"));
    }
    ASSIGN_OR_RETURN(bool superuser, roles[0].GetBool(0));
    ASSIGN_OR_RETURN(bool self, roles[0].GetBool(1));
    if (superuser || self) {
      return absl::FailedPreconditionError(absl::StrCat(
          "runtime role ", role, " must be a non-superuser role other than the one running migrations"));
    }
    for (const std::string& table : tables) {
      ASSIGN_OR_RETURN(ResultSet found, tx.Execute("SELECT to_regclass($1)::text", {table}));
      ASSIGN_OR_RETURN(absl::optional<std::string> quoted, found[0].GetOptionalText(0));
      if (!quoted.has_value()) continue;  // Dropped by a later migration.
      const bool restricted = append_only.contains(table);
      RETURN_IF_ERROR(
          tx.ExecuteScript(absl::StrCat("REVOKE ALL ON TABLE ", *quoted, " FROM ", grantee, "; GRANT ",
                                        restricted ? "SELECT, INSERT" : "SELECT, INSERT, UPDATE, DELETE",
                                        " ON TABLE ", *quoted, " TO ", grantee)));
      // Sequences behind serial and identity columns, which INSERT needs.
      ASSIGN_OR_RETURN(
          ResultSet sequences,
          tx.Execute("SELECT d.objid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                     "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
                     "AND d.refobjid = to_regclass($1) AND s.relkind = 'S'",
                     {table}));
      for (const Row& row : sequences) {
        ASSIGN_OR_RETURN(std::string sequence, row.GetText(0));
        RETURN_IF_ERROR(
            tx.ExecuteScript(absl::StrCat("GRANT USAGE, SELECT ON SEQUENCE ", sequence, " TO ", grantee)));
      }
    }
    for (const std::string& name : SequencesCreatedBy(set.postgresql)) {
      ASSIGN_OR_RETURN(ResultSet found, tx.Execute("SELECT to_regclass($1)::text", {name}));
      ASSIGN_OR_RETURN(absl::optional<std::string> quoted, found[0].GetOptionalText(0));
      if (!quoted.has_value()) continue;
      RETURN_IF_ERROR(
          tx.ExecuteScript(absl::StrCat("GRANT USAGE, SELECT ON SEQUENCE ", *quoted, " TO ", grantee)));
    }
    return absl::OkStatus();
  });
}

}  // namespace

int64_t MigrationLockKey(absl::string_view component) {
  return AdvisoryLockKey(absl::StrCat("tandem.schema_migrations/", component));
}

std::vector<std::string> TablesCreatedBy(const std::vector<Migration>& migrations) {
  static const std::regex kPattern(
      R"(\bCREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)"
      R"(((?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?))",
      std::regex::ECMAScript | std::regex::icase);
  return NamesAfter(migrations, kPattern);
}

std::vector<std::string> SequencesCreatedBy(const std::vector<Migration>& migrations) {
  static const std::regex kPattern(
      R"(\bCREATE\s+(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?SEQUENCE\s+(?:IF\s+NOT\s+EXISTS\s+)?)"
      R"(((?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?))",
      std::regex::ECMAScript | std::regex::icase);
  return NamesAfter(migrations, kPattern);
}

std::vector<std::string> AppendOnlyTablesDeclaredIn(const std::vector<Migration>& migrations) {
  std::vector<std::string> tables;
  for (const Migration& m : migrations) {
    if (m.sql == nullptr) continue;
    for (absl::string_view line : absl::StrSplit(m.sql, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (!absl::ConsumePrefix(&line, "--")) continue;
      line = absl::StripLeadingAsciiWhitespace(line);
      if (!absl::ConsumePrefix(&line, kAppendOnlyMarker)) continue;
      line = absl::StripAsciiWhitespace(line);
      if (!line.empty() && std::find(tables.begin(), tables.end(), line) == tables.end()) {
        tables.emplace_back(line);
      }
    }
  }
  return tables;
}

absl::Status ApplyMigrations(Database& db, const MigrationSet& set, const MigrationOptions& options) {
  RETURN_IF_ERROR(ValidateSet(set));
  const std::vector<Migration>& migrations = db.dialect() == Dialect::kPostgres ? set.postgresql : set.sqlite;
  RETURN_IF_ERROR(CreateMigrationsTable(db));

  // Fast path without locks: what is already applied needs no write transaction.
  absl::flat_hash_map<int64_t, std::string> applied;
  RETURN_IF_ERROR(db.RunInTransaction(TxMode::kRead, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(applied, AppliedVersions(tx, set.component));
    return absl::OkStatus();
  }));
  for (const Migration& m : migrations) {
    auto it = applied.find(m.version);
    if (it != applied.end()) {
      RETURN_IF_ERROR(CheckName(set, m, it->second));
      continue;
    }
    RETURN_IF_ERROR(ApplyOne(db, set, m));
  }

  if (db.dialect() == Dialect::kPostgres && !options.runtime_role.empty()) {
    RETURN_IF_ERROR(GrantRuntimeRole(db, set, options.runtime_role));
  }
  return absl::OkStatus();
}

}  // namespace tandem::db
