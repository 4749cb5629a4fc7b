// The waitlist part of SqlSchedulingStore: entries, freed slots, and the holds offered from them. A hold is
// an appointment like any other (status proposed), so the exclusion constraints and the overlap check keep it
// from double booking, and accepting or declining it is an appointment change.
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/proto_time.h"
#include "services/scheduling/store/sql_scheduling_store.h"
#include "services/scheduling/store/store_records.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;
using store_records::Binding;
using store_records::DomainStatus;
using store_records::NotFoundField;

// A queue longer than this is read in part when a slot is freed: its first entries are the ones served.
constexpr int kMaxQueueRead = 500;
constexpr int kMaxClosedEntries = 500;

std::string StatusName(v1::WaitlistStatus status) {
  switch (status) {
    case v1::WAITLIST_STATUS_WAITING:
      return "waiting";
    case v1::WAITLIST_STATUS_OFFERED:
      return "offered";
    case v1::WAITLIST_STATUS_BOOKED:
      return "booked";
    case v1::WAITLIST_STATUS_LEFT:
      return "left";
    default:
      return "unknown";
  }
}

absl::StatusOr<WaitlistEntryProto> ParseEntry(const db::Row& row) {
  ASSIGN_OR_RETURN(std::string record, row.GetBytes("record"));
  WaitlistEntryProto entry;
  if (!entry.ParseFromString(record)) return absl::DataLossError("a stored waitlist entry is unreadable");
  return entry;
}

absl::StatusOr<std::vector<WaitlistEntryProto>> ParseEntries(const db::ResultSet& rows) {
  std::vector<WaitlistEntryProto> entries;
  entries.reserve(rows.size());
  for (const db::Row& row : rows) {
    ASSIGN_OR_RETURN(WaitlistEntryProto entry, ParseEntry(row));
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

absl::StatusOr<std::optional<WaitlistEntryProto>> SqlSchedulingStore::SelectWaitlistEntry(
    db::Transaction& tx, const std::string& clinic_id, const std::string& entry_id) {
  ASSIGN_OR_RETURN(db::ResultSet rows,
                   tx.Execute("SELECT record FROM waitlist_entries WHERE clinic_id = $1 AND entry_id = $2",
                              {clinic_id, entry_id}));
  if (rows.empty()) return std::nullopt;
  return ParseEntry(rows[0]);
}

absl::Status SqlSchedulingStore::WriteWaitlistEntry(db::Transaction& tx, const WaitlistEntryProto& e,
                                                    bool insert) {
  const std::vector<db::Value> params = {e.clinic_id(),
                                         e.entry_id(),
                                         e.clinician_id(),
                                         e.client_id(),
                                         StatusName(e.status()),
                                         FromProto(e.create_time()),
                                         db::Bytes{e.SerializeAsString()}};
  if (insert) {
    return tx
        .Execute(
            "INSERT INTO waitlist_entries (clinic_id, entry_id, clinician_id, client_id, status, "
            "joined_at, record) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params)
        .status();
  }
  return tx
      .Execute(
          "UPDATE waitlist_entries SET clinician_id = $3, client_id = $4, status = $5, joined_at = $6, "
          "record = $7 WHERE clinic_id = $1 AND entry_id = $2",
          params)
      .status();
}

absl::StatusOr<WaitlistEntryProto> SqlSchedulingStore::JoinWaitlist(const WaitlistEntryProto& entry,
                                                                    const audit::AuditEntry& audit) {
  WaitlistEntryProto stored = entry;
  stored.set_status(v1::WAITLIST_STATUS_WAITING);
  stored.clear_offer_appointment_id();
  const absl::Time now = clock_.Now();
  *stored.mutable_create_time() = ToProto(now);
  *stored.mutable_update_time() = ToProto(now);
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool clinician_found,
                     Exists(tx, "clinicians", "clinician_id", stored.clinic_id(), stored.clinician_id()));
    if (!clinician_found) return NotFoundField("clinician_id", "clinician");
    ASSIGN_OR_RETURN(bool client_found,
                     Exists(tx, "clients", "client_id", stored.clinic_id(), stored.client_id()));
    if (!client_found) return NotFoundField("client_id", "client");
    RETURN_IF_ERROR(WriteWaitlistEntry(tx, stored, /*insert=*/true));
    return audit_.Append(tx, audit).status();
  }));
  return stored;
}

