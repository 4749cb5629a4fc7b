#include "services/reminders/reminders_service.h"

#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/grpc/blocking_call.h"
#include "common/grpc/call_context.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "common/time/time_zone.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "openssl/sha.h"
#include "services/reminders/address.h"
#include "services/reminders/delivery.h"
#include "services/reminders/reminder_state.h"
#include "services/reminders/reminders_metrics.h"

namespace tandem::reminders {
namespace {

using google::protobuf::util::TimeUtil;
namespace v1 = tandem::reminders::v1;

// A reused idempotency key must come with the same request: hash the request's deterministic encoding.
std::string RequestHash(const v1::ScheduleReminderRequest& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

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
  out.set_recipient(absl::StrCat("(", AddressShape(reminder.recipient()), ")"));
  out.clear_params();
  return out;
}

absl::StatusOr<auth::Principal> RemindersService::Authorize(const grpc::CallbackServerContext& context,
                                                            const std::string& clinic_id,
                                                            absl::string_view action) {
  ASSIGN_OR_RETURN(auth::Principal principal, Authenticate(context, *deps_.verifier));
  absl::Status denied;
  if (!principal.IsService()) {
    denied = absl::PermissionDeniedError("reminders are managed by Tandem services only");
  } else if (principal.end_user != nullptr && !clinic_id.empty() &&
             principal.end_user->clinic_id != clinic_id) {
    denied = absl::PermissionDeniedError("the end user does not belong to this clinic");
  }
  if (denied.ok()) return principal;
  if (IsValidRef(clinic_id) && deps_.audit != nullptr) {
    audit::AuditEntry entry;
    entry.clinic_id = clinic_id;
    entry.actor = principal.subject;
    entry.actor_role = principal.IsService() ? auth::kRoleService : "user";
    if (principal.end_user != nullptr) entry.on_behalf_of = principal.end_user->subject;
    entry.action = std::string(action);
    entry.resource_type = "reminder";
    entry.request_id = RequestIdOf(context);
    entry.outcome = std::string(audit::kOutcomeDenied);
    if (auto appended = deps_.audit->Append(entry); !appended.ok()) {
      log::Error("audit_append_failed", {{"code", absl::StatusCodeToString(appended.status().code())}});
    }
  }
  return denied;
}

void RemindersService::Audit(const grpc::CallbackServerContext& context, const auth::Principal& principal,
                             const std::string& clinic_id, absl::string_view action,
                             const std::string& resource_id) {
  if (deps_.audit == nullptr) return;
  audit::AuditEntry entry;
  entry.clinic_id = clinic_id;
  entry.actor = principal.subject;
  entry.actor_role = auth::kRoleService;
  if (principal.end_user != nullptr) entry.on_behalf_of = principal.end_user->subject;
  entry.action = std::string(action);
  entry.resource_type = "reminder";
  entry.resource_id = resource_id;
  entry.request_id = RequestIdOf(context);
  entry.outcome = std::string(audit::kOutcomeOk);
  if (auto appended = deps_.audit->Append(entry); !appended.ok()) {
    log::Error("audit_append_failed", {{"code", absl::StatusCodeToString(appended.status().code())}});
  }
}

grpc::ServerUnaryReactor* RemindersService::ScheduleReminder(grpc::CallbackServerContext* context,
                                                             const v1::ScheduleReminderRequest* request,
                                                             v1::Reminder* response) {
  return RunBlocking(context, *deps_.workers,
                     [this, context, request, response] { return Schedule(*context, *request, *response); });
}

absl::Status RemindersService::Schedule(const grpc::CallbackServerContext& context,
                                        const v1::ScheduleReminderRequest& request, v1::Reminder& response) {
  ASSIGN_OR_RETURN(auth::Principal principal, Authorize(context, request.clinic_id(), "reminder.schedule"));
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
  input.caller = principal.subject;
  input.idempotency_key = request.idempotency_key();
  input.request_hash = RequestHash(request);
  ReminderProto& r = input.reminder;
  r.set_reminder_id(NewUuidV7(*deps_.clock));
  r.set_delivery_id(NewUuidV7(*deps_.clock));
  r.set_clinic_id(request.clinic_id());
  r.set_owner_ref(request.owner_ref());
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

  ASSIGN_OR_RETURN(ReminderProto stored, deps_.store->Schedule(input));
  Audit(context, principal, stored.clinic_id(), "reminder.schedule", stored.reminder_id());
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
  return RunBlocking(context, *deps_.workers, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(auth::Principal principal, Authorize(*context, request->clinic_id(), "reminder.cancel"));
    FieldViolations v;
    CheckRef(v, "clinic_id", request->clinic_id());
    CheckRef(v, "owner_ref", request->owner_ref());
    RETURN_IF_ERROR(v.ToStatus());
    ASSIGN_OR_RETURN(int cancelled, deps_.store->CancelByOwner(request->clinic_id(), request->owner_ref()));
    Audit(*context, principal, request->clinic_id(), "reminder.cancel", request->owner_ref());
    response->set_cancelled(cancelled);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RemindersService::RegisterTemplate(grpc::CallbackServerContext* context,
                                                             const v1::RegisterTemplateRequest* request,
                                                             v1::Template* response) {
  return RunBlocking(context, *deps_.workers, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(auth::Principal principal,
                     Authorize(*context, request->template_().clinic_id(), "reminder_template.register"));
    RETURN_IF_ERROR(ValidateTemplate(*request, *deps_.policy));
    RETURN_IF_ERROR(deps_.store->PutTemplate(request->template_()));
    Audit(*context, principal, request->template_().clinic_id(), "reminder_template.register",
          request->template_().template_id());
    *response = request->template_();
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RemindersService::GetReminder(grpc::CallbackServerContext* context,
                                                        const v1::GetReminderRequest* request,
                                                        v1::Reminder* response) {
  return RunBlocking(context, *deps_.workers, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(auth::Principal principal, Authorize(*context, request->clinic_id(), "reminder.read"));
    FieldViolations v;
    CheckRef(v, "clinic_id", request->clinic_id());
    CheckRef(v, "reminder_id", request->reminder_id());
    RETURN_IF_ERROR(v.ToStatus());
    ASSIGN_OR_RETURN(ReminderProto reminder, deps_.store->Get(request->clinic_id(), request->reminder_id()));
    Audit(*context, principal, request->clinic_id(), "reminder.read", reminder.reminder_id());
    *response = ForSupport(reminder);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RemindersService::ListReminders(grpc::CallbackServerContext* context,
                                                          const v1::ListRemindersRequest* request,
                                                          v1::ListRemindersResponse* response) {
  return RunBlocking(context, *deps_.workers, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(auth::Principal principal, Authorize(*context, request->clinic_id(), "reminder.list"));
    FieldViolations v;
    CheckRef(v, "clinic_id", request->clinic_id());
    if (!request->owner_ref().empty()) CheckRef(v, "owner_ref", request->owner_ref());
    if (request->page().page_size() < 0) v.Add("page.page_size", "must not be negative");
    const std::string& token = request->page().page_token();
    if (!token.empty() && !IsValidRef(token)) v.Add("page.page_token", "is not a token from an earlier page");
    RETURN_IF_ERROR(v.ToStatus());
    ASSIGN_OR_RETURN(ReminderPage page,
                     deps_.store->List(request->clinic_id(), request->owner_ref(),
                                       StateFilter(request->state()), request->page().page_size(), token));
    Audit(*context, principal, request->clinic_id(), "reminder.list", request->owner_ref());
    for (const ReminderProto& r : page.reminders) *response->add_reminders() = ForSupport(r);
    response->mutable_page()->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

}  // namespace tandem::reminders
