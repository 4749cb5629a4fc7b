#ifndef TANDEM_COMMON_CRYPTO_CLINICAL_CIPHER_H_
#define TANDEM_COMMON_CRYPTO_CLINICAL_CIPHER_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/data_key_store.h"
#include "common/crypto/key_encryption_key.h"

namespace tandem::crypto {

// Envelope encryption of clinical free text: each clinic has data keys (AES-256), wrapped by the
// key-encryption key and stored through a DataKeyStore; text is sealed with the clinic's latest data key. The
// associated data binds a ciphertext to (clinic, record id, record version), so a ciphertext copied onto
// another record, another clinic or an older version fails to open instead of showing the wrong person's
// notes.
//
// Sealed layout: 0x01 | data-key version (4 bytes, big endian) | nonce | ciphertext | tag.
class ClinicalCipher {
 public:
  ClinicalCipher(KeyRing ring, DataKeyStore& store) : ring_(std::move(ring)), store_(store) {}

  absl::StatusOr<std::string> Seal(const std::string& clinic_id, absl::string_view record_id,
                                   int64_t record_version, absl::string_view plaintext);
  // DATA_LOSS when the ciphertext was altered or belongs to another record/version/clinic.
  absl::StatusOr<std::string> Open(const std::string& clinic_id, absl::string_view record_id,
                                   int64_t record_version, absl::string_view sealed);

  // Re-wraps every data key under the ring's primary KEK. Ciphertext is untouched; data keys are unchanged.
  // Returns how many keys were re-wrapped. Safe to run again (keys already under the primary are skipped).
  absl::StatusOr<int> RewrapAllDataKeys();

  // Renames, in the store, the rows that name a ring key by its legacy id (a public SHA-256 fingerprint of
  // the key) to its current id. Run at start; safe to run again. Returns how many rows were renamed.
  absl::StatusOr<int> AdoptLegacyKekIds();

  // Starts a new data key version for a clinic: new text is sealed with it, old text still opens.
  absl::Status RotateDataKey(const std::string& clinic_id);

 private:
  struct DataKey {
    int version;
    std::string key;
  };
  absl::StatusOr<DataKey> LatestKey(const std::string& clinic_id);
  absl::StatusOr<std::string> KeyForVersion(const std::string& clinic_id, int version);
  absl::StatusOr<std::string> Unwrap(const WrappedDataKey& wrapped) const;
  absl::StatusOr<WrappedDataKey> Wrap(const std::string& clinic_id, int version, absl::string_view key) const;
  absl::StatusOr<DataKey> CreateKey(const std::string& clinic_id, int version);

  KeyRing ring_;
  DataKeyStore& store_;
  absl::Mutex mu_;
  // Unwrapped data keys by (clinic, version), and each clinic's latest version: unwrapping is a store read
  // plus a decryption, too slow for every note.
  absl::flat_hash_map<std::pair<std::string, int>, std::string> keys_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::crypto

#endif  // TANDEM_COMMON_CRYPTO_CLINICAL_CIPHER_H_
