#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/postgres_server.h"
#include "tests/fixtures/redis_server.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/test_postgres.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool PidExists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

// Sends one command on a fresh connection; returns the reply as text ("" for nil), or an error status.
absl::StatusOr<std::string> RedisCall(int port, const char* command) {
  struct timeval timeout = {1, 0};
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (ctx == nullptr || ctx->err != 0) {
    if (ctx != nullptr) redisFree(ctx);
    return absl::UnavailableError("connect failed");
  }
  redisSetTimeout(ctx, timeout);
  auto* reply = static_cast<redisReply*>(redisCommand(ctx, command));
  absl::StatusOr<std::string> result = absl::UnavailableError("no reply");
  if (reply != nullptr) {
    if (reply->type == REDIS_REPLY_ERROR) {
      result = absl::InternalError(std::string(reply->str, reply->len));
    } else if (reply->type == REDIS_REPLY_NIL) {
      result = std::string();
    } else if (reply->str != nullptr) {
      result = std::string(reply->str, reply->len);
    } else {
      result = std::to_string(reply->integer);
    }
    freeReplyObject(reply);
  }
  redisFree(ctx);
  return result;
}

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

// Runs a one-value query; returns the value.
absl::StatusOr<std::string> PgQueryValue(const std::string& url, const char* sql) {
  PgConn conn(PQconnectdb(url.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) return absl::UnavailableError(PQerrorMessage(conn.get()));
  PGresult* result = PQexec(conn.get(), sql);
  absl::StatusOr<std::string> value = absl::InternalError(PQerrorMessage(conn.get()));
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) value = PQgetvalue(result, 0, 0);
  PQclear(result);
  return value;
}

TEST(FreePortTest, ReturnsABindablePort) {
  auto port = FreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(*port, 0);
  EXPECT_LT(*port, 65536);
}

TEST(SubprocessTest, ReportsExecFailure) {
  SubprocessOptions options;
  options.argv = {"/nonexistent/program"};
  auto process = Subprocess::Start(options);
  EXPECT_FALSE(process.ok());
}

TEST(SubprocessTest, StopEscalatesToSigkill) {
  SubprocessOptions options;
  // Ignores SIGTERM, so only the SIGKILL escalation can end it.
  options.argv = {"/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"};
  auto process = Subprocess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  pid_t pid = (*process)->pid();
  ASSERT_TRUE((*process)->Running());
  ASSERT_TRUE((*process)->Stop(SIGTERM, absl::Milliseconds(200)).ok());
  EXPECT_FALSE((*process)->Running());
  EXPECT_FALSE(PidExists(pid));
}

TEST(SubprocessTest, Kill9SucceedsOnlyOnALiveChild) {
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "while :; do sleep 1; done"};
  auto live = Subprocess::Start(options);
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_TRUE((*live)->Kill9().ok());
  // A second kill, like a kill of a child that crashed before it, hits nothing: a crash test must not pass.
  EXPECT_EQ((*live)->Kill9().code(), absl::StatusCode::kFailedPrecondition);

  options.argv = {"/bin/sh", "-c", "exit 3"};
  auto exited = Subprocess::Start(options);
  ASSERT_TRUE(exited.ok()) << exited.status();
  ASSERT_TRUE((*exited)->Wait(absl::Seconds(10)).ok());
  absl::Status killed = (*exited)->Kill9();
  EXPECT_EQ(killed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(killed.message().find("exit code 3"), absl::string_view::npos) << killed;
}

TEST(SubprocessTest, ChildStartedFromAnEndedThreadSurvivesIt) {
  // The parent-death signal is tied to the forking thread; the fixture forks from a long-lived one.
  std::unique_ptr<Subprocess> process;
  std::thread starter([&process] {
    SubprocessOptions options;
    options.argv = {"/bin/sh", "-c", "while :; do sleep 1; done"};
    auto started = Subprocess::Start(options);
    if (started.ok()) process = *std::move(started);
  });
  starter.join();
  ASSERT_NE(process, nullptr);
  EXPECT_FALSE(process->Wait(absl::Milliseconds(300)).ok()) << "child died with its starting thread";
  EXPECT_TRUE(process->Stop().ok());
}

