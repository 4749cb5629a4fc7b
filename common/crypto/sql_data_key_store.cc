#include "common/crypto/sql_data_key_store.h"

#include "common/status/status_macros.h"

namespace tandem::crypto {
namespace {

constexpr char kColumns[] = "clinic_id, version, kek_id, wrapped";

absl::StatusOr<WrappedDataKey> FromRow(const db::Row& row) {
  WrappedDataKey key;
  ASSIGN_OR_RETURN(key.clinic_id, row.GetText("clinic_id"));
  ASSIGN_OR_RETURN(int64_t version, row.GetInt64("version"));
  key.version = static_cast<int>(version);
  ASSIGN_OR_RETURN(key.kek_id, row.GetText("kek_id"));
  ASSIGN_OR_RETURN(key.wrapped, row.GetBytes("wrapped"));
  return key;
}

}  // namespace

absl::StatusOr<std::optional<WrappedDataKey>> SqlDataKeyStore::QueryOne(absl::string_view sql,
                                                                        absl::Span<const db::Value> params) {
  std::optional<WrappedDataKey> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows, tx.Execute(sql, params));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(result, FromRow(rows[0]));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::optional<WrappedDataKey>> SqlDataKeyStore::Latest(const std::string& clinic_id) {
  return QueryOne(std::string("SELECT ") + kColumns +
                      " FROM data_keys WHERE clinic_id = $1 ORDER BY version DESC LIMIT 1",
                  {db::Value(clinic_id)});
}

absl::StatusOr<std::optional<WrappedDataKey>> SqlDataKeyStore::Get(const std::string& clinic_id,
                                                                   int version) {
  return QueryOne(std::string("SELECT ") + kColumns + " FROM data_keys WHERE clinic_id = $1 AND version = $2",
                  {db::Value(clinic_id), db::Value(version)});
}

absl::Status SqlDataKeyStore::Insert(const WrappedDataKey& key) {
  return db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    return tx
        .Execute(
            "INSERT INTO data_keys (clinic_id, version, kek_id, wrapped, created_at) VALUES ($1, $2, $3, $4, "
            "$5)",
            {db::Value(key.clinic_id), db::Value(key.version), db::Value(key.kek_id),
             db::Value(db::Bytes{key.wrapped}), db::Value(clock_.Now())})
        .status();
  });
}

absl::StatusOr<std::vector<WrappedDataKey>> SqlDataKeyStore::ListAll() {
  std::vector<WrappedDataKey> keys;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows, tx.Execute(std::string("SELECT ") + kColumns +
                                                    " FROM data_keys ORDER BY clinic_id, version"));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(WrappedDataKey key, FromRow(row));
      keys.push_back(std::move(key));
    }
    return absl::OkStatus();
  }));
  return keys;
}

absl::Status SqlDataKeyStore::Rewrap(const WrappedDataKey& key, const std::string& expected_kek_id) {
  return db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::ResultSet result,
        tx.Execute("UPDATE data_keys SET kek_id = $1, wrapped = $2 "
                   "WHERE clinic_id = $3 AND version = $4 AND kek_id = $5",
                   {db::Value(key.kek_id), db::Value(db::Bytes{key.wrapped}), db::Value(key.clinic_id),
                    db::Value(key.version), db::Value(expected_kek_id)}));
    if (result.affected_rows() != 1) {
      return absl::AbortedError("data key changed during rotation; run it again");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int> SqlDataKeyStore::RenameKek(const std::string& from_id, const std::string& to_id) {
  int renamed = 0;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet result, tx.Execute("UPDATE data_keys SET kek_id = $1 WHERE kek_id = $2",
                                                      {db::Value(to_id), db::Value(from_id)}));
    renamed = static_cast<int>(result.affected_rows());
    return absl::OkStatus();
  }));
  return renamed;
}

}  // namespace tandem::crypto
