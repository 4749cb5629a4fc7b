#include "services/scheduling/domain/appointment_reminders.h"

#include "absl/strings/str_cat.h"
#include "common/time/time_zone.h"
#include "google/protobuf/util/time_util.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/proto_status.h"

namespace tandem::scheduling {
namespace {

using google::protobuf::util::TimeUtil;
namespace rv1 = tandem::reminders::v1;
namespace v1 = tandem::scheduling::v1;

std::optional<rv1::Channel> ChannelOf(v1::ContactKind kind) {
  switch (kind) {
    case v1::CONTACT_KIND_EMAIL:
      return rv1::CHANNEL_EMAIL;
    case v1::CONTACT_KIND_SMS:
      return rv1::CHANNEL_WEBHOOK;  // the clinic's SMS provider sits behind the signed webhook
    default:
      return std::nullopt;
  }
}

// "tandem.reminders.v1.ReminderService", from the proto's descriptor (domain code links no gRPC stubs).
const std::string& ReminderServiceName() {
  static const std::string* const name =
      new std::string(rv1::Reminder::descriptor()->file()->FindServiceByName("ReminderService")->full_name());
  return *name;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace

std::string ReminderOwnerRef(const v1::Appointment& appointment) {
  return absl::StrCat("appointment/", appointment.appointment_id());
}

rv1::RegisterTemplateRequest AppointmentReminderTemplate(const std::string& clinic_id) {
  rv1::RegisterTemplateRequest request;
  rv1::Template& t = *request.mutable_template_();
  t.set_template_id(kAppointmentReminderTemplateId);
  t.set_clinic_id(clinic_id);
  t.set_sender_name("Appointments");
  t.set_subject("Appointment reminder");
  t.set_body(absl::StrCat("Reminder: you have an appointment on {{", kAppointmentLocalTimeParam,
                          "}}. To change it, please contact us."));
  t.set_discreet(true);
  return request;
}

std::vector<rv1::ScheduleReminderRequest> PlanAppointmentReminders(const v1::Appointment& appointment,
                                                                   absl::Span<const v1::Client> clients,
                                                                   const ReminderPlanOptions& options) {
  std::vector<rv1::ScheduleReminderRequest> plan;
  std::optional<AppointmentStatus> status = FromProtoStatus(appointment.status());
  if (!status.has_value() || !ProtectsTime(*status) || IsTerminal(*status)) return plan;
  absl::Time start = FromProto(appointment.start_time());
  for (const v1::Client& client : clients) {
    if (client.reminders().opted_out()) continue;
    absl::StatusOr<absl::TimeZone> zone = LoadTimeZone(client.time_zone());
    if (!zone.ok()) continue;  // validated when stored; a zone that vanished from the system sends nothing
    std::vector<int> offsets(client.reminders().offsets_minutes().begin(),
                             client.reminders().offsets_minutes().end());
    if (offsets.empty()) {
      offsets.assign(std::begin(kDefaultReminderOffsetsMinutes), std::end(kDefaultReminderOffsetsMinutes));
    }
    for (const v1::ContactChannel& contact : client.contacts()) {
      if (!contact.opted_in() || contact.address().empty()) continue;
      std::optional<rv1::Channel> channel = ChannelOf(contact.kind());
      if (!channel.has_value()) continue;
      for (int offset : offsets) {
        absl::Time due = start - absl::Minutes(offset);
        if (due < options.now) continue;
        rv1::ScheduleReminderRequest& r = plan.emplace_back();
        r.set_clinic_id(appointment.clinic_id());
        r.set_idempotency_key(
            absl::StrCat(appointment.appointment_id(), ":", options.generation, ":", plan.size()));
        r.set_owner_ref(ReminderOwnerRef(appointment));
        r.set_owner_generation(options.generation);
        r.set_channel(options.channel_override.value_or(*channel));
        r.set_recipient(contact.address());
        r.set_template_id(kAppointmentReminderTemplateId);
        (*r.mutable_params())[kAppointmentLocalTimeParam] = absl::FormatTime("%a %d %b, %H:%M", start, *zone);
        r.set_time_zone(client.time_zone());
        if (client.reminders().has_quiet_hours()) {
          r.mutable_quiet_hours()->mutable_start()->CopyFrom(client.reminders().quiet_hours().start());
          r.mutable_quiet_hours()->mutable_end()->CopyFrom(client.reminders().quiet_hours().end());
        }
        *r.mutable_due_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(due));
      }
    }
  }
  return plan;
}

rv1::CancelRemindersRequest CancelAppointmentReminders(const v1::Appointment& appointment,
                                                       int64_t generation) {
  rv1::CancelRemindersRequest request;
  request.set_clinic_id(appointment.clinic_id());
  request.set_owner_ref(ReminderOwnerRef(appointment));
  request.set_before_generation(generation);
  return request;
}

std::vector<FollowUpCall> AppointmentReminderPlanner::AfterChange(
    const AppointmentProto* previous, const AppointmentProto& current,
    const std::vector<ClientProto>& clients) const {
  const std::string ordering_key = absl::StrCat("reminders/", current.clinic_id());
  std::vector<FollowUpCall> calls;
  auto add = [&](const std::string& method, const google::protobuf::Message& request,
                 std::string once_key = {}) {
    calls.push_back({ordering_key, absl::StrCat("/", ReminderServiceName(), "/", method),
                     request.SerializeAsString(), std::move(once_key)});
  };
  const bool booked = current.status() == v1::APPOINTMENT_STATUS_BOOKED;
  if (!booked) {
    if (previous != nullptr && previous->status() == v1::APPOINTMENT_STATUS_BOOKED) {
      add("CancelReminders", CancelAppointmentReminders(current, 0));
    }
    return calls;
  }
  ReminderPlanOptions options;
  options.now = clock_.Now();
  options.generation = current.revision();
  options.channel_override = channel_override_;
  std::vector<rv1::ScheduleReminderRequest> plan = PlanAppointmentReminders(current, clients, options);
  // A changed appointment whose new plan is empty must still lose its old reminders; scheduling generation
  // G would cancel them too, but only when there is something to schedule.
  if (previous != nullptr) add("CancelReminders", CancelAppointmentReminders(current, current.revision()));
  if (!plan.empty()) {
    add("RegisterTemplate", AppointmentReminderTemplate(current.clinic_id()), kAppointmentReminderTemplateId);
  }
  for (const rv1::ScheduleReminderRequest& reminder : plan) add("ScheduleReminder", reminder);
  return calls;
}

}  // namespace tandem::scheduling
