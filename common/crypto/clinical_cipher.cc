#include "common/crypto/clinical_cipher.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"
#include "common/status/status_macros.h"

namespace tandem::crypto {
namespace {

constexpr char kFormatV1 = 0x01;
constexpr size_t kHeaderBytes = 5;

std::string RecordAssociatedData(absl::string_view clinic_id, absl::string_view record_id, int64_t version) {
  // Length-prefixed so that ("a|b", "c") and ("a", "b|c") never collide.
  return absl::StrCat("tandem.record.v1|", clinic_id.size(), ":", clinic_id, "|", record_id.size(), ":",
                      record_id, "|", version);
}

std::string DataKeyAssociatedData(absl::string_view clinic_id, int version) {
  return absl::StrCat("tandem.datakey.v1|", clinic_id.size(), ":", clinic_id, "|", version);
}

}  // namespace

absl::StatusOr<std::string> ClinicalCipher::Unwrap(const WrappedDataKey& wrapped) const {
  ASSIGN_OR_RETURN(const KeyEncryptionKey* kek, ring_.Find(wrapped.kek_id));
  return AesGcmOpen(kek->key, wrapped.wrapped, DataKeyAssociatedData(wrapped.clinic_id, wrapped.version));
}

absl::StatusOr<WrappedDataKey> ClinicalCipher::Wrap(const std::string& clinic_id, int version,
                                                    absl::string_view key) const {
  ASSIGN_OR_RETURN(std::string wrapped,
                   AesGcmSeal(ring_.primary().key, key, DataKeyAssociatedData(clinic_id, version)));
  return WrappedDataKey{clinic_id, version, ring_.primary().id, std::move(wrapped)};
}

absl::StatusOr<ClinicalCipher::DataKey> ClinicalCipher::CreateKey(const std::string& clinic_id, int version) {
  ASSIGN_OR_RETURN(std::string key, RandomBytes(kAes256KeyBytes));
  ASSIGN_OR_RETURN(WrappedDataKey wrapped, Wrap(clinic_id, version, key));
  absl::Status inserted = store_.Insert(wrapped);
  if (absl::IsAlreadyExists(inserted)) {
    // Another replica created this version first: use theirs.
    ASSIGN_OR_RETURN(std::string theirs, KeyForVersion(clinic_id, version));
    return DataKey{version, std::move(theirs)};
  }
  RETURN_IF_ERROR(inserted);
  return DataKey{version, std::move(key)};
}

absl::StatusOr<ClinicalCipher::DataKey> ClinicalCipher::LatestKey(const std::string& clinic_id) {
  {
    absl::MutexLock lock(&mu_);
    auto latest = latest_.find(clinic_id);
    if (latest != latest_.end()) {
      auto key = keys_.find(std::make_pair(clinic_id, latest->second));
      if (key != keys_.end()) return DataKey{latest->second, key->second};
    }
  }
  ASSIGN_OR_RETURN(std::optional<WrappedDataKey> stored, store_.Latest(clinic_id));
  DataKey key;
  if (stored.has_value()) {
    ASSIGN_OR_RETURN(std::string unwrapped, Unwrap(*stored));
    key = DataKey{stored->version, std::move(unwrapped)};
  } else {
    ASSIGN_OR_RETURN(key, CreateKey(clinic_id, 1));
  }
  absl::MutexLock lock(&mu_);
  keys_[std::make_pair(clinic_id, key.version)] = key.key;
  int& latest = latest_[clinic_id];
  latest = std::max(latest, key.version);
  return key;
}

absl::StatusOr<std::string> ClinicalCipher::KeyForVersion(const std::string& clinic_id, int version) {
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(std::make_pair(clinic_id, version));
    if (it != keys_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::optional<WrappedDataKey> stored, store_.Get(clinic_id, version));
  if (!stored.has_value()) return absl::DataLossError("data key for this record is missing");
  ASSIGN_OR_RETURN(std::string key, Unwrap(*stored));
  absl::MutexLock lock(&mu_);
  keys_[std::make_pair(clinic_id, version)] = key;
  return key;
}

absl::StatusOr<std::string> ClinicalCipher::Seal(const std::string& clinic_id, absl::string_view record_id,
                                                 int64_t record_version, absl::string_view plaintext) {
  if (clinic_id.empty() || record_id.empty()) {
    return absl::InvalidArgumentError("clinic and record id are required to seal");
  }
  ASSIGN_OR_RETURN(DataKey key, LatestKey(clinic_id));
  ASSIGN_OR_RETURN(std::string body, AesGcmSeal(key.key, plaintext,
                                                RecordAssociatedData(clinic_id, record_id, record_version)));
  std::string out;
  out.reserve(kHeaderBytes + body.size());
  out.push_back(kFormatV1);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((key.version >> shift) & 0xFF));
  }
  out.append(body);
  return out;
}

absl::StatusOr<std::string> ClinicalCipher::Open(const std::string& clinic_id, absl::string_view record_id,
                                                 int64_t record_version, absl::string_view sealed) {
  if (sealed.size() < kHeaderBytes || sealed[0] != kFormatV1) {
    return absl::DataLossError("unrecognised ciphertext format");
  }
  int version = 0;
  for (size_t i = 1; i < kHeaderBytes; ++i) version = (version << 8) | static_cast<unsigned char>(sealed[i]);
  ASSIGN_OR_RETURN(std::string key, KeyForVersion(clinic_id, version));
  return AesGcmOpen(key, sealed.substr(kHeaderBytes),
                    RecordAssociatedData(clinic_id, record_id, record_version));
}

absl::StatusOr<int> ClinicalCipher::RewrapAllDataKeys() {
  ASSIGN_OR_RETURN(std::vector<WrappedDataKey> all, store_.ListAll());
  int rewrapped = 0;
  for (const WrappedDataKey& stored : all) {
    if (stored.kek_id == ring_.primary().id) continue;
    ASSIGN_OR_RETURN(std::string key, Unwrap(stored));
    ASSIGN_OR_RETURN(WrappedDataKey fresh, Wrap(stored.clinic_id, stored.version, key));
    RETURN_IF_ERROR(store_.Rewrap(fresh, stored.kek_id));
    ++rewrapped;
  }
  return rewrapped;
}

absl::StatusOr<int> ClinicalCipher::AdoptLegacyKekIds() {
  int renamed = 0;
  for (const KeyEncryptionKey& kek : ring_.keys()) {
    ASSIGN_OR_RETURN(int rows, store_.RenameKek(LegacyKekId(kek.key), kek.id));
    renamed += rows;
  }
  return renamed;
}

absl::Status ClinicalCipher::RotateDataKey(const std::string& clinic_id) {
  ASSIGN_OR_RETURN(DataKey current, LatestKey(clinic_id));
  ASSIGN_OR_RETURN(DataKey next, CreateKey(clinic_id, current.version + 1));
  absl::MutexLock lock(&mu_);
  keys_[std::make_pair(clinic_id, next.version)] = next.key;
  latest_[clinic_id] = next.version;
  return absl::OkStatus();
}

}  // namespace tandem::crypto
