#include "common/db/outbox.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/advisory_lock.h"
#include "common/db/result_set.h"
#include "common/db/value.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"

namespace tandem::db {
namespace {

constexpr char kColumns[] =
    "seq, id, clinic_id, ordering_key, target, payload, state, attempts, created_at, next_attempt_at, "
    "settled_at, last_error, lease_token, lease_until";

constexpr char kPending[] = "pending";
constexpr char kDelivered[] = "delivered";
constexpr char kFailed[] = "failed";

// Both dialects store microseconds; comparing a stored time with a finer one would be off by the remainder.
absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

// The error of a failed attempt as stored: code and message, printable ASCII only (a remote message is not
// trusted to be valid UTF-8, which PostgreSQL text requires), and short.
std::string ErrorText(const absl::Status& error) {
  std::string text = absl::StrCat(absl::StatusCodeToString(error.code()), ": ", error.message());
  if (text.size() > Outbox::kMaxErrorBytes) text.resize(Outbox::kMaxErrorBytes);
  for (char& c : text) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return text;
}

absl::Status CheckId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("outbox message needs ", field));
  if (value.size() > Outbox::kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("outbox message ", field, " is longer than ", Outbox::kMaxIdBytes, " bytes"));
  }
  if (value.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("outbox message ", field, " contains a NUL byte"));
  }
  return absl::OkStatus();
}

absl::StatusOr<OutboxState> ParseState(absl::string_view name) {
  if (name == kPending) return OutboxState::kPending;
  if (name == kDelivered) return OutboxState::kDelivered;
  if (name == kFailed) return OutboxState::kFailed;
  return absl::InternalError("unknown outbox state");
}

absl::StatusOr<OutboxRow> FromRow(const Row& row) {
  OutboxRow r;
  ASSIGN_OR_RETURN(r.seq, row.GetInt64("seq"));
  ASSIGN_OR_RETURN(r.id, row.GetText("id"));
  ASSIGN_OR_RETURN(r.clinic_id, row.GetText("clinic_id"));
  ASSIGN_OR_RETURN(r.ordering_key, row.GetText("ordering_key"));
  ASSIGN_OR_RETURN(r.target, row.GetText("target"));
  ASSIGN_OR_RETURN(r.payload, row.GetBytes("payload"));
  ASSIGN_OR_RETURN(std::string state, row.GetText("state"));
  ASSIGN_OR_RETURN(r.state, ParseState(state));
  ASSIGN_OR_RETURN(int64_t attempts, row.GetInt64("attempts"));
  r.attempts = static_cast<int>(attempts);
  ASSIGN_OR_RETURN(r.created_at, row.GetTime("created_at"));
  ASSIGN_OR_RETURN(r.next_attempt_at, row.GetTime("next_attempt_at"));
  ASSIGN_OR_RETURN(r.settled_at, row.GetOptionalTime("settled_at"));
  ASSIGN_OR_RETURN(absl::optional<std::string> last_error, row.GetOptionalText("last_error"));
  r.last_error = last_error.value_or("");
  ASSIGN_OR_RETURN(absl::optional<std::string> lease_token, row.GetOptionalText("lease_token"));
  r.lease_token = lease_token.value_or("");
  ASSIGN_OR_RETURN(r.lease_until, row.GetOptionalTime("lease_until"));
  return r;
}

}  // namespace

absl::string_view OutboxStateName(OutboxState state) {
  switch (state) {
    case OutboxState::kPending:
      return kPending;
    case OutboxState::kDelivered:
      return kDelivered;
    case OutboxState::kFailed:
      return kFailed;
  }
  return "unknown";
}

absl::StatusOr<std::string> OutboxTargetService(absl::string_view target) {
  std::vector<absl::string_view> parts = absl::StrSplit(target, '/');
  // "/service/method" splits into "", service, method.
  if (parts.size() != 3 || !parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return absl::InvalidArgumentError("outbox target must be a gRPC method path /package.Service/Method");
  }
  for (char c : target) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '.' || c == '_' || c == '/';
    if (!allowed) {
      return absl::InvalidArgumentError("outbox target must be a gRPC method path /package.Service/Method");
    }
  }
  return std::string(parts[1]);
}

