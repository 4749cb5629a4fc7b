#ifndef TANDEM_COMMON_REDIS_CACHE_H_
#define TANDEM_COMMON_REDIS_CACHE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/redis/redis_pool.h"
#include "common/time/clock.h"

namespace tandem::redis {

struct RedisCacheOptions {
  // The owning service ("notes"): every key lives under "tandem:<service>:cache:", so services sharing one
  // Redis never read each other's entries. 1-64 of [a-z0-9_-].
  std::string service;
  // This cache's metric label ("goals", "care_team"); same characters. One per cache, chosen in code, so
  // the label stays bounded.
  std::string name;
  // How long an entry lives: ttl * (1 ± jitter), so entries written together (a warm-up after a deploy or a
  // Redis restart) do not all expire in the same instant and stampede the database again.
  absl::Duration ttl = absl::Minutes(5);
  double jitter = 0.1;  // in [0, 1)
  // How long an entity's version counter lives after its last bump. When it expires (or an evicting Redis
  // drops it) readers start the entity afresh at a random version: one extra miss, never a stale read.
  absl::Duration version_ttl = absl::Hours(24);
  // After Redis fails with UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED, reads skip it for this long
  // and go straight to the loader, so an outage costs each call nothing instead of a connect or command
  // timeout.
  absl::Duration redis_retry_after = absl::Seconds(1);
  // A uniform draw in [0, 1) for the TTL jitter; empty: an internal absl::BitGen. Tests pin it.
  std::function<double()> random;
  Clock* clock = nullptr;                 // nullptr: Clock::Real()
  metrics::Registry* registry = nullptr;  // nullptr: Registry::Default()
};

// A cache-aside cache of bytes in Redis, in front of a loader that reads the source of truth (the database).
// Redis is never the truth here: a value is written only after a load, deleted after the write it reflects
// commits, and when Redis is down or slow reads go to the loader and the service stays up.
//
// Keys are ids only (1-200 bytes of [A-Za-z0-9:._/-], e.g. "goal/0190c6e2-..."), never names or clinical
// words: keys show up in Redis tooling, slow logs and memory reports that are not sealed. A key's tail
// ":v" or ":v<digits>" is reserved for versioned entries. Values are opaque bytes; clinical text must be
// sealed before it gets here (see MessageCache).
//
// Concurrent misses of one key in this process share one load (single flight): the first caller loads, the
// others wait for its result, an error included. An error is never cached.
//
// Metrics: tandem_cache_requests_total{cache,result} with result hit (from Redis), miss (loaded, Redis
// working) or degraded (loaded because Redis failed or is being skipped); tandem_cache_degraded_total{cache}
// counts the degraded calls alone, for alerting.
//
// Thread-safe. Calls block on Redis and on the loader: run them on a worker pool, as RedisPool requires.
class RedisCache {
 public:
  using Loader = absl::FunctionRef<absl::StatusOr<std::string>()>;

  // INVALID_ARGUMENT for a bad service or name, a non-positive ttl or version_ttl, or jitter outside [0, 1).
  static absl::StatusOr<std::unique_ptr<RedisCache>> Create(RedisPool& pool, RedisCacheOptions options);

  ~RedisCache();
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  // The cached value of `key`, or else `load`'s result, cached for the jittered ttl when it is OK.
  // `deadline` bounds only the wait for another caller's load of the same key (DEADLINE_EXCEEDED when it
  // passes); `load` itself runs to completion and should honour the call's deadline on its own. A Redis
  // failure never fails the call: `load` answers instead. INVALID_ARGUMENT for a bad key, before anything
  // else happens.
  //
  // Delete-after-commit leaves one race open across processes: a reader that loaded the old row just before
  // a write committed can store it just after the write's Invalidate, and it then stays until the ttl ends.
  // Use GetOrLoadVersioned for entities where that matters.
  absl::StatusOr<std::string> GetOrLoad(absl::string_view key, Loader load,
                                        absl::Time deadline = absl::InfiniteFuture());

  // Deletes `key`'s entry. Call it after the write's transaction commits (before, a concurrent reader could
  // load and cache the old row again). A load of `key` in flight in this process when this is called is not
  // shared with later callers and its result is not stored. A Redis failure is returned: the entry may then
  // live out its ttl, so callers log it and carry on.
  absl::Status Invalidate(absl::string_view key);

  // Like GetOrLoad, for an entity whose every write bumps its version. The entity's version counter lives
  // at "<entity_key>:v" and its value at "<entity_key>:v<version>". The race this closes:
  //
  //   reader: reads version 7, misses, loads the row (old data) ........... SET <entity>:v7 = old
  //   writer:                          commits; BumpVersion -> 8
  //   later readers read version 8 and miss <entity>:v8, so they load the new row.
  //
  // With a plain key the writer's delete could land between the reader's load and its SET, leaving the old
  // row cached for a whole ttl; here the slow reader's SET lands under a version nobody reads again. The
  // reader must learn the version before it loads, which this does.
  absl::StatusOr<std::string> GetOrLoadVersioned(absl::string_view entity_key, Loader load,
                                                 absl::Time deadline = absl::InfiniteFuture());

  // Moves `entity_key` to a new version, so every value cached under an older one is dead (it expires on
  // its own). Call it after the write's transaction commits. Returns the new version; a Redis failure is
  // returned, as for Invalidate.
  absl::StatusOr<int64_t> BumpVersion(absl::string_view entity_key);

  // OK when `key` may be used as a key (see the class comment); INVALID_ARGUMENT otherwise, without echoing
  // it.
  static absl::Status ValidateKey(absl::string_view key);

  // "tandem:<service>:cache:"
  const std::string& prefix() const { return prefix_; }
  const std::string& name() const { return options_.name; }
  metrics::Registry& registry() const { return *options_.registry; }

 private:
  enum class Outcome { kHit, kMiss, kDegraded };

  // One load in progress of one key, shared by the callers that arrive while it runs.
  struct Flight {
    absl::Notification done;
    // Written by the leader before `done` is notified; read-only after.
    absl::StatusOr<std::string> result;
    Outcome outcome = Outcome::kMiss;
    // Held by the leader while it decides to store and stores, and by Invalidate while it marks the flight:
    // either the store lands before Invalidate's DEL, or it does not happen.
    absl::Mutex store_mu;
    bool invalidated ABSL_GUARDED_BY(store_mu) = false;
  };

  RedisCache(RedisPool& pool, RedisCacheOptions options);

  // Joins the flight for `flight_key` or leads it. The leader reads and writes `data_key`, or uses only the
  // loader when `data_key` is empty or Redis is being skipped.
  absl::StatusOr<std::string> Run(const std::string& flight_key, const std::string& data_key, Loader load,
                                  absl::Time deadline);
  void Lead(Flight& flight, const std::string& data_key, Loader load);
  void Record(Outcome outcome);

  // False while Redis is being skipped after a failure.
  bool RedisUsable() const;
  // Starts skipping Redis when `status` says it is down, slow or saturated.
  void NoteRedisFailure(const absl::Status& status);

  absl::Duration JitteredTtl();
  // A fresh starting version for an entity, random so it does not meet a version used before the counter
  // was lost.
  int64_t FreshVersion();

  RedisPool& pool_;
  const RedisCacheOptions options_;
  const std::string prefix_;
  metrics::Counter& hits_;
  metrics::Counter& misses_;
  metrics::Counter& degraded_requests_;
  metrics::Counter& degraded_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
  absl::Time skip_redis_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  absl::Mutex random_mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(random_mu_);
};

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_CACHE_H_
