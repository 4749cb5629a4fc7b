#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/redis/lua_script.h"
#include "common/redis/redis_errors.h"
#include "common/redis/redis_pool.h"
#include "common/redis/redis_reply.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/redis_server.h"

namespace tandem::redis {
namespace {

using tandem::testing::RedisServer;
using ::testing::HasSubstr;
using ::testing::Not;

// Polls `condition` every few milliseconds for up to `timeout`.
template <typename Condition>
bool Eventually(Condition condition, absl::Duration timeout = absl::Seconds(5)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  RedisPoolOptions Options(int pool_size = 4) const {
    RedisPoolOptions options;
    options.host = server_->host();
    options.port = server_->port();
    options.pool_size = pool_size;
    options.connect_timeout = absl::Milliseconds(500);
    options.command_timeout = absl::Seconds(2);
    options.acquire_timeout = absl::Seconds(2);
    return options;
  }

  // A value of INFO's "<field>:<value>" line, from a separate pool.
  std::string Info(const std::string& field) {
    RedisPool admin(Options(1));
    auto info = admin.Command({"INFO"});
    if (!info.ok()) return "";
    for (absl::string_view line : absl::StrSplit(info->str(), "\r\n")) {
      if (absl::ConsumePrefix(&line, field + ":")) return static_cast<std::string>(line);
    }
    return "";
  }

  std::unique_ptr<RedisServer> server_;
};

TEST_F(RedisClientTest, SetAndGetBinaryValuesWithNulBytes) {
  RedisPool pool(Options());
  const std::string key("bin\0key", 7);
  const std::string value("a\0b\r\n\xff\x00z", 8);
  auto set = pool.Command({"SET", key, value});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(*set, RedisReply::Status("OK"));

  auto get = pool.Command({"GET", key});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_TRUE(get->is_string());
  EXPECT_EQ(get->str(), value);
  EXPECT_EQ(get->str().size(), 8u);

  // The key with its NUL is distinct from its prefix.
  EXPECT_TRUE(pool.Command({"GET", "bin"})->is_nil());
  EXPECT_EQ(pool.Command({"STRLEN", key})->integer(), 8);
}

TEST_F(RedisClientTest, IntegersNilAndArrays) {
  RedisPool pool(Options());
  EXPECT_EQ(pool.Command({"INCRBY", "counter", "41"})->integer(), 41);
  EXPECT_EQ(pool.Command({"INCR", "counter"})->integer(), 42);
  EXPECT_TRUE(pool.Command({"GET", "missing"})->is_nil());
  ASSERT_TRUE(pool.Command({"RPUSH", "list", "x", "y"}).ok());
  EXPECT_EQ(*pool.Command({"LRANGE", "list", "0", "-1"}),
            RedisReply::Array({RedisReply::String("x"), RedisReply::String("y")}));
}

TEST_F(RedisClientTest, ErrorReplyNamesOnlyTheKind) {
  RedisPool pool(Options());
  ASSERT_TRUE(pool.Command({"SET", "client:secret-name", "v"}).ok());

  auto wrong_type = pool.Command({"LPUSH", "client:secret-name", "x"});
  EXPECT_EQ(wrong_type.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorKindOf(wrong_type.status()), "WRONGTYPE");
  EXPECT_THAT(std::string(wrong_type.status().message()), Not(HasSubstr("secret")));

  // Redis quotes the arguments of an unknown command; the status does not.
  auto unknown = pool.Command({"NOSUCHCOMMAND", "secret-argument"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorKindOf(unknown.status()), "ERR");
  EXPECT_THAT(std::string(unknown.status().message()), Not(HasSubstr("secret")));

  // The connection is still good after error replies.
  EXPECT_EQ(pool.Command({"GET", "client:secret-name"})->str(), "v");
  EXPECT_EQ(pool.Command({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RedisClientTest, PipelineReturnsErrorRepliesInPlace) {
  RedisPool pool(Options());
  auto replies = pool.Pipeline({{"SET", "k", "1"},
                                {"INCR", "k"},
                                {"LPUSH", "k", "x"},
                                {"GET", "k"},
                                {"INCR", "notanumber-target"},
                                {"GET", "missing"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 6u);
  EXPECT_EQ((*replies)[0], RedisReply::Status("OK"));
  EXPECT_EQ((*replies)[1], RedisReply::Integer(2));
  EXPECT_TRUE((*replies)[2].is_error());
  EXPECT_EQ((*replies)[2].ErrorKind(), "WRONGTYPE");
  EXPECT_EQ((*replies)[3], RedisReply::String("2"));
  EXPECT_EQ((*replies)[4], RedisReply::Integer(1));
  EXPECT_TRUE((*replies)[5].is_nil());

  // MULTI/EXEC inside a pipeline: queued replies, then the array of results.
  auto transaction = pool.Pipeline({{"MULTI"}, {"INCR", "t"}, {"INCR", "t"}, {"EXEC"}});
  ASSERT_TRUE(transaction.ok()) << transaction.status();
  EXPECT_EQ(transaction->back(), RedisReply::Array({RedisReply::Integer(1), RedisReply::Integer(2)}));

  EXPECT_TRUE(pool.Pipeline({})->empty());
  EXPECT_EQ(pool.Pipeline({{"PING"}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool.Command({"GET", "k"})->str(), "2");
}

TEST_F(RedisClientTest, EvalShaLoadsTheScriptAgainAfterScriptFlush) {
  RedisPool pool(Options());
  static const RedisScript kIncrAndEcho("local n = redis.call('INCR', KEYS[1]) return {n, ARGV[1]}");
  const std::string binary_arg("x\0y", 3);

  // The server has never seen the script: NOSCRIPT, load, retry.
  auto first = pool.EvalSha(kIncrAndEcho, {"script-counter"}, {binary_arg});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, RedisReply::Array({RedisReply::Integer(1), RedisReply::String(binary_arg)}));
  EXPECT_EQ(*pool.Command({"SCRIPT", "EXISTS", kIncrAndEcho.sha1()}),
            RedisReply::Array({RedisReply::Integer(1)}));

  ASSERT_TRUE(pool.Command({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(*pool.Command({"SCRIPT", "EXISTS", kIncrAndEcho.sha1()}),
            RedisReply::Array({RedisReply::Integer(0)}));

  auto second = pool.EvalSha(kIncrAndEcho, {"script-counter"}, {"z"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, RedisReply::Array({RedisReply::Integer(2), RedisReply::String("z")}));
  EXPECT_EQ(*pool.Command({"SCRIPT", "EXISTS", kIncrAndEcho.sha1()}),
            RedisReply::Array({RedisReply::Integer(1)}));
}

TEST_F(RedisClientTest, EvalShaReportsScriptErrorsByKind) {
  RedisPool pool(Options());
  RedisScript raises("return redis.error_reply('RATELIMITED client secret-id over budget')");
  auto raised = pool.EvalSha(raises, {}, {});
  EXPECT_EQ(raised.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorKindOf(raised.status()), "RATELIMITED");
  EXPECT_THAT(std::string(raised.status().message()), Not(HasSubstr("secret")));

  RedisScript broken("this is not lua");
  EXPECT_FALSE(pool.EvalSha(broken, {}, {}).ok());
  EXPECT_EQ(pool.Command({"PING"})->str(), "PONG");
}

TEST_F(RedisClientTest, EightThreadsShareAPoolOfFour) {
  RedisPool pool(Options(/*pool_size=*/4));
  constexpr int kThreads = 8;
  constexpr int kIterations = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, &failures, t] {
      std::string counter = absl::StrCat("counter:", t);
      for (int i = 0; i < kIterations; ++i) {
        std::string key = absl::StrCat("key:", t, ":", i);
        std::string value = absl::StrCat(std::string("v\0", 2), t, "-", i);
        auto set = pool.Command({"SET", key, value});
        auto get = pool.Command({"GET", key});
        auto incr = pool.Command({"INCR", counter});
        if (!set.ok() || !get.ok() || get->str() != value || !incr.ok() || incr->integer() != i + 1) {
          failures.fetch_add(1);
        }
        if (i % 25 == 0) {
          auto piped = pool.Pipeline({{"GET", key}, {"GET", counter}});
          if (!piped.ok() || (*piped)[0].str() != value || (*piped)[1].str() != absl::StrCat(i + 1)) {
            failures.fetch_add(1);
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(pool.Command({"GET", absl::StrCat("counter:", t)})->str(), absl::StrCat(kIterations));
  }
  // Never more connections than the pool size (Info's own connection is the +1).
  int connected = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Info("connected_clients"), &connected));
  EXPECT_LE(connected, 4 + 1);
}

TEST_F(RedisClientTest, Kill9FailsFastThenRecoversOnRestartWithTheSamePool) {
  RedisPool pool(Options());
  ASSERT_TRUE(pool.Command({"SET", "before", "1"}).ok());

  ASSERT_TRUE(server_->Kill9().ok());
  for (int i = 0; i < 5; ++i) {
    absl::Time start = absl::Now();
    auto down = pool.Command({"GET", "before"});
    absl::Duration elapsed = absl::Now() - start;
    EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
    EXPECT_LT(elapsed, absl::Seconds(1));
  }
  EXPECT_EQ(pool.Pipeline({{"PING"}}).status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(server_->Restart().ok());
  auto up = pool.Command({"PING"});
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->str(), "PONG");
  EXPECT_TRUE(pool.Command({"GET", "before"})->is_nil());  // A new, empty server.
}

TEST_F(RedisClientTest, IdleConnectionsToARestartedServerAreReplacedBeforeUse) {
  RedisPool pool(Options(/*pool_size=*/4));
  // Open all four connections.
  std::vector<std::thread> warmers;
  warmers.reserve(4);
  for (int t = 0; t < 4; ++t) {
    warmers.emplace_back([&pool] {
      for (int i = 0; i < 50; ++i) (void)pool.Command({"PING"});
    });
  }
  for (std::thread& thread : warmers) thread.join();

  ASSERT_TRUE(server_->Kill9().ok());
  ASSERT_TRUE(server_->Restart().ok());
  // Every call succeeds: no caller pays for a stale connection.
  for (int i = 0; i < 8; ++i) {
    auto reply = pool.Command({"INCR", "after-restart"});
    ASSERT_TRUE(reply.ok()) << "call " << i << ": " << reply.status();
    EXPECT_EQ(reply->integer(), i + 1);
  }
}

TEST_F(RedisClientTest, ServerClosingMidWriteIsAnErrorNotACrash) {
  RedisPool pool(Options(/*pool_size=*/1));
  // QUIT makes the server close the connection while the large command behind it is still being written.
  const std::string large(8 << 20, 'x');
  for (int i = 0; i < 3; ++i) {
    auto replies = pool.Pipeline({{"QUIT"}, {"SET", "large", large}});
    EXPECT_EQ(replies.status().code(), absl::StatusCode::kUnavailable) << replies.status();
  }
  EXPECT_EQ(pool.Command({"PING"})->str(), "PONG");
}

TEST_F(RedisClientTest, CommandTimeoutFailsWithinBoundsAndThePoolKeepsWorking) {
  RedisPoolOptions options = Options(/*pool_size=*/1);
  options.command_timeout = absl::Milliseconds(100);
  RedisPool pool(options);
  ASSERT_TRUE(pool.Command({"PING"}).ok());

  // BLPOP blocks on the server for 5 s; the client gives up after 100 ms.
  absl::Time start = absl::Now();
  auto blocked = pool.Command({"BLPOP", "never-filled", "5"});
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kDeadlineExceeded) << blocked.status();
  EXPECT_GE(elapsed, absl::Milliseconds(90));
  EXPECT_LT(elapsed, absl::Milliseconds(1500));

  // The timed-out connection was dropped (its late reply must not reach the next caller); with a pool of one,
  // this call proves the slot came back.
  auto after = pool.Command({"SET", "after-timeout", "ok"});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(pool.Command({"GET", "after-timeout"})->str(), "ok");
}

TEST_F(RedisClientTest, ClientPauseTimesOutThenRecovers) {
  RedisPoolOptions options = Options(/*pool_size=*/2);
  options.command_timeout = absl::Milliseconds(100);
  RedisPool pool(options);
  RedisPool admin(Options(1));
  ASSERT_TRUE(admin.Command({"CLIENT", "PAUSE", "400"}).ok());
  absl::Time start = absl::Now();
  auto paused = pool.Command({"SET", "paused", "1"});
  EXPECT_EQ(paused.status().code(), absl::StatusCode::kDeadlineExceeded) << paused.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
  EXPECT_TRUE(Eventually([&pool] { return pool.Command({"PING"}).ok(); }));
}

TEST_F(RedisClientTest, ExhaustedPoolFailsAfterTheAcquireTimeout) {
  RedisPoolOptions options = Options(/*pool_size=*/1);
  options.acquire_timeout = absl::Milliseconds(100);
  options.command_timeout = absl::Seconds(10);
  RedisPool pool(options);

  std::thread holder([&pool] { EXPECT_TRUE(pool.Command({"BLPOP", "release-me", "10"}).ok()); });
  ASSERT_TRUE(Eventually([this] { return Info("blocked_clients") == "1"; }));

  absl::Time start = absl::Now();
  auto exhausted = pool.Command({"PING"});
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(exhausted.status().code(), absl::StatusCode::kResourceExhausted) << exhausted.status();
  EXPECT_GE(elapsed, absl::Milliseconds(95));
  EXPECT_LT(elapsed, absl::Seconds(2));

  RedisPool other(Options(1));
  ASSERT_TRUE(other.Command({"LPUSH", "release-me", "go"}).ok());
  holder.join();
  EXPECT_EQ(pool.Command({"PING"})->str(), "PONG");
}

TEST_F(RedisClientTest, AuthenticatesWithThePassword) {
  RedisPool admin(Options(1));
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "requirepass", "s3cret-pass"}).ok());

  RedisPoolOptions with_password = Options();
  with_password.password = "s3cret-pass";
  RedisPool good(with_password);
  EXPECT_EQ(good.Command({"PING"})->str(), "PONG");

  RedisPool missing(Options());
  auto refused = missing.Command({"PING"});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();

  RedisPoolOptions wrong = Options();
  wrong.password = "wrong";
  RedisPool bad(wrong);
  auto rejected = bad.Command({"PING"});
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kPermissionDenied) << rejected.status();
  EXPECT_THAT(std::string(rejected.status().message()), Not(HasSubstr("wrong")));
}

TEST(RedisPoolWithoutServerTest, PeerResetAfterItsFinDoesNotRaiseSigpipe) {
  // A peer that sends FIN at once, then closes with unread data (RST): the next write fails with EPIPE, which
  // raises SIGPIPE (ending the process by default) unless the client suppresses it.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::thread peer([listener] {
    int conn = accept(listener, nullptr, nullptr);
    if (conn < 0) return;
    shutdown(conn, SHUT_WR);
    char buffer[65536];
    for (size_t total = 0; total < (1u << 20);) {
      ssize_t n = read(conn, buffer, sizeof(buffer));
      if (n <= 0) break;
      total += static_cast<size_t>(n);
    }
    close(conn);
  });

  RedisPoolOptions options;
  options.port = ntohs(addr.sin_port);
  options.command_timeout = absl::Seconds(5);
  RedisPool pool(options);
  const std::string large(16 << 20, 'x');
  auto reply = pool.Command({"SET", "k", large});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  peer.join();
  close(listener);
}

TEST(RedisPoolWithoutServerTest, ConnectionRefusedIsUnavailableAndFast) {
  auto port = tandem::testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  RedisPoolOptions options;
  options.port = *port;
  RedisPool pool(options);
  absl::Time start = absl::Now();
  auto reply = pool.Command({"PING"});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(pool.EvalSha(RedisScript("return 1"), {}, {}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tandem::redis
