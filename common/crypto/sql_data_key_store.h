#ifndef TANDEM_COMMON_CRYPTO_SQL_DATA_KEY_STORE_H_
#define TANDEM_COMMON_CRYPTO_SQL_DATA_KEY_STORE_H_

#include "common/crypto/data_key_store.h"
#include "common/db/database.h"
#include "common/time/clock.h"

namespace tandem::crypto {

// Wrapped data keys in the owning service's database (table data_keys, see crypto_migrations.h).
class SqlDataKeyStore final : public DataKeyStore {
 public:
  explicit SqlDataKeyStore(db::Database& db, const Clock& clock = Clock::Real()) : db_(db), clock_(clock) {}

  absl::StatusOr<std::optional<WrappedDataKey>> Latest(const std::string& clinic_id) override;
  absl::StatusOr<std::optional<WrappedDataKey>> Get(const std::string& clinic_id, int version) override;
  absl::Status Insert(const WrappedDataKey& key) override;
  absl::StatusOr<std::vector<WrappedDataKey>> ListAll() override;
  absl::Status Rewrap(const WrappedDataKey& key, const std::string& expected_kek_id) override;
  absl::StatusOr<int> RenameKek(const std::string& from_id, const std::string& to_id) override;

 private:
  absl::StatusOr<std::optional<WrappedDataKey>> QueryOne(absl::string_view sql,
                                                         absl::Span<const db::Value> params);
  db::Database& db_;
  const Clock& clock_;
};

}  // namespace tandem::crypto

#endif  // TANDEM_COMMON_CRYPTO_SQL_DATA_KEY_STORE_H_