absl::StatusOr<WaitlistEntryProto> SqlSchedulingStore::GetWaitlistEntry(const std::string& clinic_id,
                                                                        const std::string& entry_id) {
  std::optional<WaitlistEntryProto> entry;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(entry, SelectWaitlistEntry(tx, clinic_id, entry_id));
    return absl::OkStatus();
  }));
  if (!entry.has_value()) return absl::NotFoundError("waitlist entry not found");
  return *std::move(entry);
}

absl::StatusOr<WaitlistEntryProto> SqlSchedulingStore::LeaveWaitlist(const std::string& clinic_id,
                                                                     const std::string& entry_id,
                                                                     const audit::AuditEntry& audit) {
  std::optional<WaitlistEntryProto> entry;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(entry, SelectWaitlistEntry(tx, clinic_id, entry_id));
    if (!entry.has_value()) return absl::NotFoundError("waitlist entry not found");
    if (entry->status() == v1::WAITLIST_STATUS_OFFERED) {
      return absl::FailedPreconditionError("a slot is held for this entry: decline it first");
    }
    if (entry->status() != v1::WAITLIST_STATUS_WAITING) {
      return absl::FailedPreconditionError("the entry is no longer on the waitlist");
    }
    entry->set_status(v1::WAITLIST_STATUS_LEFT);
    *entry->mutable_update_time() = ToProto(clock_.Now());
    RETURN_IF_ERROR(WriteWaitlistEntry(tx, *entry, /*insert=*/false));
    return audit_.Append(tx, audit).status();
  }));
  return *std::move(entry);
}

absl::StatusOr<std::vector<WaitlistEntryProto>> SqlSchedulingStore::ListWaitlist(
    const std::string& clinic_id, const std::string& clinician_id, const std::string& client_id,
    bool include_closed) {
  if (clinician_id.empty() && client_id.empty()) {
    return absl::InvalidArgumentError("a clinician or a client is required");
  }
  // "$2 = ''" leaves a filter out, so one statement serves the three shapes.
  const std::string filter =
      "clinic_id = $1 AND ($2 = '' OR clinician_id = $2) AND ($3 = '' OR client_id = $3)";
  std::vector<WaitlistEntryProto> entries;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet open,
                     tx.Execute(absl::StrCat("SELECT record FROM waitlist_entries WHERE ", filter,
                                             " AND status IN ('waiting', 'offered') ORDER BY joined_at, "
                                             "entry_id LIMIT ",
                                             kMaxQueueRead),
                                {clinic_id, clinician_id, client_id}));
    ASSIGN_OR_RETURN(entries, ParseEntries(open));
    if (!include_closed) return absl::OkStatus();
    ASSIGN_OR_RETURN(db::ResultSet closed,
                     tx.Execute(absl::StrCat("SELECT record FROM waitlist_entries WHERE ", filter,
                                             " AND status IN ('booked', 'left') ORDER BY joined_at DESC, "
                                             "entry_id DESC LIMIT ",
                                             kMaxClosedEntries),
                                {clinic_id, clinician_id, client_id}));
    ASSIGN_OR_RETURN(std::vector<WaitlistEntryProto> done, ParseEntries(closed));
    for (WaitlistEntryProto& entry : done) entries.push_back(std::move(entry));
    return absl::OkStatus();
  }));
  return entries;
}

absl::Status SqlSchedulingStore::KeepWaitlist(db::Transaction& tx, const AppointmentProto& before,
                                              const AppointmentProto& after, absl::Time now) {
  const std::string& clinic_id = after.clinic_id();
  const bool was_hold =
      before.status() == v1::APPOINTMENT_STATUS_PROPOSED && !before.waitlist_entry_id().empty();
  if (was_hold && after.status() != v1::APPOINTMENT_STATUS_PROPOSED) {
    RETURN_IF_ERROR(tx.Execute("UPDATE waitlist_offers SET hold_expires_at = NULL "
                               "WHERE clinic_id = $1 AND hold_id = $2",
                               {clinic_id, after.appointment_id()})
                        .status());
    ASSIGN_OR_RETURN(std::optional<WaitlistEntryProto> entry,
                     SelectWaitlistEntry(tx, clinic_id, before.waitlist_entry_id()));
    if (entry.has_value() && entry->status() == v1::WAITLIST_STATUS_OFFERED &&
        entry->offer_appointment_id() == after.appointment_id()) {
      if (after.status() == v1::APPOINTMENT_STATUS_BOOKED) {
        entry->set_status(v1::WAITLIST_STATUS_BOOKED);
      } else {
        entry->set_status(v1::WAITLIST_STATUS_WAITING);
        entry->clear_offer_appointment_id();
      }
      *entry->mutable_update_time() = ToProto(now);
      RETURN_IF_ERROR(WriteWaitlistEntry(tx, *entry, /*insert=*/false));
    }
  }
  ASSIGN_OR_RETURN(AppointmentStatus from, DomainStatus(before.status()));
  const bool freed = ProtectsTime(from) && after.status() == v1::APPOINTMENT_STATUS_CANCELLED &&
                     FromProto(after.start_time()) > now;
  if (!freed) return absl::OkStatus();
  ASSIGN_OR_RETURN(db::ResultSet waiting,
                   tx.Execute("SELECT 1 AS found FROM waitlist_entries WHERE clinic_id = $1 AND "
                              "clinician_id = $2 AND status = 'waiting' LIMIT 1",
                              {clinic_id, after.clinician_id()}));
  if (waiting.empty()) return absl::OkStatus();
  return tx
      .Execute(
          "INSERT INTO waitlist_freed_slots (clinic_id, appointment_id, queued_at) VALUES ($1, $2, $3) "
          "ON CONFLICT (clinic_id, appointment_id) DO NOTHING",
          {clinic_id, after.appointment_id(), now})
      .status();
}

