#include "services/scheduling/api/scheduling_service.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db/idempotency_store.h"
#include "common/db/page_token.h"
#include "common/log/log.h"
#include "common/status/field_violations.h"
#include "common/status/status_macros.h"
#include "common/time/time_zone.h"
#include "common/time/uuid.h"
#include "services/scheduling/api/handler_support.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/attendance.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/domain/proto_status.h"
#include "services/scheduling/domain/proto_time.h"
#include "services/scheduling/domain/recurrence.h"
#include "services/scheduling/domain/request_validation.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr int kMaxSlots = 2000;
constexpr char kCareTeamSeparator = ',';

absl::Status NotFound(absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(what, " not found"));
}

std::string CareTeamKey(const std::string& clinic_id, const std::string& client_id) {
  return absl::StrCat("care_team/", clinic_id, "/", client_id);
}

absl::Duration CancellationWindow(const ClinicianPolicy& policy) { return policy.late_cancellation_window; }

// Whether a change reaches beyond the one appointment: a series scope on an appointment of a series.
bool InSeriesScope(const AppointmentProto& appointment, v1::ChangeScope scope) {
  return !appointment.series_id().empty() &&
         (scope == v1::CHANGE_SCOPE_THIS_AND_FOLLOWING || scope == v1::CHANGE_SCOPE_WHOLE_SERIES);
}

// The answer of a series change: the appointment the request named, as changed, or as it was when the
// change left it alone.
absl::Status NamedOrCurrent(const std::vector<AppointmentProto>& changed, const AppointmentProto& current,
                            AppointmentProto& response) {
  response = current;
  for (const AppointmentProto& a : changed) {
    if (a.appointment_id() == current.appointment_id()) response = a;
  }
  return absl::OkStatus();
}

service::RpcRule CalendarFeedFetchRule() {
  service::RpcRule rule;
  rule.action = "calendar_feed.fetch";
  rule.resource_type = "calendar_feed";
  rule.credential_in_request = true;
  return rule;
}

}  // namespace

service::AuthzTable SchedulingRules() {
  const std::string admin = auth::kRoleAdmin;
  const std::string desk = auth::kRoleFrontDesk;
  const std::string clinician = auth::kRoleClinician;
  const std::string client = auth::kRoleClient;
  const std::vector<std::string> staff = {admin, desk};
  const std::vector<std::string> staff_and_clinicians = {admin, desk, clinician};
  const std::vector<std::string> everyone = {admin, desk, clinician, client};
  // The services whose own authorization asks about care teams and appointments, and that remind people.
  const std::vector<std::string> services = {"notes", "homework", "progress"};
  return service::AuthzTable(
      v1::SchedulingService::service_full_name(),
      {
          {"UpsertClinician", {{admin, clinician}, {}, {}, "clinician.upsert", "clinician"}},
          {"GetClinician", {staff_and_clinicians, {}, {}, "clinician.read", "clinician"}},
          {"SetAvailability", {staff_and_clinicians, {}, {}, "availability.set", "clinician"}},
          {"GetAvailability", {staff_and_clinicians, {}, {}, "availability.read", "clinician"}},
          {"UpsertClient", {{admin, desk, client}, {}, {}, "client.upsert", "client"}},
          {"GetClient", {everyone, {}, {}, "client.read", "client"}},
          // A clinician cannot put themselves on a care team: emergency access is the notes service's.
          {"SetCareTeam", {staff, {}, {}, "care_team.set", "client"}},
          {"CheckCareTeam", {{}, services, everyone, "care_team.check", "client"}},
          {"GetContact", {{}, services, everyone, "contact.read", "person"}},
          {"BookAppointment", {everyone, {}, {}, "appointment.book", "appointment"}},
          // Series are arranged with the clinic; a client books single visits.
          {"BookSeries", {staff_and_clinicians, {}, {}, "series.book", "appointment"}},
          {"GetAppointment", {everyone, services, everyone, "appointment.read", "appointment"}},
          {"RescheduleAppointment", {everyone, {}, {}, "appointment.reschedule", "appointment"}},
          {"CancelAppointment", {everyone, {}, {}, "appointment.cancel", "appointment"}},
          {"RecordAttendance", {staff_and_clinicians, {}, {}, "appointment.attendance", "appointment"}},
          {"ListAppointments", {everyone, {}, {}, "appointment.list", "appointment"}},
          {"GetClinicianDay", {staff_and_clinicians, {}, {}, "appointment.day", "appointment"}},
          {"FindSlots", {everyone, {}, {}, "slots.find", "clinician"}},
          {"GetAttendanceSummary",
           {staff_and_clinicians, {"progress"}, staff_and_clinicians, "attendance.read", "client"}},
          // A clinician manages only their own feeds (checked in the handlers).
          {"CreateCalendarFeed", {{admin, clinician}, {}, {}, "calendar_feed.create", "calendar_feed"}},
          {"RevokeCalendarFeed", {{admin, clinician}, {}, {}, "calendar_feed.revoke", "calendar_feed"}},
          {"ListCalendarFeeds", {{admin, clinician}, {}, {}, "calendar_feed.list", "calendar_feed"}},
          // Calendar apps send no bearer token: the feed token in the URL is the credential.
          {"GetCalendarFeed", CalendarFeedFetchRule()},
          // The waitlist: a client joins and answers offers for themselves (joining only where they may book
          // themselves), a clinician works their own queue for care-team clients, staff any.
          {"JoinWaitlist", {everyone, {}, {}, "waitlist.join", "waitlist_entry"}},
          {"LeaveWaitlist", {everyone, {}, {}, "waitlist.leave", "waitlist_entry"}},
          {"ListWaitlist", {everyone, {}, {}, "waitlist.list", "waitlist_entry"}},
          {"AcceptWaitlistOffer", {everyone, {}, {}, "waitlist.accept", "appointment"}},
          {"DeclineWaitlistOffer", {everyone, {}, {}, "waitlist.decline", "appointment"}},
      });
}

