#include "common/redis/cache.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/key_encryption_key.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/metrics/metrics.h"
#include "common/redis/local_ttl_cache.h"
#include "common/redis/message_cache.h"
#include "common/redis/redis_pool.h"
#include "common/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.pb.h"
#include "tandem/testing/v1/sealing_test.pb.h"
#include "tests/fixtures/redis_server.h"
#include "tests/fixtures/temp_dir.h"

namespace tandem::redis {
namespace {

using google::protobuf::util::MessageDifferencer;
using tandem::testing::RedisServer;
using tandem::testing::v1::EchoResponse;
using tandem::testing::v1::SealingTestRecord;

// A row of the source of truth: what a loader reads and a write commits.
class FakeRow {
 public:
  explicit FakeRow(std::string value) : value_(std::move(value)) {}
  std::string Read() {
    loads_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    return value_;
  }
  void Commit(std::string value) {
    absl::MutexLock lock(&mu_);
    value_ = std::move(value);
  }
  int loads() const { return loads_.load(); }

 private:
  absl::Mutex mu_;
  std::string value_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> loads_{0};
};

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    pool_ = std::make_unique<RedisPool>(PoolOptions(8));
    admin_ = std::make_unique<RedisPool>(PoolOptions(1));
  }

  RedisPoolOptions PoolOptions(int size) const {
    RedisPoolOptions options;
    options.host = server_->host();
    options.port = server_->port();
    options.pool_size = size;
    options.connect_timeout = absl::Milliseconds(300);
    options.command_timeout = absl::Milliseconds(300);
    options.acquire_timeout = absl::Seconds(2);
    return options;
  }

  RedisCacheOptions Options() {
    RedisCacheOptions options;
    options.service = "notes";
    options.name = "test";
    options.ttl = absl::Seconds(100);
    options.registry = &registry_;
    options.clock = &clock_;
    return options;
  }

  std::unique_ptr<RedisCache> NewCache(RedisCacheOptions options) {
    auto cache = RedisCache::Create(*pool_, std::move(options));
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? *std::move(cache) : nullptr;
  }

  double Requests(const std::string& result) {
    return registry_.AddCounter("tandem_cache_requests_total", "", {"cache", "result"})
        .WithLabels({"test", result})
        .value();
  }
  double Degraded() {
    return registry_.AddCounter("tandem_cache_degraded_total", "", {"cache"}).WithLabels({"test"}).value();
  }

  std::optional<std::string> RawGet(const std::string& key) {
    auto reply = admin_->Command({"GET", key});
    if (!reply.ok() || !reply->is_string()) return std::nullopt;
    return reply->str();
  }
  int64_t RawPttl(const std::string& key) {
    auto reply = admin_->Command({"PTTL", key});
    return reply.ok() ? reply->integer() : -100;
  }
  std::vector<std::string> RawKeys() {
    std::vector<std::string> keys;
    auto reply = admin_->Command({"KEYS", "*"});
    if (!reply.ok()) return keys;
    for (const RedisReply& element : reply->elements()) keys.push_back(element.str());
    return keys;
  }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<RedisPool> admin_;
  metrics::Registry registry_;
  FakeClock clock_;
};

TEST_F(CacheTest, HundredConcurrentMissesShareOneLoad) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  constexpr int kCallers = 100;
  std::atomic<int> started{0};
  std::atomic<int> loads{0};
  auto slow_load = [&]() -> absl::StatusOr<std::string> {
    loads.fetch_add(1);
    // Hold the load until every caller has at least started, then a little longer so they all reach the
    // flight; bounded so a broken cache fails the test instead of hanging it.
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (started.load() < kCallers && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    absl::SleepFor(absl::Milliseconds(200));
    return std::string("value-1");
  };

  std::vector<absl::StatusOr<std::string>> results(kCallers);
  std::vector<std::thread> threads;
  threads.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      started.fetch_add(1);
      results[i] = cache->GetOrLoad("goal/g1", slow_load, absl::Now() + absl::Seconds(20));
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(loads.load(), 1);
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, "value-1");
  }
  EXPECT_EQ(Requests("hit") + Requests("miss"), kCallers);
  EXPECT_GE(Requests("miss"), 1);
  EXPECT_EQ(Degraded(), 0);
  EXPECT_EQ(RawGet("tandem:notes:cache:goal/g1"), "value-1");
}

