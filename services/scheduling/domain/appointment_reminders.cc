#include "services/scheduling/domain/appointment_reminders.h"

#include "absl/strings/str_cat.h"
#include "common/time/time_zone.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/proto_status.h"
#include "services/scheduling/domain/proto_time.h"

namespace tandem::scheduling {
namespace {

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

constexpr char kLocalTimeFormat[] = "%a %d %b, %H:%M";

// Calls `visit(client, zone, contact, channel)` for each opted-in contact channel of each client who has not
// opted out of reminders. A zone that no longer loads (validated when stored) reaches nobody.
template <typename Visit>
void ForEachReachableContact(absl::Span<const v1::Client> clients, Visit visit) {
  for (const v1::Client& client : clients) {
    if (client.reminders().opted_out()) continue;
    absl::StatusOr<absl::TimeZone> zone = LoadTimeZone(client.time_zone());
    if (!zone.ok()) continue;
    for (const v1::ContactChannel& contact : client.contacts()) {
      if (!contact.opted_in() || contact.address().empty()) continue;
      std::optional<rv1::Channel> channel = ChannelOf(contact.kind());
      if (channel.has_value()) visit(client, *zone, contact, *channel);
    }
  }
}

// The fields every message about an appointment shares: clinic, owner, generation, recipient, zone and
// quiet hours.
void FillReminder(const v1::Appointment& appointment, const v1::Client& client, const std::string& recipient,
                  const ReminderPlanOptions& options, rv1::ScheduleReminderRequest& r) {
  r.set_clinic_id(appointment.clinic_id());
  r.set_owner_ref(ReminderOwnerRef(appointment));
  r.set_owner_generation(options.generation);
  r.set_recipient(recipient);
  r.set_time_zone(client.time_zone());
  if (client.reminders().has_quiet_hours()) {
    r.mutable_quiet_hours()->mutable_start()->CopyFrom(client.reminders().quiet_hours().start());
    r.mutable_quiet_hours()->mutable_end()->CopyFrom(client.reminders().quiet_hours().end());
  }
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
  const absl::Time start = FromProto(appointment.start_time());
  ForEachReachableContact(clients, [&](const v1::Client& client, const absl::TimeZone& zone,
                                       const v1::ContactChannel& contact, rv1::Channel channel) {
    std::vector<int> offsets(client.reminders().offsets_minutes().begin(),
                             client.reminders().offsets_minutes().end());
    if (offsets.empty()) {
      offsets.assign(std::begin(kDefaultReminderOffsetsMinutes), std::end(kDefaultReminderOffsetsMinutes));
    }
    for (int offset : offsets) {
      absl::Time due = start - absl::Minutes(offset);
      if (due < options.now) continue;
      rv1::ScheduleReminderRequest& r = plan.emplace_back();
      FillReminder(appointment, client, contact.address(), options, r);
      r.set_idempotency_key(
          absl::StrCat(appointment.appointment_id(), ":", options.generation, ":", plan.size()));
      r.set_channel(options.channel_override.value_or(channel));
      r.set_template_id(kAppointmentReminderTemplateId);
      (*r.mutable_params())[kAppointmentLocalTimeParam] = absl::FormatTime(kLocalTimeFormat, start, zone);
      *r.mutable_due_time() = ToProto(due);
    }
  });
  return plan;
}

rv1::RegisterTemplateRequest WaitlistOfferTemplate(const std::string& clinic_id) {
  rv1::RegisterTemplateRequest request;
  rv1::Template& t = *request.mutable_template_();
  t.set_template_id(kWaitlistOfferTemplateId);
  t.set_clinic_id(clinic_id);
  t.set_sender_name("Appointments");
  t.set_subject("An earlier appointment is free");
  t.set_body(absl::StrCat("An appointment on {{", kAppointmentLocalTimeParam, "}} is held for you until {{",
                          kHoldUntilLocalTimeParam, "}}. Accept or decline it in the app, or contact us."));
  t.set_discreet(true);
  return request;
}

std::vector<rv1::ScheduleReminderRequest> PlanWaitlistOfferNotices(const v1::Appointment& hold,
                                                                   absl::Span<const v1::Client> clients,
                                                                   const ReminderPlanOptions& options) {
  std::vector<rv1::ScheduleReminderRequest> plan;
  if (hold.status() != v1::APPOINTMENT_STATUS_PROPOSED || hold.waitlist_entry_id().empty() ||
      !hold.has_hold_expire_time()) {
    return plan;
  }
  const absl::Time start = FromProto(hold.start_time());
  const absl::Time until = FromProto(hold.hold_expire_time());
  if (until <= options.now) return plan;
  ForEachReachableContact(clients, [&](const v1::Client& client, const absl::TimeZone& zone,
                                       const v1::ContactChannel& contact, rv1::Channel channel) {
    rv1::ScheduleReminderRequest& r = plan.emplace_back();
    FillReminder(hold, client, contact.address(), options, r);
    r.set_idempotency_key(absl::StrCat(hold.appointment_id(), ":offer:", plan.size()));
    r.set_channel(options.channel_override.value_or(channel));
    r.set_template_id(kWaitlistOfferTemplateId);
    (*r.mutable_params())[kAppointmentLocalTimeParam] = absl::FormatTime(kLocalTimeFormat, start, zone);
    (*r.mutable_params())[kHoldUntilLocalTimeParam] = absl::FormatTime(kLocalTimeFormat, until, zone);
    *r.mutable_due_time() = ToProto(options.now);
  });
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
  ReminderPlanOptions options;
  options.now = clock_.Now();
  options.generation = current.revision();
  options.channel_override = channel_override_;
  const bool booked = current.status() == v1::APPOINTMENT_STATUS_BOOKED;
  if (!booked) {
    if (previous == nullptr) {
      // A new hold for a waitlisted client: tell them now.
      std::vector<rv1::ScheduleReminderRequest> notices = PlanWaitlistOfferNotices(current, clients, options);
      if (!notices.empty()) {
        add("RegisterTemplate", WaitlistOfferTemplate(current.clinic_id()), kWaitlistOfferTemplateId);
      }
      for (const rv1::ScheduleReminderRequest& notice : notices) add("ScheduleReminder", notice);
    } else if (previous->status() == v1::APPOINTMENT_STATUS_BOOKED ||
               previous->status() == v1::APPOINTMENT_STATUS_PROPOSED) {
      add("CancelReminders", CancelAppointmentReminders(current, 0));
    }
    return calls;
  }
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
