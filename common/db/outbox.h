#ifndef TANDEM_COMMON_DB_OUTBOX_H_
#define TANDEM_COMMON_DB_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "common/crypto/clinical_cipher.h"
#include "common/db/database.h"
#include "common/db/transaction.h"
#include "common/time/clock.h"

namespace tandem::db {

// A call to another service that must happen because of a write, recorded with that write.
struct OutboxMessage {
  std::string clinic_id;
  // Messages sharing a key are delivered strictly in the order they were enqueued, e.g. "appointment/<id>".
  std::string ordering_key;
  // The full gRPC method path: "/tandem.reminders.v1.ReminderService/ScheduleReminder".
  std::string target;
  // The serialized request, sent as is. With a cipher the outbox stores it sealed with the clinic's data key
  // (bound to the message id) and opens it only to send it: a request holds the same clinical text and
  // personal data as the record it came from.
  std::string payload;
};

enum class OutboxState { kPending, kDelivered, kFailed };

// "pending", "delivered" or "failed": the values of the state column.
absl::string_view OutboxStateName(OutboxState state);

// One stored message as the relay and operators see it.
struct OutboxRow {
  int64_t seq = 0;  // The delivery order.
  std::string id;   // UUIDv7; also the idempotency key the receiver deduplicates by.
  std::string clinic_id;
  std::string ordering_key;
  std::string target;
  std::string payload;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;  // Claims so far, the one in progress included.
  absl::Time created_at;
  absl::Time next_attempt_at;
  absl::optional<absl::Time> settled_at;
  std::string last_error;  // Code and message of the last failed attempt; empty when there was none.
  // Set on rows returned by Claim: what proves the claim when settling, and when it runs out.
  std::string lease_token;
  absl::optional<absl::Time> lease_until;
};

// The service name of a target ("/a.b.Service/Method" -> "a.b.Service"), or INVALID_ARGUMENT when `target`
// is not a gRPC method path.
absl::StatusOr<std::string> OutboxTargetService(absl::string_view target);

// The transactional outbox (table outbox, created by the `outbox` migrations in
// common/db/outbox_migrations.h): a message enqueued in the transaction of the write that causes it commits
// or vanishes with that write, and the relay (outbox_relay.h) delivers it afterwards, at least once.
//
// Ordering: within an ordering key a message is claimable only when every earlier message of that key is
// settled (delivered or failed), so a message being retried holds back its followers. Sequence numbers of
// one key follow commit order: SQLite has one writer, and on PostgreSQL Enqueue takes a transaction-scoped
// advisory lock on the key, so two transactions enqueuing for one key commit one after the other (and a
// relay never sees a later message before an earlier one that is still uncommitted).
//
// Claiming is a conditional UPDATE that sets a lease, so several relays (threads or processes) share one
// table: a claimed message is not claimed again until it is settled or its lease has run out. Stateless and
// thread-safe; the Clock must outlive it.
class Outbox {
 public:
  static constexpr size_t kMaxIdBytes = 200;  // clinic_id and ordering_key
  static constexpr size_t kMaxTargetBytes = 300;
  static constexpr size_t kMaxPayloadBytes = 4 << 20;  // gRPC's default largest message
  static constexpr size_t kMaxErrorBytes = 300;

  // Services pass the runtime's cipher. Enqueue seals inside the caller's transaction, so the clinic's data
  // key must already exist — it does once the service sealed the record the message comes from (creating the
  // first key writes in a transaction of its own).
  explicit Outbox(const Clock& clock = Clock::Real(), crypto::ClinicalCipher* cipher = nullptr)
      : clock_(clock), cipher_(cipher) {}

  // Adds `message` inside the caller's write transaction and returns its id (UUIDv7). INVALID_ARGUMENT for
  // an empty or too long clinic_id or ordering_key, a target that is not a method path, or a payload over
  // kMaxPayloadBytes; FAILED_PRECONDITION for a read transaction.
  absl::StatusOr<std::string> Enqueue(Transaction& tx, const OutboxMessage& message) const;

  // One message by id, in any state (NOT_FOUND once swept or never enqueued).
  absl::StatusOr<OutboxRow> Get(Database& db, absl::string_view id) const;

  // Leases up to `limit` due messages for `lease`, in a write transaction of its own: the oldest unsettled
  // message of each ordering key whose next attempt is due and which no live lease holds, oldest first. Each
  // returned row carries its lease_token and attempts counts this claim.
  absl::StatusOr<std::vector<OutboxRow>> Claim(Database& db, int limit, absl::Duration lease) const;

  // Settle a claimed row. Each returns false, changing nothing, when the lease was lost (it ran out and
  // another relay claimed the message again, which will settle it).
  absl::StatusOr<bool> MarkDelivered(Database& db, const OutboxRow& claimed) const;
  // Settled for good after a permanent error; followers proceed.
  absl::StatusOr<bool> MarkFailed(Database& db, const OutboxRow& claimed, const absl::Status& error) const;
  // Stays pending, due again at `next_attempt_at`; followers keep waiting.
  absl::StatusOr<bool> Retry(Database& db, const OutboxRow& claimed, absl::Time next_attempt_at,
                             const absl::Status& error) const;
  // Gives the claim back unused (nothing was sent), due at once, the attempt not counted.
  absl::StatusOr<bool> Release(Database& db, const OutboxRow& claimed) const;

  // Deletes up to `limit` delivered messages settled more than `retention` ago, in a transaction of its own,
  // oldest first, and returns how many (call again while it returns `limit`). Failed messages are kept for
  // operators to look at.
  absl::StatusOr<int> DeleteDelivered(Database& db, absl::Duration retention, int limit = 1000) const;

 private:
  absl::Time Now() const;
  absl::StatusOr<bool> Settle(Database& db, const OutboxRow& claimed, absl::string_view set_clause,
                              std::vector<Value> params) const;
  absl::Status OpenPayload(OutboxRow& row) const;

  const Clock& clock_;
  crypto::ClinicalCipher* cipher_;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_OUTBOX_H_