TEST_F(CacheTest, ErrorIsSharedButNotCached) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  absl::Notification release;
  std::atomic<int> loads{0};
  auto failing = [&]() -> absl::StatusOr<std::string> {
    loads.fetch_add(1);
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
    return absl::UnavailableError("database down");
  };
  std::vector<absl::StatusOr<std::string>> results(10);
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  threads.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      started.fetch_add(1);
      results[i] = cache->GetOrLoad("goal/g2", failing);
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (started.load() < 10 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  absl::SleepFor(absl::Milliseconds(200));
  release.Notify();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(loads.load(), 1);
  for (const auto& result : results) EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RawGet("tandem:notes:cache:goal/g2"), std::nullopt);

  // Not cached: the next call loads again.
  auto next = cache->GetOrLoad("goal/g2", [] { return absl::StatusOr<std::string>("ok"); });
  EXPECT_EQ(*next, "ok");
}

TEST_F(CacheTest, HitAfterLoad) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  const std::string value("bytes\0with nul", 14);
  FakeRow row(value);
  auto load = [&] { return absl::StatusOr<std::string>(row.Read()); };
  EXPECT_EQ(*cache->GetOrLoad("client/c1", load), value);
  EXPECT_EQ(*cache->GetOrLoad("client/c1", load), value);
  EXPECT_EQ(row.loads(), 1);
  EXPECT_EQ(RawGet("tandem:notes:cache:client/c1"), value);
  EXPECT_EQ(Requests("miss"), 1);
  EXPECT_EQ(Requests("hit"), 1);
}

TEST_F(CacheTest, InvalidateAfterCommitLoadsAgain) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  FakeRow row("v1");
  auto load = [&] { return absl::StatusOr<std::string>(row.Read()); };
  EXPECT_EQ(*cache->GetOrLoad("goal/g3", load), "v1");

  row.Commit("v2");
  EXPECT_EQ(*cache->GetOrLoad("goal/g3", load), "v1");  // cached until invalidated
  ASSERT_TRUE(cache->Invalidate("goal/g3").ok());
  EXPECT_EQ(*cache->GetOrLoad("goal/g3", load), "v2");
  EXPECT_EQ(row.loads(), 2);
  EXPECT_EQ(*cache->GetOrLoad("goal/g3", load), "v2");
  EXPECT_EQ(row.loads(), 2);
}

TEST_F(CacheTest, InvalidateDuringLoadInThisProcessKeepsTheOldLoadOut) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  FakeRow row("old");
  absl::Notification loader_read;
  absl::Notification release;
  absl::StatusOr<std::string> slow_result;
  std::thread slow([&] {
    slow_result = cache->GetOrLoad("goal/g4", [&]() -> absl::StatusOr<std::string> {
      std::string value = row.Read();
      loader_read.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(10));
      return value;
    });
  });
  ASSERT_TRUE(loader_read.WaitForNotificationWithTimeout(absl::Seconds(10)));

  row.Commit("new");
  ASSERT_TRUE(cache->Invalidate("goal/g4").ok());
  // A caller after the commit does not join the load that read the old row.
  auto after = cache->GetOrLoad(
      "goal/g4", [&] { return absl::StatusOr<std::string>(row.Read()); }, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, "new");

  release.Notify();
  slow.join();
  EXPECT_EQ(*slow_result, "old");
  // The old load did not overwrite the new value.
  EXPECT_EQ(RawGet("tandem:notes:cache:goal/g4"), "new");
  EXPECT_EQ(*cache->GetOrLoad("goal/g4", [] { return absl::StatusOr<std::string>("unused"); }), "new");
}

