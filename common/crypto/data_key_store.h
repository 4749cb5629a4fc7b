#ifndef TANDEM_COMMON_CRYPTO_DATA_KEY_STORE_H_
#define TANDEM_COMMON_CRYPTO_DATA_KEY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tandem::crypto {

// One clinic's data key as stored: wrapped (AES-256-GCM) by the key-encryption key named by kek_id.
struct WrappedDataKey {
  std::string clinic_id;
  int version = 0;
  std::string kek_id;
  std::string wrapped;
};

// Where wrapped data keys live (the owning service's database). Implementations must make Insert fail with
// ALREADY_EXISTS when (clinic_id, version) exists, so two replicas creating a clinic's first key agree on
// one.
class DataKeyStore {
 public:
  virtual ~DataKeyStore() = default;
  virtual absl::StatusOr<std::optional<WrappedDataKey>> Latest(const std::string& clinic_id) = 0;
  virtual absl::StatusOr<std::optional<WrappedDataKey>> Get(const std::string& clinic_id, int version) = 0;
  virtual absl::Status Insert(const WrappedDataKey& key) = 0;
  virtual absl::StatusOr<std::vector<WrappedDataKey>> ListAll() = 0;
  // Replaces the wrapping of one key, only if it is still wrapped by `expected_kek_id` (ABORTED otherwise).
  virtual absl::Status Rewrap(const WrappedDataKey& key, const std::string& expected_kek_id) = 0;
  // Renames a KEK in every row wrapped by it (the wrapping is unchanged); returns how many rows changed.
  virtual absl::StatusOr<int> RenameKek(const std::string& from_id, const std::string& to_id) = 0;
};

}  // namespace tandem::crypto

#endif  // TANDEM_COMMON_CRYPTO_DATA_KEY_STORE_H_
