// `tandemctl backup`: an online copy of a live SQLite database holds every row committed before it began,
// passes the integrity check, never stalls the writer, and, put back in place, is served by the services' own
// opener.
#include "tools/tandemctl/sqlite_backup.h"

#include <dirent.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/db/open_database.h"
#include "gtest/gtest.h"
#include "tests/fixtures/temp_dir.h"

namespace tandem::tandemctl {
namespace {

namespace fs = std::filesystem;

constexpr int kPayloadBytes = 1024;

// A raw connection, so the test controls WAL and checkpoints exactly as a busy service's database has them.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
              SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }

  // The first column of the first row.
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string text;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return text;
  }

  int64_t Int(const std::string& sql) {
    std::string text = Text(sql);
    return text.empty() ? 0 : std::stoll(text);
  }

  void InsertRows(int count, const std::string& phase) {
    Exec("BEGIN");
    for (int i = 0; i < count; ++i) {
      Exec(absl::StrCat("INSERT INTO entries(phase, payload) VALUES ('", phase, "', randomblob(",
                        kPayloadBytes, "))"));
    }
    Exec("COMMIT");
  }

 private:
  sqlite3* db_ = nullptr;
};

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

std::set<std::string> FilesIn(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SqliteBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::MakeTempDir("sqlite-backup");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
    ASSERT_EQ(mkdir((dir_ + "/backups").c_str(), 0700), 0);
    source_ = dir_ + "/data/service.db";
    backup_ = dir_ + "/backups/service.db";
    old_umask_ = umask(0);  // the most permissive umask: the backup's mode must not depend on it
  }
  void TearDown() override {
    umask(old_umask_);
    testing::RemoveTree(dir_);
  }

  static void CreateSchema(Connection& db) {
    db.Exec("CREATE TABLE entries(id INTEGER PRIMARY KEY, phase TEXT NOT NULL, payload BLOB NOT NULL)");
    db.Exec("CREATE INDEX entries_by_phase ON entries(phase, id)");
  }

  std::string dir_;
  std::string source_;
  std::string backup_;
  mode_t old_umask_ = 0;
};