TEST_F(CacheTest, WaitingForAnotherLoadIsBoundedByTheDeadline) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  absl::Notification loading;
  absl::Notification release;
  std::thread leader([&] {
    (void)cache->GetOrLoad("goal/g5", [&]() -> absl::StatusOr<std::string> {
      loading.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(10));
      return std::string("late");
    });
  });
  ASSERT_TRUE(loading.WaitForNotificationWithTimeout(absl::Seconds(10)));
  auto follower = cache->GetOrLoad(
      "goal/g5", [] { return absl::StatusOr<std::string>("unused"); }, absl::Now() + absl::Milliseconds(50));
  EXPECT_EQ(follower.status().code(), absl::StatusCode::kDeadlineExceeded);
  release.Notify();
  leader.join();
}

TEST_F(CacheTest, VersionedSlowLoaderDoesNotPoisonTheNewVersion) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  FakeRow row("old");
  absl::Notification loader_read;
  absl::Notification release;
  absl::StatusOr<std::string> slow_result;
  std::thread slow([&] {
    slow_result = cache->GetOrLoadVersioned("goal/g6", [&]() -> absl::StatusOr<std::string> {
      std::string value = row.Read();
      loader_read.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(10));
      return value;
    });
  });
  ASSERT_TRUE(loader_read.WaitForNotificationWithTimeout(absl::Seconds(10)));
  auto before = RawGet("tandem:notes:cache:goal/g6:v");
  ASSERT_TRUE(before.has_value());

  // The write commits and bumps while the slow reader still holds the old row.
  row.Commit("new");
  auto bumped = cache->BumpVersion("goal/g6");
  ASSERT_TRUE(bumped.ok()) << bumped.status();
  int64_t old_version = 0;
  ASSERT_TRUE(absl::SimpleAtoi(*before, &old_version));
  EXPECT_EQ(*bumped, old_version + 1);

  // Only now does the slow reader store what it read, under the old version.
  release.Notify();
  slow.join();
  EXPECT_EQ(*slow_result, "old");
  EXPECT_EQ(RawGet(absl::StrCat("tandem:notes:cache:goal/g6:v", old_version)), "old");

  auto load = [&] { return absl::StatusOr<std::string>(row.Read()); };
  EXPECT_EQ(*cache->GetOrLoadVersioned("goal/g6", load), "new");
  EXPECT_EQ(row.loads(), 2);
  EXPECT_EQ(*cache->GetOrLoadVersioned("goal/g6", load), "new");
  EXPECT_EQ(row.loads(), 2);
  EXPECT_EQ(RawGet(absl::StrCat("tandem:notes:cache:goal/g6:v", *bumped)), "new");
}

TEST_F(CacheTest, LostVersionCounterRestartsAtAFreshVersion) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  FakeRow row("v1");
  auto load = [&] { return absl::StatusOr<std::string>(row.Read()); };
  EXPECT_EQ(*cache->GetOrLoadVersioned("goal/g7", load), "v1");
  const std::string first = *RawGet("tandem:notes:cache:goal/g7:v");
  EXPECT_GT(RawPttl("tandem:notes:cache:goal/g7:v"), 0);

  // The counter is evicted and a write bumps: INCR would restart at 1; the version must be new instead.
  ASSERT_TRUE(admin_->Command({"DEL", "tandem:notes:cache:goal/g7:v"}).ok());
  row.Commit("v2");
  auto bumped = cache->BumpVersion("goal/g7");
  ASSERT_TRUE(bumped.ok()) << bumped.status();
  EXPECT_NE(absl::StrCat(*bumped), first);
  EXPECT_GT(*bumped, 1);
  EXPECT_EQ(*cache->GetOrLoadVersioned("goal/g7", load), "v2");
}