SchedulingService::SchedulingService(SchedulingServiceDeps deps)
    : deps_(std::move(deps)),
      kit_(deps_.service_name, SchedulingRules(), *deps_.verifier, *deps_.audit, *deps_.workers) {}

// ---- Roster ----

grpc::ServerUnaryReactor* SchedulingService::UpsertClinician(grpc::CallbackServerContext* context,
                                                             const v1::UpsertClinicianRequest* request,
                                                             v1::Clinician* response) {
  return kit_.Unary(
      context, "UpsertClinician", request->clinician().clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateUpsertClinician(*request).status());
        ClinicianProto clinician = request->clinician();
        if (ReachOf(call) != Reach::kClinic) {
          if (clinician.clinician_id() != PersonId(call)) {
            return call.Refuse(absl::PermissionDeniedError("a clinician edits only their own profile"),
                               clinician.clinician_id());
          }
          // Supervision is the clinic's decision: a clinician's own edit keeps the stored supervisor.
          absl::StatusOr<ClinicianProto> stored =
              deps_.store->GetClinician(clinician.clinic_id(), clinician.clinician_id());
          if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
          clinician.set_supervisor_id(stored.ok() ? stored->supervisor_id() : std::string());
        }
        *clinician.mutable_update_time() = ToProto(deps_.clock->Now());
        ASSIGN_OR_RETURN(
            *response, deps_.store->UpsertClinician(clinician, call.SuccessEntry(clinician.clinician_id())));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::GetClinician(grpc::CallbackServerContext* context,
                                                          const v1::GetClinicianRequest* request,
                                                          v1::Clinician* response) {
  return kit_.Unary(
      context, "GetClinician", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateGetClinician(*request));
        ASSIGN_OR_RETURN(*response, deps_.store->GetClinician(request->clinic_id(), request->clinician_id()));
        return call.AuditRead(request->clinician_id());
      });
}

grpc::ServerUnaryReactor* SchedulingService::SetAvailability(grpc::CallbackServerContext* context,
                                                             const v1::SetAvailabilityRequest* request,
                                                             v1::Availability* response) {
  return kit_.Unary(
      context, "SetAvailability", request->availability().clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateSetAvailability(*request).status());
        AvailabilityProto availability = request->availability();
        if (ReachOf(call) != Reach::kClinic && availability.clinician_id() != PersonId(call)) {
          return call.Refuse(absl::PermissionDeniedError("a clinician sets only their own working hours"),
                             availability.clinician_id());
        }
        *availability.mutable_update_time() = ToProto(deps_.clock->Now());
        ASSIGN_OR_RETURN(*response, deps_.store->SetAvailability(
                                        availability, call.SuccessEntry(availability.clinician_id())));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::GetAvailability(grpc::CallbackServerContext* context,
                                                             const v1::GetAvailabilityRequest* request,
                                                             v1::Availability* response) {
  return kit_.Unary(context, "GetAvailability", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      RETURN_IF_ERROR(ValidateGetAvailability(*request));
                      ASSIGN_OR_RETURN(*response, deps_.store->GetAvailability(request->clinic_id(),
                                                                               request->clinician_id()));
                      return call.AuditRead(request->clinician_id());
                    });
}

grpc::ServerUnaryReactor* SchedulingService::UpsertClient(grpc::CallbackServerContext* context,
                                                          const v1::UpsertClientRequest* request,
                                                          v1::Client* response) {
  return kit_.Unary(
      context, "UpsertClient", request->client().clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateUpsertClient(*request));
        ClientProto client = request->client();
        client.clear_care_team();  // output only: SetCareTeam changes it
        if (ReachOf(call) != Reach::kClinic) {
          if (client.client_id() != PersonId(call)) {
            return call.Refuse(absl::PermissionDeniedError("a client edits only their own record"),
                               client.client_id());
          }
          // Linking a couple is the clinic's decision: a client's own edit keeps the stored partner.
          absl::StatusOr<ClientProto> stored = deps_.store->GetClient(client.clinic_id(), client.client_id());
          if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
          client.set_partner_client_id(stored.ok() ? stored->partner_client_id() : std::string());
        }
        *client.mutable_update_time() = ToProto(deps_.clock->Now());
        ASSIGN_OR_RETURN(*response, deps_.store->UpsertClient(
                                        client, call.SuccessEntry(client.client_id(), client.client_id())));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::GetClient(grpc::CallbackServerContext* context,
                                                       const v1::GetClientRequest* request,
                                                       v1::Client* response) {
  return kit_.Unary(context, "GetClient", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      RETURN_IF_ERROR(ValidateGetClient(*request));
                      const std::string& client_id = request->client_id();
                      Reach reach = ReachOf(call);
                      if (reach == Reach::kClient && client_id != PersonId(call)) {
                        return call.Refuse(NotFound("client"), client_id);
                      }
                      if (reach == Reach::kClinician) {
                        ASSIGN_OR_RETURN(bool on_team,
                                         OnCareTeam(request->clinic_id(), client_id, PersonId(call)));
                        if (!on_team) return call.Refuse(NotFound("client"), client_id);
                      }
                      ASSIGN_OR_RETURN(*response, deps_.store->GetClient(request->clinic_id(), client_id));
                      return call.AuditRead(client_id, client_id);
                    });
}

grpc::ServerUnaryReactor* SchedulingService::SetCareTeam(grpc::CallbackServerContext* context,
                                                         const v1::SetCareTeamRequest* request,
                                                         v1::Client* response) {
  return kit_.Unary(context, "SetCareTeam", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      ASSIGN_OR_RETURN(std::vector<std::string> clinician_ids, ValidateSetCareTeam(*request));
                      ASSIGN_OR_RETURN(*response,
                                       deps_.store->SetCareTeam(
                                           request->clinic_id(), request->client_id(), clinician_ids,
                                           call.SuccessEntry(request->client_id(), request->client_id())));
                      CareTeamChanged(request->clinic_id(), request->client_id());
                      return absl::OkStatus();
                    });
}

