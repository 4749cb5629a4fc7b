#include "services/reminders/store/sql_reminder_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "common/crypto/sensitive_fields.h"
#include "common/db/advisory_lock.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"

namespace tandem::reminders {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int64_t kRecordVersion = 1;  // reminders' sealed fields never change after scheduling
constexpr int kMaxPageSize = 200;
constexpr char kScheduleRpc[] = "ScheduleReminder";
constexpr char kColumns[] =
    "reminder_id, clinic_id, owner_ref, channel, sealed, recipient_sealed, template_id, params_sealed, "
    "time_zone, quiet_start_min, quiet_end_min, due_at, next_attempt_at, state, attempts, dead_reason, "
    "delivered_at, created_at, delivery_id, owner_generation";
// A listing returns no recipient and no parameters, so it neither reads nor opens the sealed columns.
constexpr char kListColumns[] =
    "reminder_id, clinic_id, owner_ref, channel, template_id, time_zone, quiet_start_min, quiet_end_min, "
    "due_at, next_attempt_at, state, attempts, dead_reason, delivered_at, created_at, delivery_id, "
    "owner_generation";

crypto::SealBinding BindingOf(const ReminderProto& r) {
  return {r.clinic_id(), r.reminder_id(), kRecordVersion};
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

int MinuteOfDay(const tandem::common::v1::CivilTime& t) { return t.hours() * 60 + t.minutes(); }

tandem::reminders::v1::ReminderState ToProtoState(ReminderState state) {
  switch (state) {
    case ReminderState::kScheduled:
      return tandem::reminders::v1::REMINDER_STATE_SCHEDULED;
    case ReminderState::kQueued:
      return tandem::reminders::v1::REMINDER_STATE_QUEUED;
    case ReminderState::kDelivering:
      return tandem::reminders::v1::REMINDER_STATE_DELIVERING;
    case ReminderState::kDelivered:
      return tandem::reminders::v1::REMINDER_STATE_DELIVERED;
    case ReminderState::kFailed:
      return tandem::reminders::v1::REMINDER_STATE_FAILED;
    case ReminderState::kCancelled:
      return tandem::reminders::v1::REMINDER_STATE_CANCELLED;
    case ReminderState::kDead:
      return tandem::reminders::v1::REMINDER_STATE_DEAD;
  }
  return tandem::reminders::v1::REMINDER_STATE_UNSPECIFIED;
}

std::string StateName(ReminderState state) { return std::string(ReminderStateName(state)); }

}  // namespace

// Rows written before the one-envelope layout hold recipient and parameters in two sealed columns.
absl::Status SqlReminderStore::OpenLegacyColumns(const db::Row& row, ReminderProto& r) {
  ASSIGN_OR_RETURN(std::string recipient_sealed, row.GetBytes("recipient_sealed"));
  ASSIGN_OR_RETURN(*r.mutable_recipient(), cipher_.Open(r.clinic_id(), r.reminder_id() + "/recipient",
                                                        kRecordVersion, recipient_sealed));
  ASSIGN_OR_RETURN(std::string params_sealed, row.GetBytes("params_sealed"));
  ASSIGN_OR_RETURN(std::string params_json,
                   cipher_.Open(r.clinic_id(), r.reminder_id() + "/params", kRecordVersion, params_sealed));
  nlohmann::json params = nlohmann::json::parse(params_json, nullptr, false);
  if (!params.is_object()) return absl::DataLossError("reminder parameters are unreadable");
  for (const auto& [key, value] : params.items()) {
    if (value.is_string()) (*r.mutable_params())[key] = value.get<std::string>();
  }
  return absl::OkStatus();
}

absl::StatusOr<ReminderProto> SqlReminderStore::FromRow(const db::Row& row, bool open_sealed) {
  ReminderProto r;
  ASSIGN_OR_RETURN(*r.mutable_reminder_id(), row.GetText("reminder_id"));
  ASSIGN_OR_RETURN(*r.mutable_clinic_id(), row.GetText("clinic_id"));
  ASSIGN_OR_RETURN(*r.mutable_owner_ref(), row.GetText("owner_ref"));
  ASSIGN_OR_RETURN(int64_t channel, row.GetInt64("channel"));
  r.set_channel(static_cast<tandem::reminders::v1::Channel>(channel));
  ASSIGN_OR_RETURN(*r.mutable_template_id(), row.GetText("template_id"));
  if (open_sealed) {
    ASSIGN_OR_RETURN(absl::optional<std::string> sealed, row.GetOptionalBytes("sealed"));
    if (sealed.has_value()) {
      RETURN_IF_ERROR(crypto::OpenSensitiveFields(cipher_, BindingOf(r), *sealed, r));
    } else {
      RETURN_IF_ERROR(OpenLegacyColumns(row, r));
    }
  }
  ASSIGN_OR_RETURN(*r.mutable_time_zone(), row.GetText("time_zone"));
  ASSIGN_OR_RETURN(auto quiet_start, row.GetOptionalInt64("quiet_start_min"));
  ASSIGN_OR_RETURN(auto quiet_end, row.GetOptionalInt64("quiet_end_min"));
  if (quiet_start.has_value() && quiet_end.has_value()) {
    r.mutable_quiet_hours()->mutable_start()->set_hours(static_cast<int>(*quiet_start / 60));
    r.mutable_quiet_hours()->mutable_start()->set_minutes(static_cast<int>(*quiet_start % 60));
    r.mutable_quiet_hours()->mutable_end()->set_hours(static_cast<int>(*quiet_end / 60));
    r.mutable_quiet_hours()->mutable_end()->set_minutes(static_cast<int>(*quiet_end % 60));
  }
  ASSIGN_OR_RETURN(absl::Time due, row.GetTime("due_at"));
  *r.mutable_due_time() = ToProto(due);
  ASSIGN_OR_RETURN(absl::Time next, row.GetTime("next_attempt_at"));
  *r.mutable_next_attempt_time() = ToProto(next);
  ASSIGN_OR_RETURN(std::string state_name, row.GetText("state"));
  ASSIGN_OR_RETURN(ReminderState state, ParseReminderState(state_name));
  r.set_state(ToProtoState(state));
  ASSIGN_OR_RETURN(int64_t attempts, row.GetInt64("attempts"));
  r.set_attempts(static_cast<int32_t>(attempts));
  ASSIGN_OR_RETURN(auto dead_reason, row.GetOptionalText("dead_reason"));
  if (dead_reason.has_value()) r.set_dead_reason(*dead_reason);
  ASSIGN_OR_RETURN(auto delivered, row.GetOptionalTime("delivered_at"));
  if (delivered.has_value()) *r.mutable_delivered_time() = ToProto(*delivered);
  ASSIGN_OR_RETURN(absl::Time created, row.GetTime("created_at"));
  *r.mutable_create_time() = ToProto(created);
  ASSIGN_OR_RETURN(*r.mutable_delivery_id(), row.GetText("delivery_id"));
  ASSIGN_OR_RETURN(int64_t generation, row.GetInt64("owner_generation"));
  r.set_owner_generation(generation);
  return r;
}

absl::StatusOr<std::optional<ReminderProto>> SqlReminderStore::SelectOne(db::Transaction& tx,
                                                                         const std::string& clinic_id,
                                                                         const std::string& reminder_id) {
  ASSIGN_OR_RETURN(db::ResultSet rows,
                   tx.Execute(absl::StrCat("SELECT ", kColumns,
                                           " FROM reminders WHERE clinic_id = $1 AND reminder_id = $2"),
                              {clinic_id, reminder_id}));
  if (rows.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(ReminderProto r, FromRow(rows[0]));
  return r;
}

absl::StatusOr<ReminderProto> SqlReminderStore::Schedule(const NewReminder& input,
                                                         const audit::AuditEntry& audit) {
  const ReminderProto& r = input.reminder;
  ReminderProto columns = r;
  // Sealed before the transaction: the clinic's first data key is created in a transaction of its own.
  ASSIGN_OR_RETURN(std::string sealed, crypto::SealSensitiveFields(cipher_, BindingOf(r), columns));
  absl::optional<int64_t> quiet_start, quiet_end;
  if (r.has_quiet_hours()) {
    quiet_start = MinuteOfDay(r.quiet_hours().start());
    quiet_end = MinuteOfDay(r.quiet_hours().end());
  }
  const db::IdempotencyKey key{r.clinic_id(), input.caller, kScheduleRpc, input.idempotency_key};
  absl::Time now = clock_.Now();
  std::optional<ReminderProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> first_id, idempotency_.Begin(tx, key, input.request_hash));
    std::string reminder_id = first_id.value_or(r.reminder_id());
    if (!first_id.has_value()) {
      if (r.owner_generation() > 0) RETURN_IF_ERROR(ReplaceOlderGenerations(tx, r));
      RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO reminders (reminder_id, clinic_id, owner_ref, channel, sealed, template_id, "
          "time_zone, "
          "quiet_start_min, quiet_end_min, due_at, next_attempt_at, state, attempts, created_at, "
          "delivery_id, "
          "owner_generation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $15)",
          {r.reminder_id(), r.clinic_id(), r.owner_ref(), static_cast<int64_t>(r.channel()),
           db::Bytes{sealed}, r.template_id(), r.time_zone(), quiet_start, quiet_end, FromProto(r.due_time()),
           FromProto(r.next_attempt_time()), StateName(ReminderState::kScheduled), now, r.delivery_id(),
           r.owner_generation()}));
      RETURN_IF_ERROR(idempotency_.Complete(tx, key, reminder_id));
    }
    audit::AuditEntry entry = audit;
    entry.resource_id = reminder_id;
    RETURN_IF_ERROR(audit_.Append(tx, entry).status());
    ASSIGN_OR_RETURN(result, SelectOne(tx, r.clinic_id(), reminder_id));
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::InternalError("scheduled reminder not found");
  return *std::move(result);
}