TEST_F(CacheTest, TtlJitterStaysWithinBounds) {
  auto cache = NewCache(Options());  // 100 s ± 10 %
  ASSERT_NE(cache, nullptr);
  int64_t lowest = std::numeric_limits<int64_t>::max();
  int64_t highest = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string key = absl::StrCat("goal/j", i);
    ASSERT_TRUE(cache->GetOrLoad(key, [] { return absl::StatusOr<std::string>("x"); }).ok());
    int64_t pttl = RawPttl(absl::StrCat("tandem:notes:cache:", key));
    EXPECT_LE(pttl, 110000) << i;
    EXPECT_GE(pttl, 89000) << i;  // 90 s, less the time since the SET
    lowest = std::min(lowest, pttl);
    highest = std::max(highest, pttl);
  }
  EXPECT_GT(highest - lowest, 2000) << "entries written together should not expire together";

  // The extremes of the injected draw land on the bounds.
  RedisCacheOptions low = Options();
  low.random = [] { return 0.0; };
  auto low_cache = NewCache(low);
  ASSERT_TRUE(low_cache->GetOrLoad("goal/low", [] { return absl::StatusOr<std::string>("x"); }).ok());
  EXPECT_GE(RawPttl("tandem:notes:cache:goal/low"), 89000);
  EXPECT_LE(RawPttl("tandem:notes:cache:goal/low"), 90000);
  RedisCacheOptions high = Options();
  high.random = [] { return 0.99999; };
  auto high_cache = NewCache(high);
  ASSERT_TRUE(high_cache->GetOrLoad("goal/high", [] { return absl::StatusOr<std::string>("x"); }).ok());
  EXPECT_GE(RawPttl("tandem:notes:cache:goal/high"), 109000);
  EXPECT_LE(RawPttl("tandem:notes:cache:goal/high"), 110000);
}

