#include "tools/tandemctl/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/crypto/aes_gcm.h"
#include "common/status/status_macros.h"

namespace tandem::tandemctl {
namespace {

namespace fs = std::filesystem;

// A step that keeps meeting a lock held longer than the busy timeout fails instead of waiting forever.
constexpr int kMaxBusySteps = 3;
// Rollback-journal mode only: how many times over the copy may restart before the rest goes in one step.
constexpr int kStepBudgetFactor = 4;

struct CloseSqlite {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqlitePtr = std::unique_ptr<sqlite3, CloseSqlite>;

absl::Status Failed(absl::string_view what, const std::string& path, int error) {
  return absl::FailedPreconditionError(absl::StrCat("cannot ", what, " ", path, ": ", strerror(error)));
}

absl::Status SqliteFailed(sqlite3* db, absl::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, " ", path, ": ", db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

absl::StatusOr<SqlitePtr> Open(const std::string& path, int flags, absl::Duration busy_timeout) {
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  SqlitePtr db(handle);
  if (rc != SQLITE_OK) return SqliteFailed(handle, "open", path);
  sqlite3_busy_timeout(handle, static_cast<int>(absl::ToInt64Milliseconds(busy_timeout)));
  return db;
}

absl::Status Exec(sqlite3* db, const char* sql, const std::string& path) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return SqliteFailed(db, "read", path);
  return absl::OkStatus();
}

// The first column of every row `sql` returns, joined by newlines.
absl::StatusOr<std::string> QueryText(sqlite3* db, const char* sql, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) return SqliteFailed(db, "read", path);
  std::string text;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* value = sqlite3_column_text(stmt, 0);
    if (!text.empty()) text += "\n";
    text += value != nullptr ? reinterpret_cast<const char*>(value) : "";
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return SqliteFailed(db, "read", path);
  return text;
}

absl::Status SyncPath(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Failed("open", path, errno);
  int synced = fsync(fd);
  int error = errno;
  close(fd);
  if (synced != 0) return Failed("sync", path, error);
  return absl::OkStatus();
}

// An empty file only this user can read, made here and nowhere else (never through a planted symlink), for
// SQLite to fill: SQLite keeps a database file's mode, so the copy is 0600 from its first byte.
absl::Status CreatePrivateFile(const std::string& path) {
  int fd = open(path.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("create", path, errno);
  // fchmod: exactly 0600 whatever the umask.
  absl::Status status = fchmod(fd, 0600) == 0 ? absl::OkStatus() : Failed("set the mode of", path, errno);
  close(fd);
  return status;
}

// Copies every page of `source` into the empty database `copy_path`.
absl::Status CopyPages(sqlite3* source, const std::string& source_path, const std::string& copy_path,
                       bool wal, const BackupOptions& options) {
  constexpr int kCopyFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
  ASSIGN_OR_RETURN(SqlitePtr copy, Open(copy_path, kCopyFlags, options.busy_timeout));
  sqlite3_backup* backup = sqlite3_backup_init(copy.get(), "main", source, "main");
  if (backup == nullptr) return SqliteFailed(copy.get(), "start a backup into", copy_path);
  int rc = SQLITE_OK;
  int steps = 0;
  int busy_steps = 0;
  while (true) {
    int pages = options.pages_per_step;
    // Without WAL every write between steps restarts the copy; past the budget, the rest in one step (it
    // holds the read lock for that step only).
    const int budget = kStepBudgetFactor * (sqlite3_backup_pagecount(backup) / options.pages_per_step + 1);
    if (!wal && steps > budget) pages = -1;
    rc = sqlite3_backup_step(backup, pages);
    ++steps;
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (++busy_steps > kMaxBusySteps) break;
    } else if (rc != SQLITE_OK) {
      break;
    } else {
      busy_steps = 0;
    }
    absl::SleepFor(options.pause);
  }
  int finished = sqlite3_backup_finish(backup);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    return absl::UnavailableError(
        absl::StrCat("cannot back up ", source_path, ": the database stays locked"));
  }
  if (rc != SQLITE_DONE) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot back up ", source_path, ": ", sqlite3_errstr(rc)));
  }
  if (finished != SQLITE_OK) return SqliteFailed(copy.get(), "finish the backup into", copy_path);
  return absl::OkStatus();
}