TEST(RedisServerTest, StartsAnswersAndStopsLeavingNothingBehind) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->host(), "127.0.0.1");
  EXPECT_EQ(RedisCall((*server)->port(), "PING").value_or("error"), "PONG");
  EXPECT_EQ(RedisCall((*server)->port(), "SET fixture-key v").value_or("error"), "OK");

  pid_t pid = (*server)->pid();
  std::string dir = (*server)->dir();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(PidExists(pid));
  EXPECT_TRUE(std::filesystem::exists(dir));

  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_FALSE(PidExists(pid));
  EXPECT_FALSE(RedisCall((*server)->port(), "PING").ok());
  server->reset();
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(RedisServerTest, Kill9ThenRestartOnTheSamePortComesBackEmpty) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();
  ASSERT_EQ(RedisCall(port, "SET survivor yes").value_or("error"), "OK");
  pid_t first_pid = (*server)->pid();

  ASSERT_TRUE((*server)->Kill9().ok());
  EXPECT_FALSE(PidExists(first_pid));
  EXPECT_FALSE(RedisCall(port, "PING").ok());

  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_EQ((*server)->port(), port);
  EXPECT_NE((*server)->pid(), first_pid);
  EXPECT_EQ(RedisCall(port, "PING").value_or("error"), "PONG");
  EXPECT_EQ(RedisCall(port, "GET survivor").value_or("error"), "");
}

TEST(RedisServerTest, TwoServersGetDistinctPortsAndDirectories) {
  auto a = RedisServer::Start();
  auto b = RedisServer::Start();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->port(), (*b)->port());
  EXPECT_NE((*a)->dir(), (*b)->dir());
}

TEST(PostgresTest, NewTestDatabaseUrlGivesDistinctWorkingDatabases) {
  auto first = NewTestDatabaseUrl();
  auto second = NewTestDatabaseUrl();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*first, *second);
  EXPECT_THAT(*first, ::testing::StartsWith("postgresql://"));

  EXPECT_EQ(PgQueryValue(*first, "SELECT 1").value_or("error"), "1");
  EXPECT_EQ(PgQueryValue(*second, "SELECT 1").value_or("error"), "1");
  auto first_db = PgQueryValue(*first, "SELECT current_database()");
  auto second_db = PgQueryValue(*second, "SELECT current_database()");
  ASSERT_TRUE(first_db.ok() && second_db.ok());
  EXPECT_NE(*first_db, *second_db);
  // Fresh: no user tables.
  EXPECT_EQ(
      PgQueryValue(*first, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").value_or("error"),
      "0");
}

TEST(PostgresTest, NewTestDatabaseUrlIsThreadSafe) {
  constexpr int kThreads = 4;
  std::vector<absl::StatusOr<std::string>> urls(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&urls, i] { urls[i] = NewTestDatabaseUrl(); });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> distinct;
  for (const auto& url : urls) {
    ASSERT_TRUE(url.ok()) << url.status();
    distinct.insert(*url);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads));
}

TEST(PostgresTest, CreateLoginRoleConnectsWithoutSuperuser) {
  auto database = NewTestDatabaseUrl();
  ASSERT_TRUE(database.ok()) << database.status();
  auto role_url = CreateLoginRole(*database, "fixture_runtime");
  ASSERT_TRUE(role_url.ok()) << role_url.status();
  EXPECT_THAT(*role_url, HasSubstr("fixture_runtime@"));
  EXPECT_THAT(*role_url, Not(HasSubstr("postgres@")));

  EXPECT_EQ(PgQueryValue(*role_url, "SELECT current_user").value_or("error"), "fixture_runtime");
  EXPECT_EQ(PgQueryValue(*role_url, "SELECT current_database()").value_or("error"),
            PgQueryValue(*database, "SELECT current_database()").value_or("other"));
  EXPECT_EQ(PgQueryValue(*role_url, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user")
                .value_or("error"),
            "false");
  EXPECT_FALSE(PgQueryValue(*role_url, "CREATE ROLE not_allowed").ok());

  // Creating it again is fine.
  auto again = CreateLoginRole(*database, "fixture_runtime");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *role_url);
}

TEST(PostgresTest, CreateLoginRoleRejectsUnsafeNames) {
  auto database = NewTestDatabaseUrl();
  ASSERT_TRUE(database.ok()) << database.status();
  EXPECT_EQ(CreateLoginRole(*database, "postgres").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateLoginRole(*database, "Robert\"; DROP").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PostgresServerTest, StartsAndStopsLeavingNothingBehind) {
  auto server = PostgresServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  pid_t pid = (*server)->pid();
  std::string dir = (*server)->dir();
  EXPECT_EQ(PgQueryValue((*server)->AdminUrl("postgres"), "SELECT 1").value_or("error"), "1");
  EXPECT_EQ(PgQueryValue((*server)->AdminUrl("postgres"), "SHOW fsync").value_or("error"), "off");
  server->reset();
  EXPECT_FALSE(PidExists(pid));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace tandem::testing