TEST_F(CacheTest, BadKeysAreRefusedWithoutLoadingOrEchoing) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  int loads = 0;
  auto load = [&] {
    ++loads;
    return absl::StatusOr<std::string>("x");
  };
  const std::vector<std::string> bad = {"",
                                        std::string(201, 'a'),
                                        "client/Jane Doe",
                                        "note/erectile-dysfunction!",
                                        "a\nb",
                                        std::string("key\0nul", 7),
                                        "caf\xc3\xa9",
                                        "goal/g1:v",
                                        "goal/g1:v12",
                                        "a*",
                                        "{tag}"};
  for (const std::string& key : bad) {
    auto result = cache->GetOrLoad(key, load);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << key;
    if (!key.empty()) {
      EXPECT_FALSE(absl::StrContains(result.status().message(), key)) << key;
    }
    EXPECT_EQ(cache->GetOrLoadVersioned(key, load).status().code(), absl::StatusCode::kInvalidArgument)
        << key;
    EXPECT_EQ(cache->Invalidate(key).code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(cache->BumpVersion(key).status().code(), absl::StatusCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(loads, 0);
  EXPECT_TRUE(RawKeys().empty());

  for (const std::string& key :
       {std::string(200, 'a'), std::string("clinic/c1/client/0190c6e2-7a1b.x_y:version")}) {
    EXPECT_TRUE(cache->GetOrLoad(key, load).ok()) << key;
  }

  RedisCacheOptions bad_service = Options();
  bad_service.service = "Notes:x";
  EXPECT_EQ(RedisCache::Create(*pool_, bad_service).status().code(), absl::StatusCode::kInvalidArgument);
  RedisCacheOptions bad_jitter = Options();
  bad_jitter.jitter = 1.5;
  EXPECT_EQ(RedisCache::Create(*pool_, bad_jitter).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CacheTest, RedisKilledMidTestServesFromLoaderThenResumes) {
  RedisCacheOptions options = Options();
  options.redis_retry_after = absl::Seconds(1);
  auto cache = NewCache(options);
  ASSERT_NE(cache, nullptr);
  FakeRow row("v1");
  auto load = [&] { return absl::StatusOr<std::string>(row.Read()); };
  EXPECT_EQ(*cache->GetOrLoad("goal/k1", load), "v1");
  EXPECT_EQ(*cache->GetOrLoad("goal/k1", load), "v1");
  EXPECT_EQ(row.loads(), 1);

  ASSERT_TRUE(server_->Kill9().ok());
  row.Commit("v2");
  // The first read meets the failure; the next ones skip Redis for redis_retry_after.
  for (int i = 0; i < 3; ++i) {
    auto read = cache->GetOrLoad("goal/k1", load);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, "v2");
  }
  auto versioned = cache->GetOrLoadVersioned("goal/k2", load);
  ASSERT_TRUE(versioned.ok()) << versioned.status();
  EXPECT_EQ(row.loads(), 5);
  EXPECT_EQ(Degraded(), 4);
  EXPECT_EQ(Requests("degraded"), 4);
  EXPECT_FALSE(cache->Invalidate("goal/k1").ok());
  EXPECT_FALSE(cache->BumpVersion("goal/k2").ok());

  ASSERT_TRUE(server_->Restart().ok());
  // Still inside the retry window: Redis is not tried yet.
  EXPECT_EQ(*cache->GetOrLoad("goal/k1", load), "v2");
  EXPECT_EQ(Degraded(), 5);

  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(*cache->GetOrLoad("goal/k1", load), "v2");  // miss: the restarted Redis is empty
  const int loads = row.loads();
  EXPECT_EQ(*cache->GetOrLoad("goal/k1", load), "v2");  // hit
  EXPECT_EQ(row.loads(), loads);
  EXPECT_EQ(*cache->GetOrLoadVersioned("goal/k2", load), "v2");
  EXPECT_EQ(*cache->GetOrLoadVersioned("goal/k2", load), "v2");
  EXPECT_EQ(row.loads(), loads + 1);
  EXPECT_EQ(Degraded(), 5);
  EXPECT_EQ(RawGet("tandem:notes:cache:goal/k1"), "v2");
}

TEST_F(CacheTest, SlowRedisIsBypassed) {
  auto cache = NewCache(Options());
  ASSERT_NE(cache, nullptr);
  FakeRow row("v1");
  auto load = [&] { return absl::StatusOr<std::string>(row.Read()); };
  // Every client's commands wait for 1 s: longer than the pool's 300 ms command timeout.
  ASSERT_TRUE(admin_->Command({"CLIENT", "PAUSE", "1000", "ALL"}).ok());
  const absl::Time start = absl::Now();
  auto read = cache->GetOrLoad("goal/s1", load);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "v1");
  EXPECT_EQ(Degraded(), 1);
  // Skipped now, without waiting for another timeout.
  EXPECT_EQ(*cache->GetOrLoad("goal/s1", load), "v1");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_EQ(Degraded(), 2);
}

// A real cipher on a migrated SQLite database.
class MessageCacheTest : public CacheTest {
 protected:
  void SetUp() override {
    CacheTest::SetUp();
    auto dir = tandem::testing::MakeTempDir("cache");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    auto db = db::OpenDatabase("sqlite://" + dir_ + "/keys.db");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::crypto()).ok());
    store_ = std::make_unique<crypto::SqlDataKeyStore>(*db_);
    auto kek = crypto::ParseKeyEncryptionKey(*crypto::NewKeyEncryptionKeyHex());
    ASSERT_TRUE(kek.ok());
    cipher_ = std::make_unique<crypto::ClinicalCipher>(crypto::KeyRing(*kek), *store_);
    cache_ = NewCache(Options());
    ASSERT_NE(cache_, nullptr);
    messages_ = std::make_unique<MessageCache>(*cache_, *cipher_);
  }
  void TearDown() override {
    messages_.reset();
    cipher_.reset();
    store_.reset();
    db_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  // Every key and every string value in Redis.
  std::string DumpRedis() {
    std::string dump;
    for (const std::string& key : RawKeys()) {
      absl::StrAppend(&dump, key, "=", RawGet(key).value_or("<not a string>"), "\n");
    }
    return dump;
  }

  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<crypto::SqlDataKeyStore> store_;
  std::unique_ptr<crypto::ClinicalCipher> cipher_;
  std::unique_ptr<RedisCache> cache_;
  std::unique_ptr<MessageCache> messages_;
};

constexpr char kMarker[] = "MARKER-vaginismus-7731";

SealingTestRecord ClinicalRecord() {
  SealingTestRecord record;
  record.set_id("rec-1");
  record.set_version(4);
  record.set_summary(absl::StrCat(kMarker, " summary"));
  record.add_reflections(absl::StrCat(kMarker, " reflection"));
  (*record.mutable_answers())["q1"] = kMarker;
  record.mutable_detail()->set_label("plain-label");
  record.mutable_detail()->set_note(absl::StrCat(kMarker, " nested note"));
  record.set_private_body(kMarker);
  record.add_tags("tag-a");
  return record;
}