// Makes the copy one self-contained file and checks it on a fresh connection, from what is on disk.
absl::Status SealAndVerify(const std::string& copy_path, const BackupOptions& options) {
  constexpr int kCopyFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
  {
    ASSIGN_OR_RETURN(SqlitePtr copy, Open(copy_path, kCopyFlags, options.busy_timeout));
    // The pages carry the source's WAL mark; a rollback journal keeps the backup a single file (a service
    // that opens it after a restore turns WAL on again).
    ASSIGN_OR_RETURN(std::string mode, QueryText(copy.get(), "PRAGMA journal_mode=DELETE", copy_path));
    if (mode != "delete") {
      return absl::FailedPreconditionError(absl::StrCat("cannot seal ", copy_path, ": journal mode ", mode));
    }
    ASSIGN_OR_RETURN(std::string check, QueryText(copy.get(), "PRAGMA integrity_check", copy_path));
    if (check != "ok") {
      // The check's report (page numbers, index names) is not repeated: the copy is deleted, and the next
      // step, checking the source itself, is the same whatever it says.
      return absl::DataLossError(
          absl::StrCat("the copy failed PRAGMA integrity_check; the source database may be damaged (run "
                       "PRAGMA integrity_check on it); no backup was written"));
    }
  }
  return SyncPath(copy_path, O_RDONLY);
}

// What SQLite may leave beside the copy under its temporary name.
void RemoveSideFiles(const std::string& copy_path) {
  for (const char* suffix : {"-journal", "-wal", "-shm"}) unlink((copy_path + suffix).c_str());
}

}  // namespace

absl::Status BackupSqlite(const std::string& source, const std::string& destination,
                          const BackupOptions& options) {
  if (source.empty()) return absl::InvalidArgumentError("--db is required");
  if (destination.empty()) return absl::InvalidArgumentError("--out is required");
  if (options.pages_per_step <= 0) return absl::InvalidArgumentError("pages per step must be positive");
  struct stat source_info {};
  if (stat(source.c_str(), &source_info) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no database at ", source));
    return Failed("read", source, errno);
  }
  if (!S_ISREG(source_info.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(source, " is not a file"));
  }
  struct stat destination_info {};
  if (stat(destination.c_str(), &destination_info) == 0 && destination_info.st_dev == source_info.st_dev &&
      destination_info.st_ino == source_info.st_ino) {
    return absl::InvalidArgumentError("--out names the database itself");
  }

  // No CREATE: a mistyped path is an error, never a new empty database. Read-write only so that SQLite may
  // create the WAL index it needs to read a WAL database; no row of the source is written (if this is its
  // last connection, closing it checkpoints the WAL, as any SQLite connection's close does).
  ASSIGN_OR_RETURN(SqlitePtr db, Open(source, SQLITE_OPEN_READWRITE, options.busy_timeout));
  ASSIGN_OR_RETURN(std::string journal_mode, QueryText(db.get(), "PRAGMA journal_mode", source));
  const bool wal = journal_mode == "wal";
  if (wal) {
    // One read transaction for the whole copy pins one snapshot, so writers in other connections never
    // restart the copy, and in WAL mode a reader never blocks a writer.
    RETURN_IF_ERROR(Exec(db.get(), "BEGIN", source));
    RETURN_IF_ERROR(Exec(db.get(), "SELECT count(*) FROM sqlite_master", source));
  }

  ASSIGN_OR_RETURN(std::string nonce, crypto::RandomBytes(8));
  const std::string copy_path = absl::StrCat(destination, ".tmp-", absl::BytesToHexString(nonce));
  RETURN_IF_ERROR(CreatePrivateFile(copy_path));
  absl::Status status = CopyPages(db.get(), source, copy_path, wal, options);
  if (wal) sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr);  // ends the snapshot either way
  db.reset();
  if (status.ok()) status = SealAndVerify(copy_path, options);
  if (status.ok() && rename(copy_path.c_str(), destination.c_str()) != 0) {
    status = Failed("write", destination, errno);
  }
  RemoveSideFiles(copy_path);
  if (!status.ok()) {
    unlink(copy_path.c_str());
    return status;
  }
  const std::string dir = fs::path(destination).parent_path().string();
  return SyncPath(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace tandem::tandemctl
