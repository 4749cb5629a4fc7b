#ifndef TANDEM_COMMON_REDIS_LOCAL_TTL_CACHE_H_
#define TANDEM_COMMON_REDIS_LOCAL_TTL_CACHE_H_

#include <cstddef>
#include <iterator>
#include <list>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace tandem::redis {

// A small in-process cache with a lifetime per entry, for answers asked on every request and cheap to be a
// few seconds late on (e.g. "is clinician X on client Y's care team"). No Redis round trip, so keep ttls
// short: a change elsewhere (a removal from a care team) is seen here only when the entry expires or is
// erased.
//
// Bounded: at capacity, a Put of a new key first drops expired entries, then the oldest written one.
// Thread-safe; every call takes one mutex, so keep values small and cheap to copy.
template <typename K, typename V, typename Hash = absl::Hash<K>>
class LocalTtlCache {
 public:
  explicit LocalTtlCache(size_t capacity, Clock& clock = Clock::Real())
      : capacity_(capacity), clock_(clock) {}
  LocalTtlCache(const LocalTtlCache&) = delete;
  LocalTtlCache& operator=(const LocalTtlCache&) = delete;

  // The value for `key` if present and not expired.
  std::optional<V> Get(const K& key) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (clock_.Now() >= it->second.expires) {
      Remove(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  // Stores `value` for `ttl` (replacing any entry for `key`); a non-positive ttl just erases.
  void Put(const K& key, V value, absl::Duration ttl) {
    absl::MutexLock lock(&mu_);
    auto existing = entries_.find(key);
    if (existing != entries_.end()) Remove(existing);
    if (ttl <= absl::ZeroDuration() || capacity_ == 0) return;
    const absl::Time now = clock_.Now();
    if (entries_.size() >= capacity_) DropExpired(now);
    while (entries_.size() >= capacity_) Remove(entries_.find(order_.front()));
    order_.push_back(key);
    const absl::Time expires = now + ttl;
    entries_.emplace(key, Entry{std::move(value), expires, std::prev(order_.end())});
    if (expires < earliest_expiry_) earliest_expiry_ = expires;
  }

  void Erase(const K& key) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) Remove(it);
  }

  void Clear() {
    absl::MutexLock lock(&mu_);
    entries_.clear();
    order_.clear();
    earliest_expiry_ = absl::InfiniteFuture();
  }

  // Entries held, expired ones not yet dropped included.
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    V value;
    absl::Time expires;
    typename std::list<K>::iterator order;  // its place in order_
  };
  using Map = absl::flat_hash_map<K, Entry, Hash>;

  void Remove(typename Map::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    order_.erase(it->second.order);
    entries_.erase(it);
  }

  // A full scan, so only when something may have expired: earliest_expiry_ is a lower bound on every
  // entry's expiry (it may be stale-early after removals, which costs one needless scan).
  void DropExpired(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (now < earliest_expiry_) return;
    absl::Time earliest = absl::InfiniteFuture();
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (now >= it->second.expires) {
        order_.erase(it->second.order);
        entries_.erase(it++);
      } else {
        if (it->second.expires < earliest) earliest = it->second.expires;
        ++it;
      }
    }
    earliest_expiry_ = earliest;
  }

  const size_t capacity_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  Map entries_ ABSL_GUARDED_BY(mu_);
  // Keys from oldest written to newest: the eviction order once nothing has expired.
  std::list<K> order_ ABSL_GUARDED_BY(mu_);
  absl::Time earliest_expiry_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_LOCAL_TTL_CACHE_H_