// A reminder being delivered right now keeps its lease; the worker re-checks nothing after sending, so
// cancellation wins only before the claim, which is the promise the API makes.
absl::StatusOr<int> SqlReminderStore::CancelUnsent(db::Transaction& tx, const std::string& clinic_id,
                                                   const std::string& owner_ref, int64_t before_generation) {
  ASSIGN_OR_RETURN(db::ResultSet result,
                   tx.Execute("UPDATE reminders SET state = $1, lease_owner = NULL, lease_until = NULL "
                              "WHERE clinic_id = $2 AND owner_ref = $3 AND state IN ($4, $5, $6) "
                              "AND ($7 = 0 OR owner_generation < $7)",
                              {StateName(ReminderState::kCancelled), clinic_id, owner_ref,
                               StateName(ReminderState::kScheduled), StateName(ReminderState::kQueued),
                               StateName(ReminderState::kFailed), before_generation}));
  return static_cast<int>(result.affected_rows());
}

// Replacing and cancelling one owner's reminders read what the other wrote: on PostgreSQL (READ COMMITTED)
// two such transactions would each miss the other's uncommitted rows, so they take turns.
absl::Status SqlReminderStore::LockOwner(db::Transaction& tx, const std::string& clinic_id,
                                         const std::string& owner_ref) {
  return db::LockForTransaction(tx, absl::StrCat("tandem.reminders.owner/", clinic_id, "/", owner_ref));
}

