#include "services/scheduling/api/waitlist_worker.h"

#include <optional>
#include <utility>
#include <vector>

#include "common/audit/audit_entry.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "services/scheduling/api/handler_support.h"
#include "services/scheduling/domain/proto_time.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;

audit::AuditEntry WorkerEntry(const std::string& actor, std::string action) {
  audit::AuditEntry entry;
  entry.actor = actor;
  entry.actor_role = "service";
  entry.action = std::move(action);
  entry.resource_type = "appointment";
  entry.outcome = std::string(audit::kOutcomeOk);
  return entry;
}

// The hold of `slot` for the entry ChooseWaitlistEntry picks, or nullopt when nobody waits for it.
absl::StatusOr<std::optional<WaitlistOffer>> DecideOffer(const FreedSlot& slot, absl::Time now,
                                                         absl::Duration hold_for, const Clock& clock) {
  const Interval interval{FromProto(slot.cancelled.start_time()), FromProto(slot.cancelled.end_time())};
  ASSIGN_OR_RETURN(std::optional<size_t> chosen,
                   ChooseWaitlistEntry(slot.queue, interval, slot.offered_before));
  if (!chosen.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(ClinicianPolicy policy, PolicyOf(slot.clinician));
  const v1::WaitlistEntry& entry = slot.queue[*chosen];
  WaitlistOffer offer;
  offer.entry_id = entry.entry_id();
  AppointmentProto& hold = offer.hold.appointment;
  hold.set_clinic_id(slot.cancelled.clinic_id());
  hold.set_appointment_id(NewUuidV7(clock));
  hold.set_clinician_id(slot.cancelled.clinician_id());
  hold.add_client_ids(entry.client_id());
  *hold.mutable_start_time() = slot.cancelled.start_time();
  *hold.mutable_end_time() = slot.cancelled.end_time();
  hold.set_modality(entry.modality());
  // The freed room goes with the slot when both are in person; a telehealth link is the clinic's to send.
  if (entry.modality() == v1::MODALITY_IN_PERSON && slot.cancelled.modality() == v1::MODALITY_IN_PERSON) {
    hold.set_room(slot.cancelled.room());
  }
  hold.set_status(v1::APPOINTMENT_STATUS_PROPOSED);
  hold.set_revision(1);
  hold.set_waitlist_entry_id(entry.entry_id());
  *hold.mutable_hold_expire_time() = ToProto(HoldExpiry(now, hold_for, interval.start));
  offer.hold.protected_interval = ProtectedInterval(interval, policy.buffers);
  return offer;
}

}  // namespace

WaitlistWorker::WaitlistWorker(SchedulingStore& store, const Clock& clock, WaitlistWorkerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

WaitlistWorker::~WaitlistWorker() { Stop(); }

void WaitlistWorker::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void WaitlistWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void WaitlistWorker::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void WaitlistWorker::Loop() {
  while (true) {
    absl::StatusOr<WaitlistPass> pass = RunOnce();
    if (!pass.ok()) {
      log::Warn("waitlist_pass_failed", {{"code", absl::StatusCodeToString(pass.status().code())}});
    } else if (pass->expired > 0 || pass->offered > 0) {
      log::Info("waitlist_pass",
                {{"expired", std::to_string(pass->expired)}, {"offered", std::to_string(pass->offered)}});
    }
    absl::MutexLock lock(&mu_);
    auto wake_or_stop = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; };
    mu_.AwaitWithTimeout(absl::Condition(&wake_or_stop), options_.interval);
    if (stopping_) return;
    woken_ = false;
  }
}

absl::StatusOr<WaitlistPass> WaitlistWorker::RunOnce() {
  WaitlistPass pass;
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::vector<HoldRef> lapsed, store_.ExpiredHolds(now, options_.batch));
  for (const HoldRef& hold : lapsed) {
    audit::AuditEntry entry = WorkerEntry(options_.actor, "waitlist.expire");
    entry.clinic_id = hold.clinic_id;
    absl::StatusOr<AppointmentProto> cancelled = store_.UpdateAppointment(
        hold.clinic_id, hold.appointment_id,
        [&](const AppointmentProto& stored) -> absl::StatusOr<AppointmentChange> {
          // Accepted or declined since it was listed: nothing to do.
          if (stored.status() != v1::APPOINTMENT_STATUS_PROPOSED || !stored.has_hold_expire_time() ||
              FromProto(stored.hold_expire_time()) > now) {
            return absl::FailedPreconditionError("the hold is no longer open");
          }
          return CancelChange(stored, "", absl::ZeroDuration(), now);
        },
        entry);
    if (cancelled.ok()) {
      ++pass.expired;
    } else if (!absl::IsFailedPrecondition(cancelled.status()) && !absl::IsNotFound(cancelled.status())) {
      // One hold that cannot be ended must not keep the others, or the freed slots, waiting.
      log::Warn("waitlist_hold_not_ended", {{"code", absl::StatusCodeToString(cancelled.status().code())}});
    }
  }
  ASSIGN_OR_RETURN(std::vector<AppointmentProto> holds,
                   store_.OfferFreedSlots(
                       now, options_.batch,
                       [&](const FreedSlot& slot) { return DecideOffer(slot, now, options_.hold, clock_); },
                       WorkerEntry(options_.actor, "waitlist.offer")));
  pass.offered = static_cast<int>(holds.size());
  return pass;
}

}  // namespace tandem::scheduling
