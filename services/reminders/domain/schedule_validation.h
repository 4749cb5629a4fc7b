#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_SCHEDULE_VALIDATION_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_SCHEDULE_VALIDATION_H_

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/status/field_violations.h"
#include "services/reminders/domain/channel_kind.h"
#include "services/reminders/domain/discretion.h"
#include "services/reminders/domain/reminder_store.h"
#include "tandem/reminders/v1/reminders.pb.h"

namespace tandem::reminders {

struct ScheduleLimits {
  absl::Duration past_grace = absl::Minutes(5);    // a due time at most this far in the past is sent at once
  absl::Duration horizon = absl::Hours(24 * 800);  // nothing is scheduled further ahead
};

// What validation needs to know beyond the request, looked up before it runs.
struct ScheduleContext {
  absl::Time now;
  const absl::flat_hash_set<ChannelKind>* configured_channels = nullptr;
  const TemplateProto* reminder_template = nullptr;  // the clinic's template, or null when there is none
  ScheduleLimits limits;
};

// Every problem of a ScheduleReminderRequest at once: INVALID_ARGUMENT with a field violation each, or OK.
// Pure. Descriptions never quote a value (recipients and parameters are personal data).
absl::Status ValidateSchedule(const tandem::reminders::v1::ScheduleReminderRequest& request,
                              const ScheduleContext& context);

// A RegisterTemplateRequest: ids, sender, lengths, the template syntax, and for a discreet template the
// deny-list over body, subject and sender name.
absl::Status ValidateTemplate(const tandem::reminders::v1::RegisterTemplateRequest& request,
                              const DiscretionPolicy& policy);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_SCHEDULE_VALIDATION_H_