TEST_F(SqliteBackupTest, ACopyTakenWhileAWriterKeepsCommittingHoldsEveryEarlierRowAndPassesTheCheck) {
  Connection setup(source_);
  EXPECT_EQ(setup.Text("PRAGMA journal_mode=WAL"), "wal");
  // No automatic checkpoint: the latest commits stay in the -wal file, as on a busy server between
  // checkpoints, where a plain copy of the database file would miss them.
  setup.Exec("PRAGMA wal_autocheckpoint=0");
  CreateSchema(setup);
  for (int batch = 0; batch < 40; ++batch) setup.InsertRows(100, "before");  // about 4 MiB: many steps

  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{0};
  std::atomic<int64_t> slowest_commit_ms{0};
  std::thread writer([&] {
    Connection db(source_);
    db.Exec("PRAGMA wal_autocheckpoint=0");
    while (!stop.load()) {
      auto start = std::chrono::steady_clock::now();
      db.InsertRows(1, "during");
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      if (ms.count() > slowest_commit_ms.load()) slowest_commit_ms.store(ms.count());
      written.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  while (written.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  // Every row committed up to here must be in the copy.
  const int64_t committed_before = setup.Int("SELECT max(id) FROM entries");
  const int64_t written_at_start = written.load();
  BackupOptions options;
  options.pages_per_step = 8;
  options.pause = absl::Milliseconds(1);
  absl::Status status = BackupSqlite(source_, backup_, options);
  const int64_t written_during = written.load() - written_at_start;
  stop.store(true);
  writer.join();
  ASSERT_TRUE(status.ok()) << status;

  // The writer went on committing while the copy ran, never held up for long.
  EXPECT_GT(written_during, 0);
  EXPECT_LT(slowest_commit_ms.load(), 2000);

  Connection copy(backup_);
  EXPECT_EQ(copy.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(copy.Text("PRAGMA journal_mode"), "delete");  // one self-contained file
  EXPECT_EQ(copy.Int(absl::StrCat("SELECT count(*) FROM entries WHERE id <= ", committed_before)),
            committed_before);
  EXPECT_EQ(copy.Int("SELECT count(*) FROM entries WHERE phase = 'before'"), 4000);
  EXPECT_EQ(copy.Int(absl::StrCat("SELECT count(*) FROM entries WHERE length(payload) <> ", kPayloadBytes)),
            0);
  // A snapshot: nothing beyond what the source holds, and no gap in the ids it holds.
  const int64_t copied = copy.Int("SELECT count(*) FROM entries");
  EXPECT_EQ(copy.Int("SELECT max(id) FROM entries"), copied);
  EXPECT_LE(copied, setup.Int("SELECT count(*) FROM entries"));

  EXPECT_EQ(ModeOf(backup_), 0600u);
  EXPECT_EQ(FilesIn(dir_ + "/backups"), std::set<std::string>{"service.db"});  // no temporary file left
}

TEST_F(SqliteBackupTest, ACopyThatFailsTheIntegrityCheckIsNeverWrittenAndTheLastBackupStays) {
  {
    Connection db(source_);
    CreateSchema(db);
    for (int batch = 0; batch < 5; ++batch) db.InsertRows(100, "before");
  }
  // Garbage over the last page (a b-tree page of the table or its index), past its header: the pages copy
  // as they are, and only the check can tell.
  const auto size = fs::file_size(source_);
  constexpr std::uintmax_t kPage = 4096;
  ASSERT_GT(size, 4 * kPage);
  {
    std::fstream file(source_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size - kPage + 16));
    const std::string garbage(kPage - 16, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  std::ofstream(backup_) << "last night's backup";

  absl::Status status = BackupSqlite(source_, backup_);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_TRUE(Read(backup_) == "last night's backup");  // (not printed: it would be a whole database)
  EXPECT_EQ(FilesIn(dir_ + "/backups"), std::set<std::string>{"service.db"});
}

TEST_F(SqliteBackupTest, TheCopyPutBackInPlaceIsServed) {
  const std::string url = absl::StrCat("sqlite://", source_);
  {
    // The database as a service has it: the services' own opener (WAL), still open during the backup.
    auto db = db::OpenDatabase(url);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->RunInTransaction(db::TxMode::kWrite,
                                       [](db::Transaction& tx) -> absl::Status {
                                         auto created = tx.Execute(
                                             "CREATE TABLE notes(id INTEGER PRIMARY KEY, "
                                             "body TEXT NOT NULL)");
                                         if (!created.ok()) return created.status();
                                         for (int i = 1; i <= 50; ++i) {
                                           auto inserted =
                                               tx.Execute("INSERT INTO notes(id, body) VALUES ($1, $2)",
                                                          {db::Value(int64_t{i}), db::Value("kept")});
                                           if (!inserted.ok()) return inserted.status();
                                         }
                                         return absl::OkStatus();
                                       })
                    .ok());
    ASSERT_TRUE(BackupSqlite(source_, backup_).ok());
    // Written after the backup: a restore goes back to the backup's moment.
    ASSERT_TRUE((*db)
                    ->RunInTransaction(
                        db::TxMode::kWrite,
                        [](db::Transaction& tx) {
                          return tx.Execute("INSERT INTO notes(id, body) VALUES (51, 'later')").status();
                        })
                    .ok());
  }  // the service stops

  // The restore as docs/OPERATIONS.md gives it: the database and its -wal and -shm go, the copy comes in.
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(source_ + suffix);
  fs::copy_file(backup_, source_);
  ASSERT_EQ(chmod(source_.c_str(), 0600), 0);

  auto db = db::OpenDatabase(url);
  ASSERT_TRUE(db.ok()) << db.status();
  int64_t rows = -1;
  std::string last_body;
  ASSERT_TRUE((*db)
                  ->RunInTransaction(db::TxMode::kRead,
                                     [&](db::Transaction& tx) -> absl::Status {
                                       auto count = tx.Execute("SELECT count(*) FROM notes");
                                       if (!count.ok()) return count.status();
                                       rows = *(*count)[0].GetInt64(0);
                                       auto last = tx.Execute("SELECT body FROM notes WHERE id = 50");
                                       if (!last.ok()) return last.status();
                                       if (last->empty()) return absl::NotFoundError("row 50");
                                       last_body = *(*last)[0].GetText(0);
                                       return absl::OkStatus();
                                     })
                  .ok());
  EXPECT_EQ(rows, 50);
  EXPECT_EQ(last_body, "kept");
  // And it takes writes again.
  EXPECT_TRUE(
      (*db)
          ->RunInTransaction(db::TxMode::kWrite,
                             [](db::Transaction& tx) {
                               return tx.Execute("INSERT INTO notes(id, body) VALUES (51, 'again')").status();
                             })
          .ok());
}

TEST_F(SqliteBackupTest, BadArgumentsAreRefusedAndNothingIsCreated) {
  EXPECT_EQ(BackupSqlite(dir_ + "/data/missing.db", backup_).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ + "/data/missing.db"));
  EXPECT_FALSE(fs::exists(backup_));
  {
    Connection db(source_);
    CreateSchema(db);
  }
  EXPECT_EQ(BackupSqlite(source_, source_).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BackupSqlite(source_, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BackupSqlite(source_, dir_ + "/no-such-dir/x.db").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FilesIn(dir_ + "/data"), std::set<std::string>{"service.db"});
}

}  // namespace
}  // namespace tandem::tandemctl