absl::Time Outbox::Now() const { return Micros(clock_.Now()); }

absl::StatusOr<std::string> Outbox::Enqueue(Transaction& tx, const OutboxMessage& message) const {
  if (tx.mode() != TxMode::kWrite) {
    return absl::FailedPreconditionError("outbox messages are enqueued in a write transaction");
  }
  RETURN_IF_ERROR(CheckId("clinic_id", message.clinic_id));
  RETURN_IF_ERROR(CheckId("ordering_key", message.ordering_key));
  if (message.target.size() > kMaxTargetBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("outbox target is longer than ", kMaxTargetBytes, " bytes"));
  }
  RETURN_IF_ERROR(OutboxTargetService(message.target).status());
  if (message.payload.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("outbox payload is larger than ", kMaxPayloadBytes, " bytes"));
  }
  // Held until this transaction ends: a second writer of the key takes its sequence number only after this
  // one committed, so a relay can never see the later message while the earlier one is still in flight.
  RETURN_IF_ERROR(LockForTransaction(tx, absl::StrCat("tandem.outbox/", message.ordering_key)));
  const absl::Time now = Now();
  std::string id = NewUuidV7(clock_);
  std::string payload = message.payload;
  if (cipher_ != nullptr) {
    ASSIGN_OR_RETURN(payload,
                     cipher_->Seal(message.clinic_id, absl::StrCat("outbox/", id), 1, message.payload));
  }
  RETURN_IF_ERROR(
      tx.Execute("INSERT INTO outbox (id, clinic_id, ordering_key, target, payload, state, attempts, "
                 "next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
                 {id, message.clinic_id, message.ordering_key, message.target, Bytes{payload}, kPending, now})
          .status());
  return id;
}

