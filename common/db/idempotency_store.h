#ifndef TANDEM_COMMON_DB_IDEMPOTENCY_STORE_H_
#define TANDEM_COMMON_DB_IDEMPOTENCY_STORE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/db/database.h"
#include "common/db/transaction.h"
#include "common/time/clock.h"
#include "google/protobuf/message.h"

namespace tandem::db {

// Idempotency keys are unique per (clinic, caller, RPC): two callers, or two RPCs, may pick the same key.
struct IdempotencyKey {
  std::string clinic_id;
  std::string caller;
  std::string rpc;
  std::string key;  // The client's key; 1 to 200 bytes.
};

// The lowercase hex SHA-256 of `request`'s deterministic serialization: what a reused key's request is
// compared by.
std::string RequestHash(const google::protobuf::Message& request);

// The first response of each retried write, in the service's own database (table idempotency_keys, created by
// the `idempotency` migrations in common/db/idempotency_migrations.h). The key is stored in the very
// transaction whose write it guards, so the write and its recorded response commit (or vanish) together:
//
//   RETURN_IF_ERROR(db.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
//     ASSIGN_OR_RETURN(std::optional<std::string> earlier, store.Begin(tx, key, db::RequestHash(request)));
//     if (earlier.has_value()) return DecodeResponse(*earlier, &response);  // A retry: nothing is written.
//     RETURN_IF_ERROR(Write(tx, request, &response));
//     return store.Complete(tx, key, EncodeResponse(response));
//   }));
//
// Keys are kept for `retention` after their first use and then removed by DeleteExpired; until removed they
// still count. Thread-safe; the Clock must outlive it.
class IdempotencyStore {
 public:
  static constexpr size_t kMaxKeyBytes = 200;

  explicit IdempotencyStore(const Clock& clock = Clock::Real(), absl::Duration retention = absl::Hours(24))
      : clock_(clock), retention_(retention) {}

  // Claims `key` for the write transaction `tx`; call it before the write it guards. Returns nullopt when the
  // key is new: the caller does its write and calls Complete in the same transaction. When the key was used
  // before with the same `request_hash`, returns that first response (the caller returns it and writes
  // nothing); with a different hash, ALREADY_EXISTS. A concurrent transaction holding the same key makes
  // this wait for it to finish (PostgreSQL; SQLite runs one writer at a time), so exactly one of them writes.
  // INVALID_ARGUMENT (on field `idempotency_key`) for an empty key or one over kMaxKeyBytes.
  absl::StatusOr<std::optional<std::string>> Begin(Transaction& tx, const IdempotencyKey& key,
                                                   absl::string_view request_hash) const;

  // A read-only look at `key` for checks that must not refuse a retry (a booking's "not in the past" would
  // refuse the retry of a booking made a minute ago): the first response when the key was used with the same
  // `request_hash`, nullopt when it is unused, ALREADY_EXISTS when it was used with another request. Begin
  // in the write transaction still decides; this only lets a handler skip checks that no longer apply.
  absl::StatusOr<std::optional<std::string>> Find(Transaction& tx, const IdempotencyKey& key,
                                                  absl::string_view request_hash) const;

  // Records `response` for a key this transaction claimed with Begin. The bytes are stored as given: a
  // response holding sensitive fields must be sealed by the caller first. FAILED_PRECONDITION when the key
  // was not claimed in this transaction or already has a response (a response is never overwritten).
  absl::Status Complete(Transaction& tx, const IdempotencyKey& key, absl::string_view response) const;

  // Deletes up to `limit` keys whose retention has passed, in a transaction of its own, oldest first, and
  // returns how many it deleted (call again while it returns `limit`).
  absl::StatusOr<int> DeleteExpired(Database& db, int limit = 1000) const;

 private:
  const Clock& clock_;
  absl::Duration retention_;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_IDEMPOTENCY_STORE_H_
