#include "common/redis/message_cache.h"

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/log/redact.h"
#include "google/protobuf/any.pb.h"

namespace tandem::redis {
namespace {

// The first byte of every value says how the rest was written, so a type whose fields became sensitive
// after its plain values were cached never reads those as if they had been sealed (or the reverse).
constexpr char kSealedTag = 'S';
constexpr char kPlainTag = 'P';
// Cached values are not versioned records; versioned entities carry their version in the key.
constexpr int64_t kRecordVersion = 1;

bool HoldsAny(const google::protobuf::Descriptor& descriptor,
              std::set<const google::protobuf::Descriptor*>& seen) {
  if (&descriptor == google::protobuf::Any::descriptor()) return true;
  if (!seen.insert(&descriptor).second) return false;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const google::protobuf::Descriptor* nested = descriptor.field(i)->message_type();
    if (nested != nullptr && HoldsAny(*nested, seen)) return true;
  }
  return false;
}

}  // namespace

MessageCache::MessageCache(RedisCache& cache, crypto::ClinicalCipher& cipher)
    : cache_(cache),
      cipher_(cipher),
      unreadable_(cache.registry()
                      .AddCounter("tandem_cache_unreadable_total",
                                  "Cached messages that did not open or parse and were loaded again.",
                                  {"cache"})
                      .WithLabels({cache.name()})) {}

bool MessageCache::Seals(const google::protobuf::Descriptor& descriptor) {
  absl::MutexLock lock(&mu_);
  auto it = seals_.find(&descriptor);
  if (it != seals_.end()) return it->second;
  std::set<const google::protobuf::Descriptor*> seen;
  const bool seals = log::HasSensitiveFields(descriptor) || HoldsAny(descriptor, seen);
  seals_.emplace(&descriptor, seals);
  return seals;
}

std::string MessageCache::ScopedKey(absl::string_view clinic_id, absl::string_view key) {
  return clinic_id.empty() ? std::string(key) : absl::StrCat(clinic_id, "/", key);
}

absl::Status MessageCache::GetOrLoadMessage(bool versioned, absl::string_view clinic_id,
                                            absl::string_view key, MessageLoader load,
                                            google::protobuf::Message& out, absl::Time deadline) {
  const bool seal = Seals(*out.GetDescriptor());
  if (seal && clinic_id.empty()) {
    return absl::InvalidArgumentError("a sealed cache value needs its clinic id");
  }
  const std::string clinic(clinic_id);
  const std::string scoped = ScopedKey(clinic_id, key);
  const std::string record_id = absl::StrCat(versioned ? "versioned:" : "key:", cache_.prefix(), scoped, "#",
                                             out.GetDescriptor()->full_name());

  // Set when this call's own loader ran: its message is returned as is, without opening what it just sealed.
  std::unique_ptr<google::protobuf::Message> loaded_here;
  auto load_bytes = [&]() -> absl::StatusOr<std::string> {
    std::unique_ptr<google::protobuf::Message> fresh(out.New());
    if (absl::Status status = load(*fresh); !status.ok()) return status;
    absl::StatusOr<std::string> encoded = Encode(seal, clinic, record_id, *fresh);
    if (encoded.ok()) loaded_here = std::move(fresh);
    return encoded;
  };
  absl::StatusOr<std::string> bytes = versioned ? cache_.GetOrLoadVersioned(scoped, load_bytes, deadline)
                                                : cache_.GetOrLoad(scoped, load_bytes, deadline);
  if (!bytes.ok()) return bytes.status();
  if (loaded_here != nullptr) {
    out.GetReflection()->Swap(&out, loaded_here.get());
    return absl::OkStatus();
  }
  if (Decode(seal, clinic, record_id, *bytes, out).ok()) return absl::OkStatus();

  unreadable_.Increment();
  // A versioned entry cannot be named here; it dies with its ttl or the next bump.
  if (!versioned) cache_.Invalidate(scoped).IgnoreError();
  out.Clear();
  return load(out);
}

absl::StatusOr<std::string> MessageCache::Encode(bool seal, const std::string& clinic_id,
                                                 const std::string& record_id,
                                                 const google::protobuf::Message& message) {
  std::string serialized;
  if (!message.SerializeToString(&serialized)) return absl::InternalError("cache value did not serialize");
  if (!seal) return absl::StrCat(absl::string_view(&kPlainTag, 1), serialized);
  absl::StatusOr<std::string> sealed = cipher_.Seal(clinic_id, record_id, kRecordVersion, serialized);
  if (!sealed.ok()) return sealed.status();
  return absl::StrCat(absl::string_view(&kSealedTag, 1), *sealed);
}

absl::Status MessageCache::Decode(bool seal, const std::string& clinic_id, const std::string& record_id,
                                  absl::string_view bytes, google::protobuf::Message& out) {
  if (bytes.empty() || bytes.front() != (seal ? kSealedTag : kPlainTag)) {
    return absl::DataLossError("cache value has the wrong format");
  }
  bytes.remove_prefix(1);
  std::string opened;
  if (seal) {
    absl::StatusOr<std::string> plain = cipher_.Open(clinic_id, record_id, kRecordVersion, bytes);
    if (!plain.ok()) return plain.status();
    opened = *std::move(plain);
    bytes = opened;
  }
  out.Clear();
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    out.Clear();
    return absl::DataLossError("cache value does not parse");
  }
  return absl::OkStatus();
}

}  // namespace tandem::redis