absl::StatusOr<std::vector<AppointmentProto>> SqlSchedulingStore::OfferFreedSlots(
    absl::Time now, int limit, OfferDecision decide, const audit::AuditEntry& audit) {
  std::vector<AppointmentProto> holds;
  for (int i = 0; i < limit; ++i) {
    bool none_left = false;
    absl::StatusOr<std::optional<AppointmentProto>> hold = OfferOneFreedSlot(now, decide, audit, none_left);
    if (none_left) break;
    // A slot booked by someone else between the check and the write (an exclusion constraint): its row is
    // still queued, and the next pass finds the booking and drops it.
    if (absl::IsAlreadyExists(hold.status())) continue;
    RETURN_IF_ERROR(hold.status());
    if (hold->has_value()) holds.push_back(**std::move(hold));
  }
  return holds;
}

absl::StatusOr<std::optional<AppointmentProto>> SqlSchedulingStore::OfferOneFreedSlot(
    absl::Time now, OfferDecision decide, const audit::AuditEntry& audit, bool& none_left) {
  std::optional<AppointmentProto> made;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    made.reset();
    ASSIGN_OR_RETURN(db::ResultSet next,
                     tx.Execute("SELECT clinic_id, appointment_id FROM waitlist_freed_slots "
                                "ORDER BY queued_at, clinic_id, appointment_id LIMIT 1",
                                {}));
    if (next.empty()) {
      none_left = true;
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::string clinic_id, next[0].GetText("clinic_id"));
    ASSIGN_OR_RETURN(std::string appointment_id, next[0].GetText("appointment_id"));
    // Taken off the queue in this transaction: another worker that read the same row takes nothing.
    ASSIGN_OR_RETURN(
        db::ResultSet taken,
        tx.Execute("DELETE FROM waitlist_freed_slots WHERE clinic_id = $1 AND appointment_id = $2 "
                   "RETURNING appointment_id",
                   {clinic_id, appointment_id}));
    if (taken.empty()) return absl::OkStatus();

    FreedSlot slot;
    ASSIGN_OR_RETURN(std::optional<AppointmentProto> cancelled,
                     SelectAppointment(tx, clinic_id, appointment_id));
    if (!cancelled.has_value() || FromProto(cancelled->start_time()) <= now) return absl::OkStatus();
    slot.cancelled = *std::move(cancelled);
    ASSIGN_OR_RETURN(db::ResultSet clinician,
                     tx.Execute("SELECT record FROM clinicians WHERE clinic_id = $1 AND clinician_id = $2",
                                {clinic_id, slot.cancelled.clinician_id()}));
    if (clinician.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::string clinician_record, clinician[0].GetBytes("record"));
    RETURN_IF_ERROR(crypto::OpenMessage(cipher_,
                                        Binding(clinic_id, "clinician", slot.cancelled.clinician_id()),
                                        clinician_record, slot.clinician));
    ASSIGN_OR_RETURN(db::ResultSet queue,
                     tx.Execute(absl::StrCat("SELECT record FROM waitlist_entries WHERE clinic_id = $1 AND "
                                             "clinician_id = $2 AND status = 'waiting' "
                                             "ORDER BY joined_at, entry_id LIMIT ",
                                             kMaxQueueRead),
                                {clinic_id, slot.cancelled.clinician_id()}));
    ASSIGN_OR_RETURN(slot.queue, ParseEntries(queue));
    ASSIGN_OR_RETURN(
        db::ResultSet offered,
        tx.Execute("SELECT entry_id FROM waitlist_offers WHERE clinic_id = $1 AND "
                   "clinician_id = $2 AND slot_start = $3",
                   {clinic_id, slot.cancelled.clinician_id(), FromProto(slot.cancelled.start_time())}));
    for (const db::Row& row : offered) {
      ASSIGN_OR_RETURN(std::string entry_id, row.GetText("entry_id"));
      slot.offered_before.insert(std::move(entry_id));
    }
    absl::StatusOr<std::optional<WaitlistOffer>> offer = decide(slot);
    if (!offer.ok()) {
      // A slot that cannot be decided (a clinician's profile no longer valid) is dropped rather than left at
      // the head of the queue, where it would stop every slot behind it.
      log::Warn("waitlist_slot_dropped", {{"code", absl::StatusCodeToString(offer.status().code())}});
      return absl::OkStatus();
    }
    if (!offer->has_value()) return absl::OkStatus();

    AppointmentProto hold = (*offer)->hold.appointment;
    hold.set_clinic_id(clinic_id);
    *hold.mutable_create_time() = ToProto(now);
    *hold.mutable_update_time() = ToProto(now);
    ASSIGN_OR_RETURN(std::optional<WaitlistEntryProto> entry,
                     SelectWaitlistEntry(tx, clinic_id, (*offer)->entry_id));
    if (!entry.has_value() || entry->status() != v1::WAITLIST_STATUS_WAITING) {
      log::Error("waitlist_slot_dropped", {{"reason", "the chosen entry is not waiting"}});
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(AppointmentStatus status, DomainStatus(hold.status()));
    const Placement placement{(*offer)->hold.protected_interval, ProtectsTime(status)};
    ASSIGN_OR_RETURN(std::optional<std::string> conflict,
                     FindConflict(tx, hold, placement.protected_interval, hold.appointment_id()));
    // Booked by someone else since it was freed: nothing to offer.
    if (conflict.has_value()) return absl::OkStatus();
    ASSIGN_OR_RETURN(
        std::string sealed,
        crypto::SealMessage(cipher_, Binding(clinic_id, "appointment", hold.appointment_id()), hold));
    RETURN_IF_ERROR(WriteAppointment(tx, hold, placement, sealed, /*insert=*/true));
    RETURN_IF_ERROR(EnqueueFollowUps(tx, nullptr, hold));
    RETURN_IF_ERROR(tx.Execute("INSERT INTO waitlist_offers (clinic_id, hold_id, entry_id, clinician_id, "
                               "slot_start, hold_expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                               {clinic_id, hold.appointment_id(), entry->entry_id(), hold.clinician_id(),
                                FromProto(hold.start_time()), FromProto(hold.hold_expire_time())})
                        .status());
    entry->set_status(v1::WAITLIST_STATUS_OFFERED);
    entry->set_offer_appointment_id(hold.appointment_id());
    *entry->mutable_update_time() = ToProto(now);
    RETURN_IF_ERROR(WriteWaitlistEntry(tx, *entry, /*insert=*/false));
    audit::AuditEntry row = audit;
    row.clinic_id = clinic_id;
    row.resource_id = hold.appointment_id();
    row.client_id = entry->client_id();
    RETURN_IF_ERROR(audit_.Append(tx, row).status());
    made = std::move(hold);
    return absl::OkStatus();
  }));
  return made;
}

absl::StatusOr<std::vector<HoldRef>> SqlSchedulingStore::ExpiredHolds(absl::Time now, int limit) {
  std::vector<HoldRef> holds;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute(absl::StrCat("SELECT clinic_id, hold_id FROM waitlist_offers WHERE "
                                             "hold_expires_at IS NOT NULL AND hold_expires_at <= $1 "
                                             "ORDER BY hold_expires_at LIMIT ",
                                             limit),
                                {now}));
    for (const db::Row& row : rows) {
      HoldRef& hold = holds.emplace_back();
      ASSIGN_OR_RETURN(hold.clinic_id, row.GetText("clinic_id"));
      ASSIGN_OR_RETURN(hold.appointment_id, row.GetText("hold_id"));
    }
    return absl::OkStatus();
  }));
  return holds;
}

}  // namespace tandem::scheduling
