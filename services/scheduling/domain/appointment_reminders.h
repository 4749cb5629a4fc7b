#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_APPOINTMENT_REMINDERS_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_APPOINTMENT_REMINDERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/time/clock.h"
#include "services/scheduling/domain/scheduling_store.h"
#include "tandem/reminders/v1/reminders.pb.h"
#include "tandem/scheduling/v1/scheduling.pb.h"

namespace tandem::scheduling {

// The reminders service's template every appointment reminder uses, registered once per clinic. Its text
// names neither the clinician nor the kind of care: a lock screen or a shared inbox shows it.
inline constexpr char kAppointmentReminderTemplateId[] = "tandem.appointment-reminder";
// The parameter holding the appointment's start in the client's zone ("Tue 14 Jul, 18:00").
inline constexpr char kAppointmentLocalTimeParam[] = "appointment_local_time";

// The template of the message that tells a waitlisted client a slot is held for them, registered once per
// clinic; like the reminder it names neither clinician nor care.
inline constexpr char kWaitlistOfferTemplateId[] = "tandem.waitlist-offer";
// The parameter holding the end of the hold in the client's zone.
inline constexpr char kHoldUntilLocalTimeParam[] = "hold_until_local_time";

// How long before an appointment its reminders go out when the client chose nothing: a day and two hours.
inline constexpr int kDefaultReminderOffsetsMinutes[] = {24 * 60, 2 * 60};

// The reminders service's owner of an appointment's reminders: "appointment/<id>".
std::string ReminderOwnerRef(const tandem::scheduling::v1::Appointment& appointment);

// The template registration sent once per clinic before its first reminder.
tandem::reminders::v1::RegisterTemplateRequest AppointmentReminderTemplate(const std::string& clinic_id);

struct ReminderPlanOptions {
  absl::Time now;
  // The appointment's reminder generation: each booking, reschedule or contact change of an appointment
  // gets a larger one, so the reminders service replaces the older reminders in order (owner_generation).
  int64_t generation = 1;
  // Local runs: every reminder goes through this channel (the reminders service's log channel) instead of
  // the client's own.
  std::optional<tandem::reminders::v1::Channel> channel_override;
};

// The reminders of an appointment for its clients: for each client who has not opted out, each opted-in
// contact channel, and each offset (the client's, or the defaults), one reminder due `offset` before the
// start, in the client's zone and quiet hours, idempotency key "<appointment_id>:<generation>:<n>". Due
// times already past at `now` are left out. Nothing for an appointment whose status protects no time.
std::vector<tandem::reminders::v1::ScheduleReminderRequest> PlanAppointmentReminders(
    const tandem::scheduling::v1::Appointment& appointment,
    absl::Span<const tandem::scheduling::v1::Client> clients, const ReminderPlanOptions& options);

// The waitlist offer's template registration, sent once per clinic before its first offer.
tandem::reminders::v1::RegisterTemplateRequest WaitlistOfferTemplate(const std::string& clinic_id);

// The messages that tell a client a slot is held for them: for a hold (status proposed, waitlist_entry_id and
// hold_expire_time set, the hold not yet over at `now`), one message due at `now` to each opted-in channel of
// each client who has not opted out, in their zone and quiet hours, idempotency key "<id>:offer:<n>".
std::vector<tandem::reminders::v1::ScheduleReminderRequest> PlanWaitlistOfferNotices(
    const tandem::scheduling::v1::Appointment& hold, absl::Span<const tandem::scheduling::v1::Client> clients,
    const ReminderPlanOptions& options);

// Stops every unsent reminder of an appointment older than `generation` (0: all of them).
tandem::reminders::v1::CancelRemindersRequest CancelAppointmentReminders(
    const tandem::scheduling::v1::Appointment& appointment, int64_t generation);

// The follow-up calls of appointment changes: an appointment's reminders through the reminders service.
// All of a clinic's reminder calls share one ordering key, so the template registration (sent once per
// clinic) arrives before any reminder and each appointment's calls arrive in the order of its revisions.
//   - booked: the clinic's template (once), then, for a change, CancelReminders of older revisions, then a
//     ScheduleReminder per planned reminder at generation = revision;
//   - a new waitlist hold: the offer template (once), then the offer notices (PlanWaitlistOfferNotices);
//   - any other status, after a change from booked or from a hold: CancelReminders of every unsent message;
//   - otherwise nothing.
class AppointmentReminderPlanner final : public FollowUpPlanner {
 public:
  // `now` is read for each plan (due times already past are left out).
  AppointmentReminderPlanner(const Clock& clock,
                             std::optional<tandem::reminders::v1::Channel> channel_override)
      : clock_(clock), channel_override_(channel_override) {}

  std::vector<FollowUpCall> AfterChange(const AppointmentProto* previous, const AppointmentProto& current,
                                        const std::vector<ClientProto>& clients) const override;

 private:
  const Clock& clock_;
  std::optional<tandem::reminders::v1::Channel> channel_override_;
};

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_APPOINTMENT_REMINDERS_H_
