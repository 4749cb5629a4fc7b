#include "services/reminders/api/reminders_service.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db/idempotency_store.h"
#include "common/db/page_token.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "common/time/time_zone.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "services/reminders/dispatch/reminders_metrics.h"
#include "services/reminders/domain/address.h"
#include "services/reminders/domain/delivery.h"
#include "services/reminders/domain/reminder_state.h"

namespace tandem::reminders {
namespace {

using google::protobuf::util::TimeUtil;
namespace v1 = tandem::reminders::v1;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;

std::optional<ReminderState> StateFilter(v1::ReminderState state) {
  switch (state) {
    case v1::REMINDER_STATE_SCHEDULED:
      return ReminderState::kScheduled;
    case v1::REMINDER_STATE_QUEUED:
      return ReminderState::kQueued;
    case v1::REMINDER_STATE_DELIVERING:
      return ReminderState::kDelivering;
    case v1::REMINDER_STATE_DELIVERED:
      return ReminderState::kDelivered;
    case v1::REMINDER_STATE_FAILED:
      return ReminderState::kFailed;
    case v1::REMINDER_STATE_CANCELLED:
      return ReminderState::kCancelled;
    case v1::REMINDER_STATE_DEAD:
      return ReminderState::kDead;
    default:
      return std::nullopt;
  }
}

}  // namespace

v1::Reminder ForSupport(const v1::Reminder& reminder) {
  v1::Reminder out = reminder;
  // A listing's reminders come without their recipient: then there is no shape to show either.
  if (reminder.recipient().empty()) {
    out.clear_recipient();
  } else {
    out.set_recipient(absl::StrCat("(", AddressShape(reminder.recipient()), ")"));
  }
  out.clear_params();
  return out;
}

service::AuthzTable RemindersRules() {
  // The services that remind; a person they act for must hold one of the listed roles in the clinic named.
  const std::vector<std::string> reminding_services = {"scheduling", "homework", "progress"};
  const std::vector<std::string> people = {auth::kRoleAdmin, auth::kRoleClinician, auth::kRoleFrontDesk,
                                           auth::kRoleClient};
  const std::vector<std::string> status_readers = {auth::kRoleAdmin, auth::kRoleSupport};
  return service::AuthzTable(
      v1::ReminderService::service_full_name(),
      {
          {"ScheduleReminder", {{}, reminding_services, people, "reminder.schedule", "reminder"}},
          {"CancelReminders", {{}, reminding_services, people, "reminder.cancel", "reminder"}},
          {"RegisterTemplate",
           {{}, reminding_services, {auth::kRoleAdmin}, "reminder_template.register", "reminder_template"}},
          {"GetReminder",
           {status_readers,
            reminding_services,
            {auth::kRoleAdmin, auth::kRoleSupport, auth::kRoleClinician, auth::kRoleFrontDesk},
            "reminder.read",
            "reminder"}},
          {"ListReminders",
           {status_readers,
            reminding_services,
            {auth::kRoleAdmin, auth::kRoleSupport, auth::kRoleClinician, auth::kRoleFrontDesk},
            "reminder.list",
            "reminder"}},
          // Letting a template name the care is the clinic's own decision: its admins, in person.
          {"SetTemplateDiscretion",
           {{auth::kRoleAdmin}, {}, {}, "reminder_template.discretion.set", "reminder_template"}},
          {"GetTemplateDiscretion",
           {{auth::kRoleAdmin}, {}, {}, "reminder_template.discretion.read", "reminder_template"}},
      });
}

RemindersService::RemindersService(RemindersServiceDeps deps)
    : deps_(std::move(deps)),
      kit_(deps_.service_name, RemindersRules(), *deps_.verifier, *deps_.audit, *deps_.workers) {}

grpc::ServerUnaryReactor* RemindersService::ScheduleReminder(grpc::CallbackServerContext* context,
                                                             const v1::ScheduleReminderRequest* request,
                                                             v1::Reminder* response) {
  return kit_.Unary(
      context, "ScheduleReminder", request->clinic_id(),
      [this, request, response](const service::Call& call) { return Schedule(call, *request, *response); });
}

absl::Status RemindersService::Schedule(const service::Call& call, const v1::ScheduleReminderRequest& request,
                                        v1::Reminder& response) {
  absl::Time now = deps_.clock->Now();
  std::optional<TemplateProto> reminder_template;
  if (IsValidRef(request.clinic_id()) && IsValidRef(request.template_id())) {
    auto found = deps_.store->GetTemplate(request.clinic_id(), request.template_id());
    if (found.ok()) {
      reminder_template = *std::move(found);
    } else if (!absl::IsNotFound(found.status())) {
      return found.status();
    }
  }
  ScheduleContext validation{now, &deps_.channels, reminder_template ? &*reminder_template : nullptr,
                             deps_.limits};
  RETURN_IF_ERROR(ValidateSchedule(request, validation));

  NewReminder input;
  input.caller = call.caller().subject;
  input.idempotency_key = request.idempotency_key();
  input.request_hash = db::RequestHash(request);
  ReminderProto& r = input.reminder;
  r.set_reminder_id(NewUuidV7(*deps_.clock));
  r.set_delivery_id(NewUuidV7(*deps_.clock));
  r.set_clinic_id(request.clinic_id());
  r.set_owner_ref(request.owner_ref());
  r.set_owner_generation(request.owner_generation());
  r.set_channel(request.channel());
  r.set_recipient(request.recipient());
  r.set_template_id(request.template_id());
  *r.mutable_params() = request.params();
  r.set_time_zone(request.time_zone());
  if (request.has_quiet_hours()) *r.mutable_quiet_hours() = request.quiet_hours();
  *r.mutable_due_time() = request.due_time();
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadTimeZone(request.time_zone()));
  absl::Time due = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(request.due_time()));
  absl::Time first = FirstAttemptTime(std::max(due, now), zone, QuietHoursOf(r));
  *r.mutable_next_attempt_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(first));

  ASSIGN_OR_RETURN(ReminderProto stored, deps_.store->Schedule(input, call.SuccessEntry(r.reminder_id())));
  RemindersMetrics::Get()
      .scheduled.WithLabels({std::string(ChannelKindName(*ChannelKindOf(stored.channel())))})
      .Increment();
  if (deps_.index != nullptr && stored.state() == v1::REMINDER_STATE_SCHEDULED) {
    absl::Time next = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(stored.next_attempt_time()));
    if (absl::Status added = deps_.index->Add({{stored.reminder_id(), next}}); !added.ok()) {
      // Stored is what counts: the reconciler indexes it within one period.
      RemindersMetrics::Get().index_errors.WithLabels({"add"}).Increment();
      log::Warn("reminder_index_add_failed", {{"code", absl::StatusCodeToString(added.code())}});
    }
  }
  response = ForSupport(stored);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RemindersService::CancelReminders(grpc::CallbackServerContext* context,
                                                            const v1::CancelRemindersRequest* request,
                                                            v1::CancelRemindersResponse* response) {
  return kit_.Unary(context, "CancelReminders", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      FieldViolations v;
                      CheckRef(v, "clinic_id", request->clinic_id());
                      CheckRef(v, "owner_ref", request->owner_ref());
                      if (request->before_generation() < 0) {
                        v.Add("before_generation", "must not be negative");
                      }
                      RETURN_IF_ERROR(v.ToStatus());
                      ASSIGN_OR_RETURN(int cancelled,
                                       deps_.store->CancelByOwner(request->clinic_id(), request->owner_ref(),
                                                                  request->before_generation(),
                                                                  call.SuccessEntry(request->owner_ref())));
                      response->set_cancelled(cancelled);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* RemindersService::RegisterTemplate(grpc::CallbackServerContext* context,
                                                             const v1::RegisterTemplateRequest* request,
                                                             v1::Template* response) {
  return kit_.Unary(context, "RegisterTemplate", request->template_().clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      // Discreet unless a clinic admin opted this template out; the caller's flag is not
                      // asked.
                      v1::RegisterTemplateRequest effective = *request;
                      v1::Template& t = *effective.mutable_template_();
                      t.set_discreet(true);
                      if (IsValidRef(t.clinic_id()) && IsValidRef(t.template_id())) {
                        ASSIGN_OR_RETURN(TemplateDiscretionProto decision,
                                         deps_.discretion->Get(t.clinic_id(), t.template_id()));
                        t.set_discreet(decision.mode() != v1::DISCRETION_MODE_OPTED_OUT);
                      }
                      RETURN_IF_ERROR(ValidateTemplate(effective, *deps_.policy));
                      RETURN_IF_ERROR(deps_.store->PutTemplate(t, call.SuccessEntry(t.template_id())));
                      *response = t;
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* RemindersService::GetReminder(grpc::CallbackServerContext* context,
                                                        const v1::GetReminderRequest* request,
                                                        v1::Reminder* response) {
  return kit_.Unary(context, "GetReminder", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      FieldViolations v;
                      CheckRef(v, "clinic_id", request->clinic_id());
                      CheckRef(v, "reminder_id", request->reminder_id());
                      RETURN_IF_ERROR(v.ToStatus());
                      ASSIGN_OR_RETURN(ReminderProto reminder,
                                       deps_.store->Get(request->clinic_id(), request->reminder_id()));
                      RETURN_IF_ERROR(call.AuditRead(reminder.reminder_id()));
                      *response = ForSupport(reminder);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* RemindersService::ListReminders(grpc::CallbackServerContext* context,
                                                          const v1::ListRemindersRequest* request,
                                                          v1::ListRemindersResponse* response) {
  return kit_.Unary(
      context, "ListReminders", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        FieldViolations v;
        CheckRef(v, "clinic_id", request->clinic_id());
        if (!request->owner_ref().empty()) CheckRef(v, "owner_ref", request->owner_ref());
        if (request->state() != v1::REMINDER_STATE_UNSPECIFIED &&
            !StateFilter(request->state()).has_value()) {
          v.Add("state", "is not a reminder state");
        }
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(int page_size,
                         db::EffectivePageSize(request->page().page_size(), kDefaultPageSize, kMaxPageSize));
        // A token continues only the listing it came from: same clinic, owner and state.
        db::PageFilter filter;
        filter.Add("clinic_id", request->clinic_id())
            .Add("owner_ref", request->owner_ref())
            .Add("state", static_cast<int64_t>(request->state()));
        ASSIGN_OR_RETURN(std::vector<std::string> after,
                         db::DecodePageToken(request->page().page_token(), filter));
        // The token's checksum keeps out accidents, not forgery: what it carries is held to the id rule.
        if (after.size() > 1 || (after.size() == 1 && !IsValidRef(after.front()))) {
          FieldViolations bad;
          bad.Add("page.page_token", "is not a page token from this listing");
          return bad.ToStatus();
        }
        ASSIGN_OR_RETURN(ReminderPage page, deps_.store->List(request->clinic_id(), request->owner_ref(),
                                                              StateFilter(request->state()), page_size,
                                                              after.empty() ? std::string() : after.front()));
        std::vector<std::string> returned;
        returned.reserve(page.reminders.size());
        for (const ReminderProto& r : page.reminders) returned.push_back(r.reminder_id());
        RETURN_IF_ERROR(call.AuditList(returned));
        for (const ReminderProto& r : page.reminders) *response->add_reminders() = ForSupport(r);
        tandem::common::v1::PageResponse& next = *response->mutable_page();
        if (!page.last_id.empty()) next.set_next_page_token(db::EncodePageToken(filter, {page.last_id}));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RemindersService::SetTemplateDiscretion(
    grpc::CallbackServerContext* context, const v1::SetTemplateDiscretionRequest* request,
    v1::TemplateDiscretion* response) {
  return kit_.Unary(context, "SetTemplateDiscretion", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      FieldViolations v;
                      CheckRef(v, "clinic_id", request->clinic_id());
                      CheckRef(v, "template_id", request->template_id());
                      if (request->mode() != v1::DISCRETION_MODE_ENFORCED &&
                          request->mode() != v1::DISCRETION_MODE_OPTED_OUT) {
                        v.Add("mode", "must be DISCRETION_MODE_ENFORCED or DISCRETION_MODE_OPTED_OUT");
                      }
                      RETURN_IF_ERROR(v.ToStatus());
                      TemplateDiscretionProto decision;
                      decision.set_clinic_id(request->clinic_id());
                      decision.set_template_id(request->template_id());
                      decision.set_mode(request->mode());
                      const auth::Principal* person = call.person();
                      decision.set_updated_by(person != nullptr ? person->subject : call.caller().subject);
                      ASSIGN_OR_RETURN(*response, deps_.discretion->Set(
                                                      decision, call.SuccessEntry(request->template_id())));
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* RemindersService::GetTemplateDiscretion(
    grpc::CallbackServerContext* context, const v1::GetTemplateDiscretionRequest* request,
    v1::TemplateDiscretion* response) {
  return kit_.Unary(context, "GetTemplateDiscretion", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      FieldViolations v;
                      CheckRef(v, "clinic_id", request->clinic_id());
                      CheckRef(v, "template_id", request->template_id());
                      RETURN_IF_ERROR(v.ToStatus());
                      ASSIGN_OR_RETURN(*response,
                                       deps_.discretion->Get(request->clinic_id(), request->template_id()));
                      return call.AuditRead(request->template_id());
                    });
}

}  // namespace tandem::reminders
