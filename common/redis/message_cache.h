#ifndef TANDEM_COMMON_REDIS_MESSAGE_CACHE_H_
#define TANDEM_COMMON_REDIS_MESSAGE_CACHE_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/crypto/clinical_cipher.h"
#include "common/metrics/metrics.h"
#include "common/redis/cache.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace tandem::redis {

// Caches protobuf messages in a RedisCache. A message type that can hold clinical text (a field marked
// `(tandem.api.v1.sensitive)` at any depth, or a google.protobuf.Any whose contents nobody can vouch for) is
// sealed whole with its clinic's data key before it reaches Redis and opened on the way back; any other type
// is stored serialized. The seal binds the value to the clinic, the key and the message type, so a value read
// under another clinic, key or type does not open.
//
// A value that does not open or parse (tampered with, written for another clinic under the same key, or by an
// older build) is never returned: the loader answers instead, the entry of a plain key is deleted, and
// tandem_cache_unreadable_total{cache} counts it.
//
// Keys follow RedisCache's rules (ids only). Thread-safe; blocking, like RedisCache.
class MessageCache {
 public:
  MessageCache(RedisCache& cache, crypto::ClinicalCipher& cipher);

  // RedisCache::GetOrLoad for a message of type M, e.g. GetOrLoad<Goal>(clinic_id, "goal/" + id, load).
  // `clinic_id` is the clinic the message belongs to (required for types that are sealed).
  template <typename M>
  absl::StatusOr<M> GetOrLoad(absl::string_view clinic_id, absl::string_view key,
                              absl::FunctionRef<absl::StatusOr<M>()> load,
                              absl::Time deadline = absl::InfiniteFuture()) {
    return Typed<M>(/*versioned=*/false, clinic_id, key, load, deadline);
  }

  // RedisCache::GetOrLoadVersioned for a message of type M; BumpVersion after each committed write.
  template <typename M>
  absl::StatusOr<M> GetOrLoadVersioned(absl::string_view clinic_id, absl::string_view entity_key,
                                       absl::FunctionRef<absl::StatusOr<M>()> load,
                                       absl::Time deadline = absl::InfiniteFuture()) {
    return Typed<M>(/*versioned=*/true, clinic_id, entity_key, load, deadline);
  }

  absl::Status Invalidate(absl::string_view clinic_id, absl::string_view key) {
    return cache_.Invalidate(ScopedKey(clinic_id, key));
  }
  absl::StatusOr<int64_t> BumpVersion(absl::string_view clinic_id, absl::string_view entity_key) {
    return cache_.BumpVersion(ScopedKey(clinic_id, entity_key));
  }

  // Keys live under their clinic ("<clinic>/<key>"), so one clinic's entry can never answer another's read,
  // even for a type that is not sealed.
  static std::string ScopedKey(absl::string_view clinic_id, absl::string_view key);

  // True when values of this type are sealed before they reach Redis.
  bool Seals(const google::protobuf::Descriptor& descriptor);

 private:
  using MessageLoader = absl::FunctionRef<absl::Status(google::protobuf::Message&)>;

  template <typename M>
  absl::StatusOr<M> Typed(bool versioned, absl::string_view clinic_id, absl::string_view key,
                          absl::FunctionRef<absl::StatusOr<M>()> load, absl::Time deadline) {
    M out;
    absl::Status status = GetOrLoadMessage(
        versioned, clinic_id, key,
        [&load](google::protobuf::Message& into) -> absl::Status {
          absl::StatusOr<M> loaded = load();
          if (!loaded.ok()) return loaded.status();
          static_cast<M&>(into) = *std::move(loaded);
          return absl::OkStatus();
        },
        out, deadline);
    if (!status.ok()) return status;
    return out;
  }

  // Fills `out` (empty, of the loaded type) from the cache or from `load`.
  absl::Status GetOrLoadMessage(bool versioned, absl::string_view clinic_id, absl::string_view key,
                                MessageLoader load, google::protobuf::Message& out, absl::Time deadline);
  absl::StatusOr<std::string> Encode(bool seal, const std::string& clinic_id, const std::string& record_id,
                                     const google::protobuf::Message& message);
  absl::Status Decode(bool seal, const std::string& clinic_id, const std::string& record_id,
                      absl::string_view bytes, google::protobuf::Message& out);

  RedisCache& cache_;
  crypto::ClinicalCipher& cipher_;
  metrics::Counter& unreadable_;
  absl::Mutex mu_;
  absl::flat_hash_map<const google::protobuf::Descriptor*, bool> seals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_MESSAGE_CACHE_H_
