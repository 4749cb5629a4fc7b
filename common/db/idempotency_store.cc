#include "common/db/idempotency_store.h"

#include <openssl/sha.h>

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/db/value.h"
#include "common/status/field_violations.h"
#include "common/status/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace tandem::db {
namespace {

constexpr char kWhereKey[] = "clinic_id = $1 AND caller = $2 AND rpc = $3 AND idem_key = $4";

absl::Status Validate(const IdempotencyKey& key) {
  if (key.clinic_id.empty() || key.caller.empty() || key.rpc.empty()) {
    return absl::InvalidArgumentError("idempotency key needs clinic_id, caller and rpc");
  }
  FieldViolations v;
  if (key.key.empty()) {
    v.Add("idempotency_key", "is required");
  } else if (key.key.size() > IdempotencyStore::kMaxKeyBytes) {
    v.Add("idempotency_key", absl::StrCat("must be at most ", IdempotencyStore::kMaxKeyBytes, " bytes"));
  } else if (absl::StrContains(key.key, '\0')) {
    v.Add("idempotency_key", "must not contain NUL characters");  // Text columns cannot hold them.
  }
  return v.ToStatus();
}

}  // namespace

std::string RequestHash(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    // Map entries are otherwise serialized in hash order, so equal requests could hash differently.
    coded.SetSerializationDeterministic(true);
    request.SerializePartialToCodedStream(&coded);
  }
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<std::optional<std::string>> IdempotencyStore::Find(Transaction& tx, const IdempotencyKey& key,
                                                                  absl::string_view request_hash) const {
  RETURN_IF_ERROR(Validate(key));
  ASSIGN_OR_RETURN(
      ResultSet found,
      tx.Execute(absl::StrCat("SELECT request_hash, response FROM idempotency_keys WHERE ", kWhereKey),
                 {key.clinic_id, key.caller, key.rpc, key.key}));
  if (found.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::string stored_hash, found[0].GetText(0));
  if (stored_hash != request_hash) {
    return absl::AlreadyExistsError("idempotency key was already used with a different request");
  }
  ASSIGN_OR_RETURN(auto response, found[0].GetOptionalBytes(1));
  if (!response.has_value()) return std::nullopt;  // still being written by another transaction
  return std::optional<std::string>(*std::move(response));
}

absl::StatusOr<std::optional<std::string>> IdempotencyStore::Begin(Transaction& tx, const IdempotencyKey& key,
                                                                   absl::string_view request_hash) const {
  RETURN_IF_ERROR(Validate(key));
  if (tx.mode() != TxMode::kWrite) {
    return absl::FailedPreconditionError("idempotency keys are claimed in a write transaction");
  }
  // Microseconds: what both dialects store.
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  // A key found taken may be swept by DeleteExpired before it is read; then it is free to claim again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    // On PostgreSQL a conflict with a key that another transaction inserted and has not finished waits for
    // it: DO NOTHING when it commits, insert when it rolls back. SQLite has no concurrent writer to wait for.
    ASSIGN_OR_RETURN(
        ResultSet inserted,
        tx.Execute("INSERT INTO idempotency_keys (clinic_id, caller, rpc, idem_key, request_hash, "
                   "response, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7) "
                   "ON CONFLICT (clinic_id, caller, rpc, idem_key) DO NOTHING",
                   {key.clinic_id, key.caller, key.rpc, key.key, request_hash, now, now + retention_}));
    if (inserted.affected_rows() == 1) return std::nullopt;

    // Under READ COMMITTED each statement takes a new snapshot, so this sees the row the INSERT waited for.
    ASSIGN_OR_RETURN(
        ResultSet found,
        tx.Execute(absl::StrCat("SELECT request_hash, response FROM idempotency_keys WHERE ", kWhereKey),
                   {key.clinic_id, key.caller, key.rpc, key.key}));
    if (found.empty()) continue;
    ASSIGN_OR_RETURN(std::string stored_hash, found[0].GetText(0));
    if (stored_hash != request_hash) {
      return absl::AlreadyExistsError("idempotency key was already used with a different request");
    }
    ASSIGN_OR_RETURN(auto response, found[0].GetOptionalBytes(1));
    // A claim commits together with its response, so only this same transaction can see a claim without one
    // (Begin called twice for one key); never hand out an empty response as if it were the first.
    if (!response.has_value()) {
      return absl::AbortedError("idempotency key is held by a request still in progress; retry");
    }
    return std::optional<std::string>(*std::move(response));
  }
  return absl::AbortedError("idempotency key was removed while being claimed; retry");
}

absl::Status IdempotencyStore::Complete(Transaction& tx, const IdempotencyKey& key,
                                        absl::string_view response) const {
  RETURN_IF_ERROR(Validate(key));
  ASSIGN_OR_RETURN(ResultSet updated,
                   tx.Execute(absl::StrCat("UPDATE idempotency_keys SET response = $5 WHERE ", kWhereKey,
                                           " AND response IS NULL"),
                              {key.clinic_id, key.caller, key.rpc, key.key, Bytes{std::string(response)}}));
  if (updated.affected_rows() != 1) {
    return absl::FailedPreconditionError(
        "idempotency key was not claimed by this transaction or has a response");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> IdempotencyStore::DeleteExpired(Database& db, int limit) const {
  if (limit <= 0) return 0;
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  int deleted = 0;
  // Neither dialect has a portable DELETE ... LIMIT; the subquery picks the oldest through the expiry index.
  RETURN_IF_ERROR(db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ResultSet result,
                     tx.Execute("DELETE FROM idempotency_keys WHERE (clinic_id, caller, rpc, idem_key) IN ("
                                "SELECT clinic_id, caller, rpc, idem_key FROM idempotency_keys "
                                "WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)",
                                {now, limit}));
    deleted = static_cast<int>(result.affected_rows());
    return absl::OkStatus();
  }));
  return deleted;
}

}  // namespace tandem::db