TEST_F(MessageCacheTest, ClinicalTextReachesRedisOnlySealed) {
  const SealingTestRecord original = ClinicalRecord();
  int loads = 0;
  auto load = [&]() -> absl::StatusOr<SealingTestRecord> {
    ++loads;
    return original;
  };
  EXPECT_TRUE(messages_->Seals(*SealingTestRecord::descriptor()));

  for (int i = 0; i < 2; ++i) {  // a miss, then a hit opened from Redis
    auto read = messages_->GetOrLoad<SealingTestRecord>("clinic-1", "record/rec-1", load);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*read, original)) << i;
    auto versioned = messages_->GetOrLoadVersioned<SealingTestRecord>("clinic-1", "record/rec-2", load);
    ASSERT_TRUE(versioned.ok()) << versioned.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*versioned, original)) << i;
  }
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(Requests("hit"), 2);

  const std::string dump = DumpRedis();
  EXPECT_EQ(RawKeys().size(), 3u) << dump;  // record/rec-1, record/rec-2:v, record/rec-2:v<N>
  EXPECT_FALSE(absl::StrContains(dump, "MARKER")) << dump;
  EXPECT_FALSE(absl::StrContains(dump, "vaginismus")) << dump;
  EXPECT_FALSE(absl::StrContains(dump, "plain-label")) << "the whole message is sealed";

  // Without a clinic there is no key to seal with.
  EXPECT_EQ(messages_->GetOrLoad<SealingTestRecord>("", "record/rec-1", load).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(MessageCacheTest, ValueOfAnotherClinicDoesNotOpenAndIsLoadedInstead) {
  SealingTestRecord mine = ClinicalRecord();
  ASSERT_TRUE(messages_
                  ->GetOrLoad<SealingTestRecord>("clinic-1", "record/rec-3",
                                                 [&] { return absl::StatusOr<SealingTestRecord>(mine); })
                  .ok());

  SealingTestRecord theirs;
  theirs.set_id("rec-3");
  theirs.set_summary("theirs");
  int loads = 0;
  auto read = messages_->GetOrLoad<SealingTestRecord>("clinic-2", "record/rec-3", [&] {
    ++loads;
    return absl::StatusOr<SealingTestRecord>(theirs);
  });
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*read, theirs));
  EXPECT_EQ(loads, 1);  // another clinic's entry lives under another key: never read, let alone returned

  // Forced under the other clinic's key, it does not open: the loader answers.
  ASSERT_TRUE(admin_
                  ->Command({"SET", "tandem:notes:cache:clinic-2/record/rec-3",
                             *RawGet("tandem:notes:cache:clinic-1/record/rec-3")})
                  .ok());
  loads = 0;
  auto moved = messages_->GetOrLoad<SealingTestRecord>("clinic-2", "record/rec-3", [&] {
    ++loads;
    return absl::StatusOr<SealingTestRecord>(theirs);
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*moved, theirs));
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(registry_.AddCounter("tandem_cache_unreadable_total", "", {"cache"}).WithLabels({"test"}).value(),
            1);

  // A tampered value is not returned either.
  const std::string key = "tandem:notes:cache:clinic-1/record/rec-3";
  ASSERT_TRUE(messages_
                  ->GetOrLoad<SealingTestRecord>("clinic-1", "record/rec-3",
                                                 [&] { return absl::StatusOr<SealingTestRecord>(mine); })
                  .ok());
  std::string sealed = *RawGet(key);
  sealed[sealed.size() / 2] ^= 0x01;
  ASSERT_TRUE(admin_->Command({"SET", key, sealed}).ok());
  loads = 0;
  auto after_tamper = messages_->GetOrLoad<SealingTestRecord>("clinic-1", "record/rec-3", [&] {
    ++loads;
    return absl::StatusOr<SealingTestRecord>(mine);
  });
  ASSERT_TRUE(after_tamper.ok()) << after_tamper.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*after_tamper, mine));
  EXPECT_EQ(loads, 1);
}

