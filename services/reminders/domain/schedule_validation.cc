#include "services/reminders/domain/schedule_validation.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/field_violations.h"
#include "common/time/time_zone.h"
#include "google/protobuf/util/time_util.h"
#include "services/reminders/domain/address.h"
#include "services/reminders/domain/delivery.h"
#include "services/reminders/domain/template.h"

namespace tandem::reminders {
namespace {

using google::protobuf::util::TimeUtil;

constexpr size_t kMaxSenderBytes = 100;

void AddAll(FieldViolations& v, const absl::Status& status, const std::string& fallback_field) {
  auto details = GetFieldViolations(status);
  if (details.empty()) {
    v.Add(fallback_field, "is not valid");
    return;
  }
  for (const auto& d : details) v.Add(d.field(), d.description());
}

void CheckCivilTime(FieldViolations& v, const std::string& field, const tandem::common::v1::CivilTime& t) {
  if (t.hours() < 0 || t.hours() > 23) v.Add(field + ".hours", "must be 0-23");
  if (t.minutes() < 0 || t.minutes() > 59) v.Add(field + ".minutes", "must be 0-59");
}

}  // namespace

absl::Status ValidateSchedule(const tandem::reminders::v1::ScheduleReminderRequest& request,
                              const ScheduleContext& context) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "idempotency_key", request.idempotency_key());
  CheckRef(v, "owner_ref", request.owner_ref());
  if (request.owner_generation() < 0) v.Add("owner_generation", "must not be negative");

  std::optional<ChannelKind> kind = ChannelKindOf(request.channel());
  if (!kind.has_value()) {
    v.Add("channel", "must be one of CHANNEL_WEBHOOK, CHANNEL_EMAIL, CHANNEL_LOG");
  } else if (context.configured_channels == nullptr || !context.configured_channels->contains(*kind)) {
    v.Add("channel", absl::StrCat("channel ", ChannelKindName(*kind), " is not configured on this server"));
  }
  if (request.recipient().empty()) {
    v.Add("recipient", "is required");
  } else if (kind.has_value()) {
    if (auto problem = AddressProblem(*kind, request.recipient()); problem.has_value()) {
      v.Add("recipient", *problem);
    }
  }

  if (request.template_id().empty()) {
    v.Add("template_id", "is required");
  } else if (!IsValidRef(request.template_id())) {
    CheckRef(v, "template_id", request.template_id());
  } else if (context.reminder_template == nullptr) {
    v.Add("template_id", "no such template in this clinic; register it first");
  } else {
    TemplateParams params(request.params().begin(), request.params().end());
    for (const std::string* text :
         {&context.reminder_template->body(), &context.reminder_template->subject()}) {
      if (text->empty()) continue;
      auto parsed = ReminderTemplate::Parse(*text, context.reminder_template->discreet());
      if (!parsed.ok()) {
        v.Add("template_id", "the registered template no longer parses");
        break;
      }
      if (absl::Status ok = parsed->ValidateParameters(params); !ok.ok()) AddAll(v, ok, "params");
    }
  }

  if (request.time_zone().empty()) {
    v.Add("time_zone", "is required (an IANA zone such as Europe/Berlin)");
  } else if (auto loaded = LoadTimeZone(request.time_zone()); !loaded.ok()) {
    v.Add("time_zone", "is not a known IANA time zone");
  }

  if (request.has_quiet_hours()) {
    CheckCivilTime(v, "quiet_hours.start", request.quiet_hours().start());
    CheckCivilTime(v, "quiet_hours.end", request.quiet_hours().end());
    const auto& q = request.quiet_hours();
    if (q.start().hours() == q.end().hours() && q.start().minutes() == q.end().minutes()) {
      v.Add("quiet_hours", "start and end must differ");
    }
  }

  if (!request.has_due_time()) {
    v.Add("due_time", "is required");
  } else if (request.due_time().seconds() < TimeUtil::kTimestampMinSeconds ||
             request.due_time().seconds() > TimeUtil::kTimestampMaxSeconds ||
             request.due_time().nanos() < 0 || request.due_time().nanos() > 999999999) {
    v.Add("due_time", "is not a valid timestamp");
  } else {
    absl::Time due = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(request.due_time()));
    if (due < context.now - context.limits.past_grace) {
      v.Add("due_time",
            absl::StrCat("is in the past by more than ", absl::FormatDuration(context.limits.past_grace)));
    } else if (due > context.now + context.limits.horizon) {
      v.Add("due_time", "is too far in the future");
    }
  }
  return v.ToStatus();
}

absl::Status ValidateTemplate(const tandem::reminders::v1::RegisterTemplateRequest& request,
                              const DiscretionPolicy& policy) {
  FieldViolations v;
  if (!request.has_template_()) {
    v.Add("template", "is required");
    return v.ToStatus();
  }
  const TemplateProto& t = request.template_();
  CheckRef(v, "template.clinic_id", t.clinic_id());
  CheckRef(v, "template.template_id", t.template_id());
  if (t.sender_name().empty()) {
    v.Add("template.sender_name", "is required");
  } else if (t.sender_name().size() > kMaxSenderBytes) {
    v.Add("template.sender_name", "must be at most 100 bytes");
  }
  const std::pair<const char*, const std::string*> texts[] = {{"template.subject", &t.subject()},
                                                              {"template.body", &t.body()}};
  for (const auto& [field, text] : texts) {
    if (text->empty()) {
      if (text == &t.body()) v.Add(field, "is required");
      continue;  // a subject is optional
    }
    auto parsed = t.discreet() ? ReminderTemplate::Register(*text, true, policy)
                               : ReminderTemplate::Parse(*text, false);
    if (!parsed.ok()) {
      v.Add(field, IsDiscretionViolation(parsed.status())
                       ? "contains a word not allowed in a discreet template"
                       : std::string(parsed.status().message()));
    }
  }
  if (t.discreet() && !t.sender_name().empty() && policy.ContainsDeniedWord(t.sender_name())) {
    v.Add("template.sender_name", "contains a word not allowed in a discreet template");
  }
  return v.ToStatus();
}

}  // namespace tandem::reminders
