#include "common/redis/cache.h"

#include <algorithm>
#include <utility>

#include "absl/random/distributions.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/lua_script.h"

namespace tandem::redis {
namespace {

constexpr size_t kMaxKeyBytes = 200;
constexpr size_t kMaxNameBytes = 64;

// Returns the entity's version, starting it at ARGV[1] (expiring after ARGV[2] ms) when it has none. One
// script, so two readers of a new entity agree on one version.
const RedisScript& ReadVersionScript() {
  static const auto* const script = new RedisScript(R"lua(
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
)lua");
  return *script;
}

// Increments the entity's version and renews its lifetime. A lost counter restarts at the random ARGV[1], not
// at 1 as INCR would: a version number from before the loss could still have a live value under it.
const RedisScript& BumpVersionScript() {
  static const auto* const script = new RedisScript(R"lua(
local v
if redis.call('EXISTS', KEYS[1]) == 1 then
  v = redis.call('INCR', KEYS[1])
else
  v = tonumber(ARGV[1])
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return v
)lua");
  return *script;
}

bool IsKeyChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '_' || c == '/' ||
         c == '-';
}

bool IsNameChar(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool IsValidName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && std::all_of(name.begin(), name.end(), IsNameChar);
}

// True for a key ending in ":v" or ":v<digits>", the shapes versioned entries use.
bool HasVersionSuffix(absl::string_view key) {
  size_t pos = key.rfind(":v");
  if (pos == absl::string_view::npos) return false;
  absl::string_view tail = key.substr(pos + 2);
  return std::all_of(tail.begin(), tail.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

// Redis failures that mean "down, slow or saturated", as RedisPool reports them; error replies (a wrong type
// under one key) do not stop the cache for every key.
bool IsOutage(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) || absl::IsResourceExhausted(status);
}

metrics::Counter& RequestCounter(metrics::Registry& registry, const std::string& cache,
                                 const std::string& result) {
  return registry
      .AddCounter("tandem_cache_requests_total", "Cache reads by cache and result (hit, miss, degraded).",
                  {"cache", "result"})
      .WithLabels({cache, result});
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisCache>> RedisCache::Create(RedisPool& pool, RedisCacheOptions options) {
  if (!IsValidName(options.service)) {
    return absl::InvalidArgumentError("cache service must be 1-64 of [a-z0-9_-]");
  }
  if (!IsValidName(options.name)) return absl::InvalidArgumentError("cache name must be 1-64 of [a-z0-9_-]");
  if (options.ttl <= absl::ZeroDuration() || options.ttl == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("cache ttl must be positive and finite");
  }
  if (options.version_ttl <= absl::ZeroDuration() || options.version_ttl == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("cache version_ttl must be positive and finite");
  }
  if (!(options.jitter >= 0.0 && options.jitter < 1.0)) {
    return absl::InvalidArgumentError("cache jitter must be in [0, 1)");
  }
  if (options.redis_retry_after < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("cache redis_retry_after must not be negative");
  }
  if (options.clock == nullptr) options.clock = &Clock::Real();
  if (options.registry == nullptr) options.registry = &metrics::Registry::Default();
  return std::unique_ptr<RedisCache>(new RedisCache(pool, std::move(options)));
}

RedisCache::RedisCache(RedisPool& pool, RedisCacheOptions options)
    : pool_(pool),
      options_(std::move(options)),
      prefix_(absl::StrCat("tandem:", options_.service, ":cache:")),
      hits_(RequestCounter(*options_.registry, options_.name, "hit")),
      misses_(RequestCounter(*options_.registry, options_.name, "miss")),
      degraded_requests_(RequestCounter(*options_.registry, options_.name, "degraded")),
      degraded_(
          options_.registry
              ->AddCounter("tandem_cache_degraded_total",
                           "Cache reads answered by the loader because Redis failed or was being skipped.",
                           {"cache"})
              .WithLabels({options_.name})) {}

RedisCache::~RedisCache() = default;

absl::Status RedisCache::ValidateKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError("cache key must be 1-200 bytes");
  }
  if (!std::all_of(key.begin(), key.end(), IsKeyChar)) {
    return absl::InvalidArgumentError("cache key may hold only ids: [A-Za-z0-9:._/-]");
  }
  if (HasVersionSuffix(key)) {
    return absl::InvalidArgumentError(
        "cache key must not end in \":v\" or \":v<digits>\" (reserved for versions)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RedisCache::GetOrLoad(absl::string_view key, Loader load, absl::Time deadline) {
  if (absl::Status valid = ValidateKey(key); !valid.ok()) return valid;
  std::string data_key = absl::StrCat(prefix_, key);
  return Run(data_key, data_key, load, deadline);
}

absl::StatusOr<std::string> RedisCache::GetOrLoadVersioned(absl::string_view entity_key, Loader load,
                                                           absl::Time deadline) {
  if (absl::Status valid = ValidateKey(entity_key); !valid.ok()) return valid;
  const std::string version_key = absl::StrCat(prefix_, entity_key, ":v");
  // Without the version there is no data key; loads still share a flight, under a name no key can have.
  const std::string unversioned_flight = absl::StrCat(version_key, "?");
  if (!RedisUsable()) return Run(unversioned_flight, "", load, deadline);

  const std::string fresh = absl::StrCat(FreshVersion());
  const std::string version_ttl_ms = absl::StrCat(absl::ToInt64Milliseconds(options_.version_ttl));
  absl::StatusOr<RedisReply> reply =
      pool_.EvalSha(ReadVersionScript(), {version_key}, {fresh, version_ttl_ms});
  int64_t version = 0;
  if (!reply.ok()) {
    NoteRedisFailure(reply.status());
    return Run(unversioned_flight, "", load, deadline);
  }
  if (!reply->is_string() || !absl::SimpleAtoi(reply->str(), &version)) {
    // Something else wrote the counter; bumping would fail too, so this entity is uncached until it expires.
    return Run(unversioned_flight, "", load, deadline);
  }
  std::string data_key = absl::StrCat(version_key, version);
  return Run(data_key, data_key, load, deadline);
}

absl::Status RedisCache::Invalidate(absl::string_view key) {
  if (absl::Status valid = ValidateKey(key); !valid.ok()) return valid;
  std::string data_key = absl::StrCat(prefix_, key);
  std::shared_ptr<Flight> in_flight;
  {
    absl::MutexLock lock(&mu_);
    auto it = flights_.find(data_key);
    if (it != flights_.end()) {
      in_flight = std::move(it->second);
      flights_.erase(it);
    }
  }
  if (in_flight != nullptr) {
    // That load may have read the row before the write committed: later callers start their own, and its
    // leader does not store what it read.
    absl::MutexLock lock(&in_flight->store_mu);
    in_flight->invalidated = true;
  }
  absl::StatusOr<RedisReply> reply = pool_.Command({"DEL", data_key});
  if (!reply.ok()) NoteRedisFailure(reply.status());
  return reply.status();
}

absl::StatusOr<int64_t> RedisCache::BumpVersion(absl::string_view entity_key) {
  if (absl::Status valid = ValidateKey(entity_key); !valid.ok()) return valid;
  const std::string version_key = absl::StrCat(prefix_, entity_key, ":v");
  const std::string fresh = absl::StrCat(FreshVersion());
  const std::string version_ttl_ms = absl::StrCat(absl::ToInt64Milliseconds(options_.version_ttl));
  absl::StatusOr<RedisReply> reply =
      pool_.EvalSha(BumpVersionScript(), {version_key}, {fresh, version_ttl_ms});
  if (!reply.ok()) {
    NoteRedisFailure(reply.status());
    return reply.status();
  }
  if (!reply->is_integer()) return absl::InternalError("cache version bump returned a non-integer");
  return reply->integer();
}

absl::StatusOr<std::string> RedisCache::Run(const std::string& flight_key, const std::string& data_key,
                                            Loader load, absl::Time deadline) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Flight>& slot = flights_[flight_key];
    if (slot == nullptr) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) {
    if (!flight->done.WaitForNotificationWithDeadline(deadline)) {
      return absl::DeadlineExceededError("deadline passed while waiting for a shared cache load");
    }
    Record(flight->outcome);
    return flight->result;
  }

  Lead(*flight, data_key, load);
  {
    absl::MutexLock lock(&mu_);
    // Invalidate may have detached this flight and a newer one may hold the slot: leave that one alone.
    auto it = flights_.find(flight_key);
    if (it != flights_.end() && it->second == flight) flights_.erase(it);
  }
  flight->done.Notify();
  Record(flight->outcome);
  return flight->result;
}

void RedisCache::Lead(Flight& flight, const std::string& data_key, Loader load) {
  bool use_redis = !data_key.empty() && RedisUsable();
  if (use_redis) {
    absl::StatusOr<RedisReply> cached = pool_.Command({"GET", data_key});
    if (cached.ok() && cached->is_string()) {
      flight.result = cached->str();
      flight.outcome = Outcome::kHit;
      return;
    }
    if (!cached.ok()) {
      NoteRedisFailure(cached.status());
      use_redis = false;
    }
  }

  flight.result = load();
  if (!use_redis) {
    flight.outcome = Outcome::kDegraded;
    return;
  }
  flight.outcome = Outcome::kMiss;
  if (!flight.result.ok()) return;

  absl::MutexLock lock(&flight.store_mu);
  if (flight.invalidated) return;
  const std::string ttl_ms = absl::StrCat(absl::ToInt64Milliseconds(JitteredTtl()));
  absl::StatusOr<RedisReply> stored = pool_.Command({"SET", data_key, *flight.result, "PX", ttl_ms});
  if (!stored.ok()) {
    NoteRedisFailure(stored.status());
    flight.outcome = Outcome::kDegraded;
  }
}

void RedisCache::Record(Outcome outcome) {
  switch (outcome) {
    case Outcome::kHit:
      hits_.Increment();
      return;
    case Outcome::kMiss:
      misses_.Increment();
      return;
    case Outcome::kDegraded:
      degraded_requests_.Increment();
      degraded_.Increment();
      return;
  }
}

bool RedisCache::RedisUsable() const {
  absl::MutexLock lock(&mu_);
  return options_.clock->Now() >= skip_redis_until_;
}

void RedisCache::NoteRedisFailure(const absl::Status& status) {
  if (!IsOutage(status)) return;
  absl::MutexLock lock(&mu_);
  skip_redis_until_ = options_.clock->Now() + options_.redis_retry_after;
}

absl::Duration RedisCache::JitteredTtl() {
  double draw;
  if (options_.random) {
    draw = options_.random();
  } else {
    absl::MutexLock lock(&random_mu_);
    draw = absl::Uniform(bitgen_, 0.0, 1.0);
  }
  draw = std::clamp(draw, 0.0, 1.0);
  absl::Duration ttl = options_.ttl * (1.0 + options_.jitter * (2.0 * draw - 1.0));
  return std::max(ttl, absl::Milliseconds(1));
}

int64_t RedisCache::FreshVersion() {
  absl::MutexLock lock(&random_mu_);
  // Below 2^52, so Lua's numbers (doubles) hold every version exactly, with room for many bumps.
  return absl::Uniform<int64_t>(bitgen_, 1, int64_t{1} << 52);
}

}  // namespace tandem::redis