// Not audited per call: it is an authorization lookup made by services whose own calls are audited, on the
// hot path of every one of them, and it reveals no record.
grpc::ServerUnaryReactor* SchedulingService::CheckCareTeam(grpc::CallbackServerContext* context,
                                                           const v1::CheckCareTeamRequest* request,
                                                           v1::CheckCareTeamResponse* response) {
  return kit_.Unary(context, "CheckCareTeam", request->clinic_id(),
                    [this, request, response](const service::Call&) -> absl::Status {
                      RETURN_IF_ERROR(ValidateCheckCareTeam(*request));
                      ASSIGN_OR_RETURN(bool on_team, OnCareTeam(request->clinic_id(), request->client_id(),
                                                                request->clinician_id()));
                      response->set_on_care_team(on_team);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* SchedulingService::GetContact(grpc::CallbackServerContext* context,
                                                        const v1::GetContactRequest* request,
                                                        v1::Contact* response) {
  return kit_.Unary(context, "GetContact", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      RETURN_IF_ERROR(ValidateGetContact(*request));
                      response->set_clinic_id(request->clinic_id());
                      response->set_kind(request->kind());
                      response->set_person_id(request->person_id());
                      if (request->kind() == v1::PERSON_KIND_CLIENT) {
                        ASSIGN_OR_RETURN(ClientProto client,
                                         deps_.store->GetClient(request->clinic_id(), request->person_id()));
                        response->set_time_zone(client.time_zone());
                        *response->mutable_channels() = client.contacts();
                        if (client.reminders().has_quiet_hours()) {
                          *response->mutable_quiet_hours() = client.reminders().quiet_hours();
                        }
                        response->set_opted_out(client.reminders().opted_out());
                        return call.AuditRead(request->person_id(), request->person_id());
                      }
                      ASSIGN_OR_RETURN(ClinicianProto clinician,
                                       deps_.store->GetClinician(request->clinic_id(), request->person_id()));
                      response->set_time_zone(clinician.time_zone());
                      *response->mutable_channels() = clinician.contacts();
                      return call.AuditRead(request->person_id());
                    });
}

absl::StatusOr<bool> SchedulingService::OnCareTeam(const std::string& clinic_id, const std::string& client_id,
                                                   const std::string& clinician_id) {
  auto load = [&]() -> absl::StatusOr<std::string> {
    absl::StatusOr<ClientProto> client = deps_.store->GetClient(clinic_id, client_id);
    if (absl::IsNotFound(client.status())) return std::string();  // no client: nobody is on their team
    if (!client.ok()) return client.status();
    return absl::StrJoin(client->care_team(), std::string(1, kCareTeamSeparator));
  };
  absl::StatusOr<std::string> team;
  if (deps_.care_teams != nullptr) {
    team = deps_.care_teams->GetOrLoadVersioned(CareTeamKey(clinic_id, client_id), load);
  } else {
    team = load();
  }
  if (!team.ok()) return team.status();
  for (absl::string_view member : absl::StrSplit(*team, kCareTeamSeparator, absl::SkipEmpty())) {
    if (member == clinician_id) return true;
  }
  return false;
}

void SchedulingService::CareTeamChanged(const std::string& clinic_id, const std::string& client_id) {
  if (deps_.care_teams == nullptr) return;
  absl::StatusOr<int64_t> bumped = deps_.care_teams->BumpVersion(CareTeamKey(clinic_id, client_id));
  if (!bumped.ok()) {
    // The old team stays cached until its ttl ends; operators see it in the log and the cache metrics.
    log::Warn("care_team_cache_stale", {{"code", absl::StatusCodeToString(bumped.status().code())}});
  }
}

// ---- Appointments ----

absl::StatusOr<AppointmentProto> SchedulingService::AccessibleAppointment(const service::Call& call,
                                                                          const std::string& clinic_id,
                                                                          const std::string& appointment_id) {
  ASSIGN_OR_RETURN(AppointmentProto appointment, deps_.store->GetAppointment(clinic_id, appointment_id));
  RETURN_IF_ERROR(CheckMayAccess(call, appointment));
  return appointment;
}

absl::Status SchedulingService::CheckMayAccess(const service::Call& call,
                                               const AppointmentProto& appointment) {
  switch (ReachOf(call)) {
    case Reach::kClinic:
      return absl::OkStatus();
    case Reach::kClinician:
      if (appointment.clinician_id() == PersonId(call)) return absl::OkStatus();
      break;
    case Reach::kClient:
      for (const std::string& client_id : appointment.client_ids()) {
        if (client_id == PersonId(call)) return absl::OkStatus();
      }
      break;
  }
  return call.Refuse(NotFound("appointment"), appointment.appointment_id());
}

grpc::ServerUnaryReactor* SchedulingService::BookAppointment(grpc::CallbackServerContext* context,
                                                             const v1::BookAppointmentRequest* request,
                                                             v1::Appointment* response) {
  return kit_.Unary(
      context, "BookAppointment", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        absl::Time now = deps_.clock->Now();
        // A retry gets the first answer, even once the start has passed or the first booking holds the slot;
        // only the key's owner (the same caller) can ask, and the store audits the answer it gives.
        if (IsValidRef(request->clinic_id()) && !request->idempotency_key().empty() &&
            request->idempotency_key().size() <= db::IdempotencyStore::kMaxKeyBytes) {
          ASSIGN_OR_RETURN(
              std::optional<AppointmentProto> earlier,
              deps_.store->EarlierBooking(request->clinic_id(), call.caller().subject,
                                          request->idempotency_key(), db::RequestHash(*request)));
          if (earlier.has_value()) {
            RETURN_IF_ERROR(call.AuditRead(earlier->appointment_id(), earlier->client_ids(0)));
            *response = *std::move(earlier);
            return absl::OkStatus();
          }
        }
        ASSIGN_OR_RETURN(Interval interval, ValidateBookAppointment(*request, now));
        const std::string& clinic_id = request->clinic_id();
        Reach reach = ReachOf(call);
        if (reach == Reach::kClinician && request->clinician_id() != PersonId(call)) {
          return call.Refuse(absl::PermissionDeniedError("a clinician books only on their own calendar"),
                             request->clinician_id());
        }
        if (reach == Reach::kClient) {
          // A client books for themselves, or for themselves and their partner.
          const std::string& self = PersonId(call);
          bool includes_self = false;
          std::string other;
          for (const std::string& id : request->client_ids()) {
            if (id == self) {
              includes_self = true;
            } else {
              other = id;
            }
          }
          if (!includes_self) {
            return call.Refuse(absl::PermissionDeniedError("a client books only their own appointments"),
                               self);
          }
          if (!other.empty()) {
            absl::StatusOr<ClientProto> me = deps_.store->GetClient(clinic_id, self);
            if (!me.ok() || me->partner_client_id() != other) {
              return call.Refuse(absl::PermissionDeniedError("a client books only with their own partner"),
                                 self);
            }
          }
        }
        ASSIGN_OR_RETURN(ClinicianProto clinician,
                         deps_.store->GetClinician(clinic_id, request->clinician_id()));
        ASSIGN_OR_RETURN(ClinicianPolicy policy, PolicyOf(clinician));
        if (reach == Reach::kClient) RETURN_IF_ERROR(CheckSelfBooking(clinician, policy, interval, now, {}));

        NewAppointment booking;
        AppointmentProto& a = booking.appointment;
        a.set_clinic_id(clinic_id);
        a.set_appointment_id(NewUuidV7(*deps_.clock));
        a.set_clinician_id(request->clinician_id());
        *a.mutable_client_ids() = request->client_ids();
        *a.mutable_start_time() = request->start_time();
        *a.mutable_end_time() = request->end_time();
        a.set_modality(request->modality());
        a.set_room(request->room());
        a.set_telehealth_url(request->telehealth_url());
        a.set_status(v1::APPOINTMENT_STATUS_BOOKED);
        a.set_revision(1);
        *a.mutable_create_time() = ToProto(now);
        *a.mutable_update_time() = ToProto(now);
        booking.protected_interval = ProtectedInterval(interval, policy.buffers);
        booking.caller = call.caller().subject;
        booking.idempotency_key = request->idempotency_key();
        booking.request_hash = db::RequestHash(*request);
        ASSIGN_OR_RETURN(*response,
                         deps_.store->Book(booking, call.SuccessEntry(a.appointment_id(), a.client_ids(0))));
        return absl::OkStatus();
      });
}

absl::Status SchedulingService::RescheduleSeries(const service::Call& call, const AppointmentProto& current,
                                                 const ClinicianPolicy& policy, const Interval& requested,
                                                 v1::ChangeScope scope, AppointmentProto& response) {
  const absl::Time now = deps_.clock->Now();
  const absl::TimeZone& zone = policy.time_zone;
  // The named occurrence's move, in local wall-clock minutes: every other occurrence moves by the same, so a
  // 09:00 series moved to 10:00 stays at 10:00 after a clock change.
  const absl::civil_diff_t shift =
      absl::ToCivilMinute(requested.start, zone) - absl::ToCivilMinute(FromProto(current.start_time()), zone);
  const absl::Duration length = requested.end - requested.start;
  auto move = [&](const AppointmentProto& stored) -> absl::StatusOr<std::optional<AppointmentChange>> {
    const absl::Time start = FromProto(stored.start_time());
    if (start < now) return std::nullopt;  // started or over: history stays
    std::optional<AppointmentStatus> status = FromProtoStatus(stored.status());
    if (!status.has_value()) return absl::DataLossError("the stored appointment has no known status");
    if (!ApplyAction(*status, AppointmentAction::kReschedule).ok()) return std::nullopt;
    Interval moved;
    moved.start = absl::FromCivil(absl::ToCivilMinute(start, zone) + shift, zone);
    moved.end = moved.start + length;
    if (moved.start < now) {
      return absl::FailedPreconditionError("the change would move an occurrence into the past");
    }
    AppointmentChange change;
    change.updated = stored;
    change.updated.set_revision(stored.revision() + 1);
    *change.updated.mutable_start_time() = ToProto(moved.start);
    *change.updated.mutable_end_time() = ToProto(moved.end);
    *change.updated.mutable_update_time() = ToProto(now);
    change.protected_interval = ProtectedInterval(moved, policy.buffers);
    return change;
  };
  const absl::Time from = scope == v1::CHANGE_SCOPE_WHOLE_SERIES ? now : FromProto(current.start_time());
  ASSIGN_OR_RETURN(
      std::vector<AppointmentProto> changed,
      deps_.store->UpdateSeries(current.clinic_id(), current.series_id(), from, move,
                                call.SuccessEntry(current.appointment_id(), current.client_ids(0))));
  return NamedOrCurrent(changed, current, response);
}

grpc::ServerUnaryReactor* SchedulingService::BookSeries(grpc::CallbackServerContext* context,
                                                        const v1::BookSeriesRequest* request,
                                                        v1::BookSeriesResponse* response) {
  return kit_.Unary(
      context, "BookSeries", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(SeriesBooking series, ValidateBookSeries(*request));
        if (ReachOf(call) == Reach::kClinician && request->clinician_id() != PersonId(call)) {
          return call.Refuse(absl::PermissionDeniedError("a clinician books only on their own calendar"),
                             request->clinician_id());
        }
        const std::string& clinic_id = request->clinic_id();
        ASSIGN_OR_RETURN(ClinicianProto clinician,
                         deps_.store->GetClinician(clinic_id, request->clinician_id()));
        ASSIGN_OR_RETURN(ClinicianPolicy policy, PolicyOf(clinician));
        // Local times in the clinician's zone, as the recurrence is written.
        ASSIGN_OR_RETURN(std::vector<Occurrence> occurrences, Expand(series.rule, policy.time_zone));
        const absl::Time now = deps_.clock->Now();
        NewSeries booking;
        booking.skip_conflicts = series.skip_conflicts;
        booking.caller = call.caller().subject;
        booking.idempotency_key = request->idempotency_key();
        booking.request_hash = db::RequestHash(*request);
        booking.response.set_series_id(NewUuidV7(*deps_.clock));
        for (const Occurrence& occurrence : occurrences) {
          if (occurrence.utc.start < now) {
            if (!series.skip_conflicts) {
              FieldViolations v;
              v.Add("recurrence.first_date", "the series would have occurrences in the past");
              return v.ToStatus();
            }
            *booking.response.add_skipped()->mutable_start_time() = ToProto(occurrence.utc.start);
            continue;
          }
          NewAppointment& next = booking.occurrences.emplace_back();
          AppointmentProto& a = next.appointment;
          a.set_clinic_id(clinic_id);
          a.set_appointment_id(NewUuidV7(*deps_.clock));
          a.set_clinician_id(request->clinician_id());
          *a.mutable_client_ids() = request->client_ids();
          *a.mutable_start_time() = ToProto(occurrence.utc.start);
          *a.mutable_end_time() = ToProto(occurrence.utc.end);
          a.set_modality(request->modality());
          a.set_room(request->room());
          a.set_telehealth_url(request->telehealth_url());
          a.set_status(v1::APPOINTMENT_STATUS_BOOKED);
          a.set_series_id(booking.response.series_id());
          a.set_revision(1);
          *a.mutable_create_time() = ToProto(now);
          *a.mutable_update_time() = ToProto(now);
          next.protected_interval = ProtectedInterval(occurrence.utc, policy.buffers);
        }
        if (booking.occurrences.empty()) {
          return absl::FailedPreconditionError("every occurrence of the series is in the past");
        }
        ASSIGN_OR_RETURN(
            *response, deps_.store->BookSeries(
                           booking, call.SuccessEntry(booking.response.series_id(), request->client_ids(0))));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::GetAppointment(grpc::CallbackServerContext* context,
                                                            const v1::GetAppointmentRequest* request,
                                                            v1::Appointment* response) {
  return kit_.Unary(
      context, "GetAppointment", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateGetAppointment(*request));
        ASSIGN_OR_RETURN(AppointmentProto appointment,
                         AccessibleAppointment(call, request->clinic_id(), request->appointment_id()));
        RETURN_IF_ERROR(call.AuditRead(appointment.appointment_id(), appointment.client_ids(0)));
        *response = std::move(appointment);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::RescheduleAppointment(
    grpc::CallbackServerContext* context, const v1::RescheduleAppointmentRequest* request,
    v1::Appointment* response) {
  return kit_.Unary(
      context, "RescheduleAppointment", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        absl::Time now = deps_.clock->Now();
        ASSIGN_OR_RETURN(Interval interval, ValidateRescheduleAppointment(*request, now));
        ASSIGN_OR_RETURN(AppointmentProto current,
                         AccessibleAppointment(call, request->clinic_id(), request->appointment_id()));
        if (!current.waitlist_entry_id().empty() && current.status() == v1::APPOINTMENT_STATUS_PROPOSED) {
          return absl::FailedPreconditionError(
              "a slot held from the waitlist is accepted or declined, not moved");
        }
        ASSIGN_OR_RETURN(ClinicianProto clinician,
                         deps_.store->GetClinician(request->clinic_id(), current.clinician_id()));
        ASSIGN_OR_RETURN(ClinicianPolicy policy, PolicyOf(clinician));
        if (InSeriesScope(current, request->scope())) {
          if (ReachOf(call) == Reach::kClient) {
            return call.Refuse(
                absl::PermissionDeniedError("a series is changed by the clinic, one visit at a time "
                                            "by a client"),
                current.appointment_id());
          }
          return RescheduleSeries(call, current, policy, interval, request->scope(), *response);
        }
        if (ReachOf(call) == Reach::kClient) {
          RETURN_IF_ERROR(CheckSelfBooking(clinician, policy, interval, now, current.appointment_id()));
        }
        auto reschedule = [&](const AppointmentProto& stored) -> absl::StatusOr<AppointmentChange> {
          std::optional<AppointmentStatus> status = FromProtoStatus(stored.status());
          if (!status.has_value()) return absl::DataLossError("the stored appointment has no known status");
          RETURN_IF_ERROR(ApplyAction(*status, AppointmentAction::kReschedule).status());
          AppointmentChange change;
          change.updated = stored;
          change.updated.set_revision(stored.revision() + 1);
          *change.updated.mutable_start_time() = request->start_time();
          *change.updated.mutable_end_time() = request->end_time();
          *change.updated.mutable_update_time() = ToProto(now);
          change.protected_interval = ProtectedInterval(interval, policy.buffers);
          return change;
        };
        ASSIGN_OR_RETURN(*response, deps_.store->UpdateAppointment(
                                        request->clinic_id(), request->appointment_id(), reschedule,
                                        call.SuccessEntry(current.appointment_id(), current.client_ids(0))));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::CancelAppointment(grpc::CallbackServerContext* context,
                                                               const v1::CancelAppointmentRequest* request,
                                                               v1::Appointment* response) {
  return kit_.Unary(
      context, "CancelAppointment", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateCancelAppointment(*request));
        ASSIGN_OR_RETURN(AppointmentProto current,
                         AccessibleAppointment(call, request->clinic_id(), request->appointment_id()));
        ASSIGN_OR_RETURN(ClinicianProto clinician,
                         deps_.store->GetClinician(request->clinic_id(), current.clinician_id()));
        ASSIGN_OR_RETURN(ClinicianPolicy policy, PolicyOf(clinician));
        absl::Time now = deps_.clock->Now();
        auto cancel = [&](const AppointmentProto& stored) -> absl::StatusOr<AppointmentChange> {
          return CancelChange(stored, request->reason(), CancellationWindow(policy), now);
        };
        if (InSeriesScope(current, request->scope())) {
          // Occurrences already over or no longer cancellable are left as they are.
          auto cancel_occurrence =
              [&](const AppointmentProto& stored) -> absl::StatusOr<std::optional<AppointmentChange>> {
            if (FromProto(stored.start_time()) < now) return std::nullopt;
            absl::StatusOr<AppointmentChange> change = cancel(stored);
            if (absl::IsFailedPrecondition(change.status())) return std::nullopt;
            if (!change.ok()) return change.status();
            return *std::move(change);
          };
          absl::Time from =
              request->scope() == v1::CHANGE_SCOPE_WHOLE_SERIES ? now : FromProto(current.start_time());
          ASSIGN_OR_RETURN(
              std::vector<AppointmentProto> changed,
              deps_.store->UpdateSeries(request->clinic_id(), current.series_id(), from, cancel_occurrence,
                                        call.SuccessEntry(current.appointment_id(), current.client_ids(0))));
          WaitlistMayMove();
          return NamedOrCurrent(changed, current, *response);
        }
        ASSIGN_OR_RETURN(*response, deps_.store->UpdateAppointment(
                                        request->clinic_id(), request->appointment_id(), cancel,
                                        call.SuccessEntry(current.appointment_id(), current.client_ids(0))));
        WaitlistMayMove();
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::RecordAttendance(grpc::CallbackServerContext* context,
                                                              const v1::RecordAttendanceRequest* request,
                                                              v1::Appointment* response) {
  return kit_.Unary(
      context, "RecordAttendance", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateRecordAttendance(*request));
        std::optional<AppointmentAction> action = FromProtoAction(request->action());
        if (!action.has_value()) return absl::InvalidArgumentError("action is not an attendance action");
        ASSIGN_OR_RETURN(AppointmentProto current,
                         AccessibleAppointment(call, request->clinic_id(), request->appointment_id()));
        absl::Time now = deps_.clock->Now();
        auto record = [&](const AppointmentProto& stored) -> absl::StatusOr<AppointmentChange> {
          std::optional<AppointmentStatus> status = FromProtoStatus(stored.status());
          if (!status.has_value()) return absl::DataLossError("the stored appointment has no known status");
          ASSIGN_OR_RETURN(AppointmentStatus next, ApplyAction(*status, *action));
          AppointmentChange change;
          change.updated = stored;
          change.updated.set_revision(stored.revision() + 1);
          change.updated.set_status(ToProtoStatus(next));
          *change.updated.mutable_update_time() = ToProto(now);
          return change;
        };
        ASSIGN_OR_RETURN(*response, deps_.store->UpdateAppointment(
                                        request->clinic_id(), request->appointment_id(), record,
                                        call.SuccessEntry(current.appointment_id(), current.client_ids(0))));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::ListAppointments(grpc::CallbackServerContext* context,
                                                              const v1::ListAppointmentsRequest* request,
                                                              v1::ListAppointmentsResponse* response) {
  return kit_.Unary(
      context, "ListAppointments", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(AppointmentQuery query, ValidateListAppointments(*request));
        AppointmentFilter& filter = query.filter;
        switch (ReachOf(call)) {
          case Reach::kClinic:
            break;
          case Reach::kClinician:
            if (filter.clinician_id.empty()) filter.clinician_id = PersonId(call);
            if (filter.clinician_id != PersonId(call)) {
              return call.Refuse(
                  absl::PermissionDeniedError("a clinician lists only their own appointments"));
            }
            break;
          case Reach::kClient:
            if (filter.client_id.empty()) filter.client_id = PersonId(call);
            if (filter.client_id != PersonId(call)) {
              return call.Refuse(absl::PermissionDeniedError("a client lists only their own appointments"));
            }
            break;
        }
        ASSIGN_OR_RETURN(int page_size,
                         db::EffectivePageSize(query.page_size, kDefaultPageSize, kMaxPageSize));
        // A token continues only the listing it came from: same clinic, people, window and statuses.
        db::PageFilter page_filter;
        page_filter.Add("clinic_id", filter.clinic_id)
            .Add("clinician_id", filter.clinician_id)
            .Add("client_id", filter.client_id)
            .Add("from", filter.starts_from ? absl::ToUnixMicros(*filter.starts_from) : INT64_MIN)
            .Add("before", filter.starts_before ? absl::ToUnixMicros(*filter.starts_before) : INT64_MAX);
        for (v1::AppointmentStatus status : filter.statuses) page_filter.Add("status", status);
        ASSIGN_OR_RETURN(std::vector<std::string> after,
                         db::DecodePageToken(request->page().page_token(), page_filter));
        std::optional<AppointmentCursor> cursor;
        if (!after.empty()) {
          int64_t micros = 0;
          // The token's checksum keeps out accidents, not forgery: what it carries is held to the rules.
          if (after.size() != 2 || !absl::SimpleAtoi(after[0], &micros) || !IsValidRef(after[1])) {
            FieldViolations bad;
            bad.Add("page.page_token", "is not a page token from this listing");
            return bad.ToStatus();
          }
          cursor = AppointmentCursor{absl::FromUnixMicros(micros), after[1]};
        }
        ASSIGN_OR_RETURN(AppointmentPage page, deps_.store->ListAppointments(filter, page_size, cursor));
        std::vector<std::string> ids;
        std::vector<std::string> clients;
        for (const AppointmentProto& a : page.appointments) {
          ids.push_back(a.appointment_id());
          clients.push_back(a.client_ids(0));
        }
        RETURN_IF_ERROR(call.AuditList(ids, clients));
        for (AppointmentProto& a : page.appointments) *response->add_appointments() = std::move(a);
        if (page.more && response->appointments_size() > 0) {
          const AppointmentProto& last = *response->appointments().rbegin();
          response->mutable_page()->set_next_page_token(db::EncodePageToken(
              page_filter,
              {absl::StrCat(absl::ToUnixMicros(FromProto(last.start_time()))), last.appointment_id()}));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<std::vector<AppointmentProto>> SchedulingService::AllAppointments(
    const AppointmentFilter& filter) {
  // A bound on one answer: three years of a full-time clinician's calendar is far below it.
  constexpr size_t kMaxAppointments = 20000;
  constexpr int kChunk = 1000;
  std::vector<AppointmentProto> all;
  std::optional<AppointmentCursor> cursor;
  while (true) {
    ASSIGN_OR_RETURN(AppointmentPage page, deps_.store->ListAppointments(filter, kChunk, cursor));
    for (AppointmentProto& a : page.appointments) all.push_back(std::move(a));
    if (all.size() > kMaxAppointments) {
      return absl::FailedPreconditionError("too many appointments in the window; ask for a shorter one");
    }
    if (!page.more || all.empty()) return all;
    cursor = AppointmentCursor{FromProto(all.back().start_time()), all.back().appointment_id()};
  }
}

grpc::ServerUnaryReactor* SchedulingService::GetClinicianDay(grpc::CallbackServerContext* context,
                                                             const v1::GetClinicianDayRequest* request,
                                                             v1::ClinicianDay* response) {
  return kit_.Unary(context, "GetClinicianDay", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      ASSIGN_OR_RETURN(absl::CivilDay day, ValidateGetClinicianDay(*request));
                      if (ReachOf(call) != Reach::kClinic && request->clinician_id() != PersonId(call)) {
                        return call.Refuse(absl::PermissionDeniedError("a clinician sees only their own day"),
                                           request->clinician_id());
                      }
                      ASSIGN_OR_RETURN(
                          ClinicianProto clinician,
                          deps_.store->GetClinician(request->clinic_id(), request->clinician_id()));
                      ASSIGN_OR_RETURN(absl::TimeZone zone, LoadTimeZone(clinician.time_zone()));
                      AppointmentFilter filter;
                      filter.clinic_id = request->clinic_id();
                      filter.clinician_id = request->clinician_id();
                      filter.starts_from = absl::FromCivil(day, zone);
                      filter.starts_before = absl::FromCivil(day + 1, zone);
                      ASSIGN_OR_RETURN(std::vector<AppointmentProto> appointments, AllAppointments(filter));
                      std::vector<std::string> ids;
                      std::vector<std::string> clients;
                      for (const AppointmentProto& a : appointments) {
                        ids.push_back(a.appointment_id());
                        clients.push_back(a.client_ids(0));
                      }
                      RETURN_IF_ERROR(call.AuditList(ids, clients));
                      response->set_clinic_id(request->clinic_id());
                      response->set_clinician_id(request->clinician_id());
                      *response->mutable_date() = request->date();
                      response->set_time_zone(clinician.time_zone());
                      for (AppointmentProto& a : appointments) *response->add_appointments() = std::move(a);
                      return absl::OkStatus();
                    });
}

absl::StatusOr<ClinicianCalendar> SchedulingService::CalendarOf(const ClinicianProto& clinician,
                                                                const ClinicianPolicy& policy,
                                                                const Interval& window) {
  ClinicianCalendar calendar;
  calendar.policy = policy;
  ASSIGN_OR_RETURN(AvailabilityProto availability,
                   deps_.store->GetAvailability(clinician.clinic_id(), clinician.clinician_id()));
  absl::StatusOr<AvailabilityRules> rules = ValidateAvailability(availability);
  if (!rules.ok()) {
    return absl::FailedPreconditionError("the clinician's stored working hours are no longer valid");
  }
  calendar.working_hours = std::move(rules->working_hours);
  calendar.days_off = std::move(rules->days_off);
  calendar.time_off = std::move(rules->time_off);
  // Appointments start at most kMaxSessionLength before the window and buffers reach a few hours beyond.
  ASSIGN_OR_RETURN(calendar.appointments,
                   deps_.store->ListBusy(clinician.clinic_id(), clinician.clinician_id(),
                                         window.start - absl::Hours(24), window.end + absl::Hours(24)));
  return calendar;
}

absl::Status SchedulingService::CheckSelfBooking(const ClinicianProto& clinician,
                                                 const ClinicianPolicy& policy, const Interval& interval,
                                                 absl::Time now, absl::string_view ignore_id) {
  if (!policy.self_booking_allowed) {
    return absl::FailedPreconditionError("this clinician does not take bookings from clients");
  }
  absl::CivilDay day = absl::ToCivilDay(interval.start, policy.time_zone);
  ASSIGN_OR_RETURN(ClinicianCalendar calendar, CalendarOf(clinician, policy,
                                                          {absl::FromCivil(day, policy.time_zone),
                                                           absl::FromCivil(day + 1, policy.time_zone)}));
  std::erase_if(calendar.appointments, [&](const BusyAppointment& a) { return a.id == ignore_id; });
  SlotRequest request;
  request.first_date = day;
  request.last_date = day;
  request.duration = interval.end - interval.start;
  request.step = absl::Minutes(1);  // any whole minute inside working hours, not only the offered grid
  request.now = now;
  request.self_booking = true;
  ASSIGN_OR_RETURN(std::vector<Interval> slots, scheduling::FindSlots(calendar, request));
  for (const Interval& slot : slots) {
    if (slot.start == interval.start && slot.end == interval.end) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      "that time is not open for booking by clients (working hours, notice, horizon or another appointment)");
}

grpc::ServerUnaryReactor* SchedulingService::FindSlots(grpc::CallbackServerContext* context,
                                                       const v1::FindSlotsRequest* request,
                                                       v1::FindSlotsResponse* response) {
  return kit_.Unary(
      context, "FindSlots", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(SlotSearch search, ValidateFindSlots(*request));
        std::string client_id = request->client_id();
        bool self_booking = ReachOf(call) == Reach::kClient;
        if (self_booking) {
          if (client_id.empty()) client_id = PersonId(call);
          if (client_id != PersonId(call)) {
            return call.Refuse(absl::PermissionDeniedError("a client finds slots only for themselves"));
          }
        }
        std::optional<absl::TimeZone> client_zone;
        std::string client_zone_name;
        if (!client_id.empty()) {
          ASSIGN_OR_RETURN(ClientProto client, deps_.store->GetClient(request->clinic_id(), client_id));
          ASSIGN_OR_RETURN(client_zone, LoadTimeZone(client.time_zone()));
          client_zone_name = client.time_zone();
        }
        absl::Time now = deps_.clock->Now();
        std::vector<v1::Slot> slots;
        for (const std::string& clinician_id : search.clinician_ids) {
          ASSIGN_OR_RETURN(ClinicianProto clinician,
                           deps_.store->GetClinician(request->clinic_id(), clinician_id));
          ASSIGN_OR_RETURN(ClinicianPolicy policy, PolicyOf(clinician));
          // Several clinicians: those who take no client bookings are left out rather than failing the rest.
          if (self_booking && !policy.self_booking_allowed && search.clinician_ids.size() > 1) continue;
          Interval window{absl::FromCivil(search.first_date, policy.time_zone),
                          absl::FromCivil(search.last_date + 1, policy.time_zone)};
          ASSIGN_OR_RETURN(ClinicianCalendar calendar, CalendarOf(clinician, policy, window));
          SlotRequest slot_request;
          slot_request.first_date = search.first_date;
          slot_request.last_date = search.last_date;
          slot_request.duration = search.duration;
          slot_request.step = search.step;
          slot_request.now = now;
          slot_request.self_booking = self_booking;
          ASSIGN_OR_RETURN(std::vector<Interval> found, scheduling::FindSlots(calendar, slot_request));
          const absl::TimeZone& shown_zone = client_zone ? *client_zone : policy.time_zone;
          const std::string& shown_name = client_zone ? client_zone_name : clinician.time_zone();
          for (const Interval& interval : found) {
            v1::Slot& slot = slots.emplace_back();
            slot.set_clinician_id(clinician_id);
            *slot.mutable_start_time() = ToProto(interval.start);
            *slot.mutable_end_time() = ToProto(interval.end);
            absl::CivilSecond local = absl::ToCivilSecond(interval.start, shown_zone);
            tandem::common::v1::ZonedDateTime& at = *slot.mutable_local_start();
            at.mutable_date()->set_year(static_cast<int32_t>(local.year()));
            at.mutable_date()->set_month(local.month());
            at.mutable_date()->set_day(local.day());
            at.mutable_time()->set_hours(local.hour());
            at.mutable_time()->set_minutes(local.minute());
            at.mutable_time()->set_seconds(local.second());
            at.set_time_zone(shown_name);
          }
        }
        std::stable_sort(slots.begin(), slots.end(), [](const v1::Slot& a, const v1::Slot& b) {
          absl::Time sa = FromProto(a.start_time());
          absl::Time sb = FromProto(b.start_time());
          return sa != sb ? sa < sb : a.clinician_id() < b.clinician_id();
        });
        if (slots.size() > static_cast<size_t>(kMaxSlots)) {
          slots.resize(kMaxSlots);
          response->set_truncated(true);
        }
        // Not audited: free times reveal no record and no client, and every booking made from them is.
        for (v1::Slot& slot : slots) *response->add_slots() = std::move(slot);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::GetAttendanceSummary(
    grpc::CallbackServerContext* context, const v1::GetAttendanceSummaryRequest* request,
    v1::AttendanceSummary* response) {
  return kit_.Unary(context, "GetAttendanceSummary", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      ASSIGN_OR_RETURN(Interval window, ValidateGetAttendanceSummary(*request));
                      const std::string& client_id = request->client_id();
                      if (ReachOf(call) == Reach::kClinician) {
                        ASSIGN_OR_RETURN(bool on_team,
                                         OnCareTeam(request->clinic_id(), client_id, PersonId(call)));
                        if (!on_team) return call.Refuse(NotFound("client"), client_id);
                      }
                      // An unknown client is NOT_FOUND rather than a summary of nothing.
                      RETURN_IF_ERROR(deps_.store->GetClient(request->clinic_id(), client_id).status());
                      AppointmentFilter filter;
                      filter.clinic_id = request->clinic_id();
                      filter.client_id = client_id;
                      filter.starts_from = window.start;
                      filter.starts_before = window.end;
                      ASSIGN_OR_RETURN(std::vector<AppointmentProto> appointments, AllAppointments(filter));
                      std::vector<AttendanceRecord> records;
                      records.reserve(appointments.size());
                      for (const AppointmentProto& a : appointments) {
                        std::optional<AppointmentStatus> status = FromProtoStatus(a.status());
                        if (!status.has_value()) continue;
                        records.push_back({FromProto(a.start_time()), *status, a.late_cancellation()});
                      }
                      AttendanceSummary summary = SummarizeAttendance(records, window);
                      RETURN_IF_ERROR(call.AuditRead(client_id, client_id));
                      response->set_clinic_id(request->clinic_id());
                      response->set_client_id(client_id);
                      response->set_booked(summary.booked);
                      response->set_upcoming(summary.upcoming);
                      response->set_attended(summary.attended);
                      response->set_cancelled(summary.cancelled);
                      response->set_late_cancelled(summary.late_cancelled);
                      response->set_no_show(summary.no_show);
                      if (summary.rate.has_value()) response->set_attendance_rate(*summary.rate);
                      return absl::OkStatus();
                    });
}

}  // namespace tandem::scheduling