TEST_F(MessageCacheTest, MessageWithoutSensitiveFieldsIsStoredSerialized) {
  EXPECT_FALSE(messages_->Seals(*EchoResponse::descriptor()));
  // An Any could carry anything, so a type holding one is sealed.
  EXPECT_TRUE(messages_->Seals(*google::rpc::Status::descriptor()));

  EchoResponse response;
  response.set_message("hello");
  response.set_request_id("req-1");
  int loads = 0;
  auto load = [&] {
    ++loads;
    return absl::StatusOr<EchoResponse>(response);
  };
  for (int i = 0; i < 2; ++i) {
    auto read = messages_->GetOrLoad<EchoResponse>("", "echo/e1", load);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*read, response));
  }
  EXPECT_EQ(loads, 1);
  auto raw = RawGet("tandem:notes:cache:echo/e1");
  ASSERT_TRUE(raw.has_value());
  EchoResponse stored;
  ASSERT_TRUE(stored.ParseFromString(raw->substr(1)));
  EXPECT_TRUE(MessageDifferencer::Equals(stored, response));
}

TEST(LocalTtlCacheTest, EntriesExpireAfterTheirOwnTtl) {
  FakeClock clock;
  LocalTtlCache<std::string, bool> cache(8, clock);
  cache.Put("clinician/a:client/b", true, absl::Seconds(5));
  cache.Put("clinician/a:client/c", false, absl::Seconds(1));
  EXPECT_EQ(cache.Get("clinician/a:client/b"), true);
  EXPECT_EQ(cache.Get("clinician/a:client/c"), false);
  EXPECT_EQ(cache.Get("clinician/x:client/b"), std::nullopt);

  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(cache.Get("clinician/a:client/c"), std::nullopt);
  EXPECT_EQ(cache.Get("clinician/a:client/b"), true);
  clock.Advance(absl::Seconds(4));
  EXPECT_EQ(cache.Get("clinician/a:client/b"), std::nullopt);
  EXPECT_EQ(cache.size(), 0u);

  cache.Put("k", true, absl::Seconds(5));
  cache.Erase("k");
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  cache.Put("k", true, absl::Seconds(5));
  cache.Put("k", false, absl::ZeroDuration());  // a non-positive ttl erases
  EXPECT_EQ(cache.Get("k"), std::nullopt);
}

TEST(LocalTtlCacheTest, CapacityEvictsExpiredThenOldest) {
  FakeClock clock;
  LocalTtlCache<std::string, int> cache(3, clock);
  cache.Put("a", 1, absl::Seconds(10));
  cache.Put("b", 2, absl::Seconds(10));
  cache.Put("c", 3, absl::Seconds(10));
  cache.Put("d", 4, absl::Seconds(10));  // full of live entries: the oldest, a, goes
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Get("a"), std::nullopt);
  EXPECT_EQ(cache.Get("b"), 2);

  cache.Put("b", 20, absl::Seconds(1));  // rewritten: now the newest, and short-lived
  clock.Advance(absl::Seconds(2));
  cache.Put("e", 5, absl::Seconds(10));  // the expired b goes first, not the older c
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Get("c"), 3);
  EXPECT_EQ(cache.Get("d"), 4);
  EXPECT_EQ(cache.Get("e"), 5);
  cache.Put("f", 6, absl::Seconds(10));  // nothing expired: c, the oldest, goes
  EXPECT_EQ(cache.Get("c"), std::nullopt);
  EXPECT_EQ(cache.Get("f"), 6);

  LocalTtlCache<int, int> none(0, clock);
  none.Put(1, 1, absl::Seconds(1));
  EXPECT_EQ(none.Get(1), std::nullopt);
}

TEST(LocalTtlCacheTest, ConcurrentUseStaysBounded) {
  FakeClock clock;
  LocalTtlCache<int, int> cache(64, clock);
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        const int key = (i * 7 + t * 13) % 200;
        switch (i % 4) {
          case 0:
            cache.Put(key, key, absl::Milliseconds(1 + i % 50));
            break;
          case 1:
            if (auto value = cache.Get(key)) {
              EXPECT_EQ(*value, key);
            }
            break;
          case 2:
            cache.Erase(key);
            break;
          default:
            if (t == 0) clock.Advance(absl::Milliseconds(1));
            break;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 64u);
}

}  // namespace
}  // namespace tandem::redis