// Generation G replaces the owner's older reminders, unless a newer generation already exists: then this
// request arrived late and must not undo it.
absl::Status SqlReminderStore::ReplaceOlderGenerations(db::Transaction& tx, const ReminderProto& r) {
  RETURN_IF_ERROR(LockOwner(tx, r.clinic_id(), r.owner_ref()));
  ASSIGN_OR_RETURN(db::ResultSet newer,
                   tx.Execute("SELECT reminder_id FROM reminders WHERE clinic_id = $1 AND owner_ref = $2 "
                              "AND owner_generation > $3 LIMIT 1",
                              {r.clinic_id(), r.owner_ref(), r.owner_generation()}));
  if (!newer.empty()) {
    return absl::FailedPreconditionError("the owner's reminders were already replaced by a newer generation");
  }
  return CancelUnsent(tx, r.clinic_id(), r.owner_ref(), r.owner_generation()).status();
}

absl::StatusOr<int> SqlReminderStore::CancelByOwner(const std::string& clinic_id,
                                                    const std::string& owner_ref, int64_t before_generation,
                                                    const audit::AuditEntry& audit) {
  int cancelled = 0;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(LockOwner(tx, clinic_id, owner_ref));
    ASSIGN_OR_RETURN(cancelled, CancelUnsent(tx, clinic_id, owner_ref, before_generation));
    return audit_.Append(tx, audit).status();
  }));
  return cancelled;
}