absl::StatusOr<OutboxRow> Outbox::Get(Database& db, absl::string_view id) const {
  if (!IsUuid(id)) return absl::NotFoundError("outbox message not found");
  absl::optional<OutboxRow> found;
  RETURN_IF_ERROR(db.RunInTransaction(TxMode::kRead, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ResultSet rows,
                     tx.Execute(absl::StrCat("SELECT ", kColumns, " FROM outbox WHERE id = $1"), {id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(found, FromRow(rows[0]));
    return absl::OkStatus();
  }));
  if (!found.has_value()) return absl::NotFoundError("outbox message not found");
  RETURN_IF_ERROR(OpenPayload(*found));
  return *std::move(found);
}

absl::Status Outbox::OpenPayload(OutboxRow& row) const {
  if (cipher_ == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(row.payload,
                   cipher_->Open(row.clinic_id, absl::StrCat("outbox/", row.id), 1, row.payload));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxRow>> Outbox::Claim(Database& db, int limit, absl::Duration lease) const {
  if (limit <= 0) return absl::InvalidArgumentError("claim limit must be positive");
  if (lease <= absl::ZeroDuration()) return absl::InvalidArgumentError("lease must be positive");
  const absl::Time now = Now();
  const absl::Time lease_until = Micros(now + lease);
  // One token per claim: settling proves this very claim, not merely the same relay.
  const std::string token = NewUuidV7(clock_);
  std::vector<OutboxRow> claimed;
  RETURN_IF_ERROR(db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    claimed.clear();
    // The head of each key: the earliest message not yet settled. Only it may be delivered, and only when
    // due and not held by a live lease. On PostgreSQL, rows another relay is claiming right now are skipped
    // rather than waited for.
    ASSIGN_OR_RETURN(
        ResultSet heads,
        tx.Execute(
            absl::StrCat("SELECT ", kColumns,
                         " FROM outbox WHERE seq IN (SELECT MIN(seq) FROM outbox WHERE state = 'pending' "
                         "GROUP BY ordering_key) AND next_attempt_at <= $1 AND "
                         "(lease_until IS NULL OR lease_until < $1) ORDER BY seq LIMIT $2",
                         tx.dialect() == Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : ""),
            {now, limit}));
    for (const Row& head : heads) {
      ASSIGN_OR_RETURN(OutboxRow row, FromRow(head));
      // Conditional, so a concurrent relay that got there first wins and this one leaves the row alone. The
      // head condition is checked again against the row's own key for the same reason.
      ASSIGN_OR_RETURN(
          ResultSet updated,
          tx.Execute(
              "UPDATE outbox SET lease_token = $1, lease_until = $2, attempts = attempts + 1 "
              "WHERE seq = $3 AND state = 'pending' AND next_attempt_at <= $4 AND "
              "(lease_until IS NULL OR lease_until < $4) AND NOT EXISTS (SELECT 1 FROM outbox e "
              "WHERE e.ordering_key = outbox.ordering_key AND e.state = 'pending' AND e.seq < outbox.seq) "
              "RETURNING attempts",
              {token, lease_until, row.seq, now}));
      if (updated.empty()) continue;
      ASSIGN_OR_RETURN(int64_t attempts, updated[0].GetInt64(0));
      row.attempts = static_cast<int>(attempts);
      row.lease_token = token;
      row.lease_until = lease_until;
      claimed.push_back(std::move(row));
    }
    return absl::OkStatus();
  }));
  for (OutboxRow& row : claimed) RETURN_IF_ERROR(OpenPayload(row));
  return claimed;
}

absl::StatusOr<bool> Outbox::Settle(Database& db, const OutboxRow& claimed, absl::string_view set_clause,
                                    std::vector<Value> params) const {
  if (claimed.lease_token.empty()) return absl::FailedPreconditionError("outbox row was not claimed");
  params.insert(params.begin(), {claimed.seq, claimed.lease_token});
  bool settled = false;
  RETURN_IF_ERROR(db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ResultSet result,
                     tx.Execute(absl::StrCat("UPDATE outbox SET ", set_clause,
                                             ", lease_token = NULL, lease_until = NULL "
                                             "WHERE seq = $1 AND state = 'pending' AND lease_token = $2"),
                                params));
    settled = result.affected_rows() == 1;
    return absl::OkStatus();
  }));
  return settled;
}

absl::StatusOr<bool> Outbox::MarkDelivered(Database& db, const OutboxRow& claimed) const {
  return Settle(db, claimed, "state = $3, settled_at = $4, last_error = NULL", {kDelivered, Now()});
}

absl::StatusOr<bool> Outbox::MarkFailed(Database& db, const OutboxRow& claimed,
                                        const absl::Status& error) const {
  return Settle(db, claimed, "state = $3, settled_at = $4, last_error = $5",
                {kFailed, Now(), ErrorText(error)});
}

absl::StatusOr<bool> Outbox::Retry(Database& db, const OutboxRow& claimed, absl::Time next_attempt_at,
                                   const absl::Status& error) const {
  return Settle(db, claimed, "next_attempt_at = $3, last_error = $4",
                {Micros(next_attempt_at), ErrorText(error)});
}

absl::StatusOr<bool> Outbox::Release(Database& db, const OutboxRow& claimed) const {
  return Settle(db, claimed, "attempts = attempts - 1", {});
}

absl::StatusOr<int> Outbox::DeleteDelivered(Database& db, absl::Duration retention, int limit) const {
  if (limit <= 0) return absl::InvalidArgumentError("limit must be positive");
  const absl::Time cutoff = Now() - retention;
  int deleted = 0;
  RETURN_IF_ERROR(db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(
        ResultSet result,
        tx.Execute("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE state = 'delivered' "
                   "AND settled_at < $1 ORDER BY settled_at LIMIT $2)",
                   {cutoff, limit}));
    deleted = static_cast<int>(result.affected_rows());
    return absl::OkStatus();
  }));
  return deleted;
}

}  // namespace tandem::db
