#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_REMINDER_STORE_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_REMINDER_STORE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_entry.h"
#include "services/reminders/domain/reminder_state.h"
#include "tandem/reminders/v1/reminders.pb.h"

namespace tandem::reminders {

using ReminderProto = tandem::reminders::v1::Reminder;
using TemplateProto = tandem::reminders::v1::Template;

// A reminder to store, as the service validated it, with who asked and under which idempotency key.
struct NewReminder {
  ReminderProto
      reminder;  // ids, owner, channel, recipient, template, params, zone, quiet hours, due and next time
  std::string caller;
  std::string idempotency_key;
  std::string request_hash;  // of the request body: a reused key with another body is ALREADY_EXISTS
};

// Writes take the audit row of the call they serve and append it in the same transaction as the change, so a
// change is never committed without its row (and fails when the row cannot be written).

struct ReminderPage {
  std::vector<ReminderProto> reminders;
  std::string last_id;  // the last reminder's id when more follow (the position the next page starts after)
};

// What a worker reports after one delivery attempt of a reminder it claimed.
struct AttemptOutcome {
  ReminderState state = ReminderState::kDelivered;  // kDelivered, kFailed (retry at next_attempt_at) or kDead
  absl::Time next_attempt_at;
  std::string dead_reason;
};

// A reminder claimed for one attempt, with the lease that claim holds. A lease belongs to one claim, not to a
// worker: once it expires and the reminder is claimed again (by any worker, the same process included), the
// first claim can no longer record an outcome.
struct ClaimedReminder {
  ReminderProto reminder;
  std::string lease;  // names this claim; Finish takes it back
};

// The database holds every reminder and its state: the source of truth that Redis's due index is rebuilt
// from.
class ReminderStore {
 public:
  virtual ~ReminderStore() = default;

  // Idempotent per (clinic, caller, key): a retry returns the first reminder (and audits that one). With an
  // owner generation G > 0 it cancels the owner's unsent reminders of older generations in the same
  // transaction, and is FAILED_PRECONDITION when the owner already has a reminder of a newer generation.
  virtual absl::StatusOr<ReminderProto> Schedule(const NewReminder& reminder,
                                                 const audit::AuditEntry& audit) = 0;
  // Cancels the not-yet-final reminders of an owner (only those of generations below `before_generation`
  // when it is not 0); returns how many.
  virtual absl::StatusOr<int> CancelByOwner(const std::string& clinic_id, const std::string& owner_ref,
                                            int64_t before_generation, const audit::AuditEntry& audit) = 0;
  virtual absl::StatusOr<ReminderProto> Get(const std::string& clinic_id, const std::string& reminder_id) = 0;
  // Up to page_size reminders after `after_id` (empty: from the start) in id order, without recipient and
  // parameters (a listing shows neither, so they are not opened).
  virtual absl::StatusOr<ReminderPage> List(const std::string& clinic_id, const std::string& owner_ref,
                                            std::optional<ReminderState> state, int page_size,
                                            const std::string& after_id) = 0;

  virtual absl::Status PutTemplate(const TemplateProto& reminder_template,
                                   const audit::AuditEntry& audit) = 0;
  virtual absl::StatusOr<TemplateProto> GetTemplate(const std::string& clinic_id,
                                                    const std::string& template_id) = 0;

  // Claims a reminder for one attempt: a conditional update that succeeds only while it is due and not final
  // and not leased by another live worker. The re-check of cancellation just before sending is this claim.
  // nullopt when someone else has it, it was cancelled, or it is already done. `worker` is recorded in the
  // lease for operators; the lease itself is new for every claim.
  virtual absl::StatusOr<std::optional<ClaimedReminder>> Claim(const std::string& reminder_id,
                                                               const std::string& worker, absl::Time now,
                                                               absl::Duration lease) = 0;
  // Marks reminders the due index just moved into its stream as queued, where they are still scheduled or
  // failed (a worker may already have claimed one); returns how many changed. The state is for support and
  // metrics: a claim accepts scheduled and queued alike.
  virtual absl::StatusOr<int> MarkQueued(const std::vector<std::string>& reminder_ids) = 0;
  // Records the attempt's outcome, only while the claim that got `lease` still holds it; ABORTED ("lease
  // lost") when it expired and the reminder was claimed again, or was cancelled or finished meanwhile.
  virtual absl::Status Finish(const std::string& reminder_id, const std::string& lease,
                              const AttemptOutcome& outcome, absl::Time now) = 0;
  // Reminders the due index must hold, with their next attempt time: scheduled, queued or failed ones, and
  // delivering ones whose lease expired. Pages in id order: pass the last id of a page to get the next.
  virtual absl::StatusOr<std::vector<std::pair<std::string, absl::Time>>> Indexable(
      absl::Time now, const std::string& after_id, int limit) = 0;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_REMINDER_STORE_H_