absl::StatusOr<ReminderProto> SqlReminderStore::Get(const std::string& clinic_id,
                                                    const std::string& reminder_id) {
  std::optional<ReminderProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectOne(tx, clinic_id, reminder_id));
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::NotFoundError("reminder not found");
  return *std::move(result);
}

absl::StatusOr<ReminderPage> SqlReminderStore::List(const std::string& clinic_id,
                                                    const std::string& owner_ref,
                                                    std::optional<ReminderState> state, int page_size,
                                                    const std::string& after_id) {
  if (page_size <= 0) page_size = 50;
  page_size = std::min(page_size, kMaxPageSize);
  // Ids are UUIDv7, so "after this id" pages in creation order (keyset paging: rows inserted meanwhile never
  // shift a later page).
  std::string sql =
      absl::StrCat("SELECT ", kListColumns, " FROM reminders WHERE clinic_id = $1 AND reminder_id > $2");
  std::vector<db::Value> params = {clinic_id, after_id};
  if (!owner_ref.empty()) {
    params.emplace_back(owner_ref);
    absl::StrAppend(&sql, " AND owner_ref = $", params.size());
  }
  if (state.has_value()) {
    params.emplace_back(StateName(*state));
    absl::StrAppend(&sql, " AND state = $", params.size());
  }
  absl::StrAppend(&sql, " ORDER BY reminder_id LIMIT ", page_size + 1);
  ReminderPage page;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows, tx.Execute(sql, params));
    for (int i = 0; i < rows.size() && i < page_size; ++i) {
      ASSIGN_OR_RETURN(ReminderProto r, FromRow(rows[i], /*open_sealed=*/false));
      page.reminders.push_back(std::move(r));
    }
    if (rows.size() > page_size) page.last_id = page.reminders.back().reminder_id();
    return absl::OkStatus();
  }));
  return page;
}

absl::Status SqlReminderStore::PutTemplate(const TemplateProto& t, const audit::AuditEntry& audit) {
  return db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(audit_.Append(tx, audit).status());
    return tx
        .Execute(
            "INSERT INTO reminder_templates (clinic_id, template_id, sender_name, subject, body, discreet, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (clinic_id, template_id) DO UPDATE SET sender_name = excluded.sender_name, "
            "subject = excluded.subject, body = excluded.body, discreet = excluded.discreet",
            {t.clinic_id(), t.template_id(), t.sender_name(), t.subject(), t.body(), t.discreet(),
             clock_.Now()})
        .status();
  });
}

absl::StatusOr<TemplateProto> SqlReminderStore::GetTemplate(const std::string& clinic_id,
                                                            const std::string& template_id) {
  std::optional<TemplateProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     // Discreet unless a clinic admin opted the template out (reminder_template_discretion).
                     tx.Execute("SELECT t.sender_name, t.subject, t.body, NOT EXISTS (SELECT 1 FROM "
                                "reminder_template_discretion d WHERE d.clinic_id = t.clinic_id AND "
                                "d.template_id = t.template_id AND d.opted_out) AS discreet "
                                "FROM reminder_templates t WHERE t.clinic_id = $1 AND t.template_id = $2",
                                {clinic_id, template_id}));
    if (rows.empty()) return absl::OkStatus();
    TemplateProto t;
    t.set_clinic_id(clinic_id);
    t.set_template_id(template_id);
    ASSIGN_OR_RETURN(*t.mutable_sender_name(), rows[0].GetText("sender_name"));
    ASSIGN_OR_RETURN(*t.mutable_subject(), rows[0].GetText("subject"));
    ASSIGN_OR_RETURN(*t.mutable_body(), rows[0].GetText("body"));
    ASSIGN_OR_RETURN(bool discreet, rows[0].GetBool("discreet"));
    t.set_discreet(discreet);
    result = std::move(t);
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::NotFoundError("template not found");
  return *std::move(result);
}

// The lease is stored in lease_owner: the worker's id for operators, then a value new for this claim, so
// that a later claim by the same worker holds a different lease.
absl::StatusOr<std::optional<ClaimedReminder>> SqlReminderStore::Claim(const std::string& reminder_id,
                                                                       const std::string& worker,
                                                                       absl::Time now, absl::Duration lease) {
  const std::string lease_id = absl::StrCat(worker, "/", NewUuidV7(clock_));
  std::optional<ClaimedReminder> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::ResultSet claimed,
        tx.Execute(
            "UPDATE reminders SET state = $1, lease_owner = $2, lease_until = $3, attempts = attempts + 1 "
            "WHERE reminder_id = $4 AND next_attempt_at <= $5 AND "
            "(state IN ($6, $7, $8) OR (state = $1 AND lease_until < $5))",
            {StateName(ReminderState::kDelivering), lease_id, now + lease, reminder_id, now,
             StateName(ReminderState::kScheduled), StateName(ReminderState::kQueued),
             StateName(ReminderState::kFailed)}));
    if (claimed.affected_rows() != 1) return absl::OkStatus();
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute(absl::StrCat("SELECT ", kColumns, " FROM reminders WHERE reminder_id = $1"),
                                {reminder_id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(ReminderProto claimed_reminder, FromRow(rows[0]));
    result = ClaimedReminder{std::move(claimed_reminder), lease_id};
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int> SqlReminderStore::MarkQueued(const std::vector<std::string>& reminder_ids) {
  if (reminder_ids.empty()) return 0;
  std::string sql = "UPDATE reminders SET state = $1 WHERE state IN ($2, $3) AND reminder_id IN (";
  std::vector<db::Value> params = {StateName(ReminderState::kQueued), StateName(ReminderState::kScheduled),
                                   StateName(ReminderState::kFailed)};
  params.reserve(params.size() + reminder_ids.size());
  for (const std::string& id : reminder_ids) {
    params.emplace_back(id);
    absl::StrAppend(&sql, params.size() > 4 ? ", $" : "$", params.size());
  }
  sql += ")";
  int changed = 0;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet result, tx.Execute(sql, params));
    changed = static_cast<int>(result.affected_rows());
    return absl::OkStatus();
  }));
  return changed;
}

absl::Status SqlReminderStore::Finish(const std::string& reminder_id, const std::string& lease,
                                      const AttemptOutcome& outcome, absl::Time now) {
  return db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    absl::optional<absl::Time> delivered_at;
    if (outcome.state == ReminderState::kDelivered) delivered_at = now;
    absl::optional<std::string> dead_reason;
    if (outcome.state == ReminderState::kDead) dead_reason = outcome.dead_reason;
    ASSIGN_OR_RETURN(
        db::ResultSet result,
        tx.Execute(
            "UPDATE reminders SET state = $1, next_attempt_at = $2, delivered_at = $3, dead_reason = $4, "
            "lease_owner = NULL, lease_until = NULL "
            "WHERE reminder_id = $5 AND state = $6 AND lease_owner = $7",
            {StateName(outcome.state),
             outcome.state == ReminderState::kFailed ? outcome.next_attempt_at : now, delivered_at,
             dead_reason, reminder_id, StateName(ReminderState::kDelivering), lease}));
    if (result.affected_rows() != 1) return absl::AbortedError("lease lost before the attempt was recorded");
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<std::string, absl::Time>>> SqlReminderStore::Indexable(
    absl::Time now, const std::string& after_id, int limit) {
  std::vector<std::pair<std::string, absl::Time>> out;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute(absl::StrCat("SELECT reminder_id, next_attempt_at FROM reminders "
                                             "WHERE reminder_id > $6 AND "
                                             "(state IN ($1, $2, $3) OR (state = $4 AND lease_until < $5)) "
                                             "ORDER BY reminder_id LIMIT ",
                                             limit),
                                {StateName(ReminderState::kScheduled), StateName(ReminderState::kQueued),
                                 StateName(ReminderState::kFailed), StateName(ReminderState::kDelivering),
                                 now, after_id}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(std::string id, row.GetText("reminder_id"));
      ASSIGN_OR_RETURN(absl::Time next, row.GetTime("next_attempt_at"));
      out.emplace_back(std::move(id), next);
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tandem::reminders
