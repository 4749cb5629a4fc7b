// The waitlist RPCs of SchedulingService: joining and leaving a clinician's queue, listing it, and answering
// an offer (a freed slot held for the client by the WaitlistWorker).
#include <string>
#include <utility>
#include <vector>

#include "common/status/error_details.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "services/scheduling/api/handler_support.h"
#include "services/scheduling/api/scheduling_service.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/proto_status.h"
#include "services/scheduling/domain/proto_time.h"
#include "services/scheduling/domain/request_validation.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;

absl::Status EntryNotFound() { return absl::NotFoundError("waitlist entry not found"); }

// An offer is answered only while it is open: still a hold, and its time not run out.
absl::Status CheckOpenOffer(const AppointmentProto& stored, absl::Time now) {
  if (stored.waitlist_entry_id().empty() || !stored.has_hold_expire_time()) {
    return absl::FailedPreconditionError("this appointment is not a waitlist offer");
  }
  if (stored.status() != v1::APPOINTMENT_STATUS_PROPOSED) {
    return absl::FailedPreconditionError("the offer was already answered");
  }
  if (FromProto(stored.hold_expire_time()) <= now) {
    return absl::FailedPreconditionError("the offer has expired");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SchedulingService::CheckMayReachEntry(const service::Call& call,
                                                   const WaitlistEntryProto& entry) {
  switch (ReachOf(call)) {
    case Reach::kClinic:
      return absl::OkStatus();
    case Reach::kClinician:
      if (entry.clinician_id() == PersonId(call)) return absl::OkStatus();
      break;
    case Reach::kClient:
      if (entry.client_id() == PersonId(call)) return absl::OkStatus();
      break;
  }
  return call.Refuse(EntryNotFound(), entry.entry_id());
}

void SchedulingService::WaitlistMayMove() const {
  if (deps_.waitlist_changed) deps_.waitlist_changed();
}

grpc::ServerUnaryReactor* SchedulingService::JoinWaitlist(grpc::CallbackServerContext* context,
                                                          const v1::JoinWaitlistRequest* request,
                                                          v1::WaitlistEntry* response) {
  return kit_.Unary(
      context, "JoinWaitlist", request->entry().clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(WaitlistWindows windows, ValidateJoinWaitlist(*request));
        const v1::WaitlistEntry& asked = request->entry();
        const Reach reach = ReachOf(call);
        if (reach == Reach::kClient && asked.client_id() != PersonId(call)) {
          return call.Refuse(absl::PermissionDeniedError("a client joins the waitlist for themselves only"),
                             asked.client_id());
        }
        if (reach == Reach::kClinician) {
          if (asked.clinician_id() != PersonId(call)) {
            return call.Refuse(
                absl::PermissionDeniedError("a clinician adds clients to their own waitlist only"),
                asked.clinician_id());
          }
          ASSIGN_OR_RETURN(bool on_team, OnCareTeam(asked.clinic_id(), asked.client_id(), PersonId(call)));
          if (!on_team) return call.Refuse(absl::NotFoundError("client not found"), asked.client_id());
        }
        ASSIGN_OR_RETURN(ClinicianProto clinician,
                         deps_.store->GetClinician(asked.clinic_id(), asked.clinician_id()));
        // Waiting is booking by other means: a client may do it only where they may book themselves.
        if (reach == Reach::kClient && !clinician.self_booking_allowed()) {
          return absl::FailedPreconditionError("this clinician does not take bookings from clients");
        }
        ASSIGN_OR_RETURN(ClientProto client, deps_.store->GetClient(asked.clinic_id(), asked.client_id()));
        ASSIGN_OR_RETURN(std::vector<WaitlistEntryProto> open,
                         deps_.store->ListWaitlist(asked.clinic_id(), asked.clinician_id(), asked.client_id(),
                                                   /*include_closed=*/false));
        if (!open.empty()) {
          return ConflictError(absl::StatusCode::kAlreadyExists,
                               "the client already waits for this clinician: change or leave that entry",
                               "tandem.scheduling.v1.WaitlistEntry",
                               absl::StrCat("waitlist/", open[0].entry_id()), "ALREADY_WAITING");
        }
        WaitlistEntryProto entry;
        entry.set_clinic_id(asked.clinic_id());
        entry.set_entry_id(NewUuidV7(*deps_.clock));
        entry.set_client_id(asked.client_id());
        entry.set_clinician_id(asked.clinician_id());
        *entry.mutable_windows() = asked.windows();
        entry.set_time_zone(windows.zone.has_value() ? asked.time_zone() : client.time_zone());
        entry.set_modality(asked.modality());
        ASSIGN_OR_RETURN(*response, deps_.store->JoinWaitlist(
                                        entry, call.SuccessEntry(entry.entry_id(), entry.client_id())));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::LeaveWaitlist(grpc::CallbackServerContext* context,
                                                           const v1::LeaveWaitlistRequest* request,
                                                           v1::WaitlistEntry* response) {
  return kit_.Unary(
      context, "LeaveWaitlist", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateLeaveWaitlist(*request));
        absl::StatusOr<WaitlistEntryProto> entry =
            deps_.store->GetWaitlistEntry(request->clinic_id(), request->entry_id());
        if (absl::IsNotFound(entry.status())) return EntryNotFound();
        RETURN_IF_ERROR(entry.status());
        RETURN_IF_ERROR(CheckMayReachEntry(call, *entry));
        ASSIGN_OR_RETURN(
            *response, deps_.store->LeaveWaitlist(request->clinic_id(), request->entry_id(),
                                                  call.SuccessEntry(entry->entry_id(), entry->client_id())));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::ListWaitlist(grpc::CallbackServerContext* context,
                                                          const v1::ListWaitlistRequest* request,
                                                          v1::ListWaitlistResponse* response) {
  return kit_.Unary(
      context, "ListWaitlist", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateListWaitlist(*request));
        const Reach reach = ReachOf(call);
        if (reach == Reach::kClient && request->client_id() != PersonId(call)) {
          return call.Refuse(absl::PermissionDeniedError("a client lists their own waitlist entries only"),
                             request->client_id());
        }
        if (reach == Reach::kClinician && request->clinician_id() != PersonId(call)) {
          return call.Refuse(absl::PermissionDeniedError("a clinician lists their own waitlist only"),
                             request->clinician_id());
        }
        ASSIGN_OR_RETURN(std::vector<WaitlistEntryProto> entries,
                         deps_.store->ListWaitlist(request->clinic_id(), request->clinician_id(),
                                                   request->client_id(), request->include_closed()));
        std::vector<std::string> ids;
        std::vector<std::string> clients;
        for (const WaitlistEntryProto& entry : entries) {
          ids.push_back(entry.entry_id());
          clients.push_back(entry.client_id());
        }
        RETURN_IF_ERROR(call.AuditList(ids, clients));
        for (WaitlistEntryProto& entry : entries) *response->add_entries() = std::move(entry);
        return absl::OkStatus();
      });
}

absl::Status SchedulingService::AnswerWaitlistOffer(const service::Call& call, const std::string& clinic_id,
                                                    const std::string& appointment_id, bool accept,
                                                    AppointmentProto& response) {
  RETURN_IF_ERROR(ValidateWaitlistOfferAnswer(clinic_id, appointment_id));
  ASSIGN_OR_RETURN(AppointmentProto current, AccessibleAppointment(call, clinic_id, appointment_id));
  const absl::Time now = deps_.clock->Now();
  RETURN_IF_ERROR(CheckOpenOffer(current, now));
  auto answer = [&](const AppointmentProto& stored) -> absl::StatusOr<AppointmentChange> {
    RETURN_IF_ERROR(CheckOpenOffer(stored, now));
    // Declining an offer is never a late cancellation.
    if (!accept) return CancelChange(stored, "", absl::ZeroDuration(), now);
    ASSIGN_OR_RETURN(AppointmentStatus next,
                     ApplyAction(AppointmentStatus::kProposed, AppointmentAction::kBook));
    AppointmentChange change;
    change.updated = stored;
    change.updated.set_status(ToProtoStatus(next));
    change.updated.set_revision(stored.revision() + 1);
    return change;
  };
  ASSIGN_OR_RETURN(response,
                   deps_.store->UpdateAppointment(clinic_id, appointment_id, answer,
                                                  call.SuccessEntry(appointment_id, current.client_ids(0))));
  // A declined slot goes to the next client now rather than at the worker's next round.
  if (!accept) WaitlistMayMove();
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* SchedulingService::AcceptWaitlistOffer(
    grpc::CallbackServerContext* context, const v1::AcceptWaitlistOfferRequest* request,
    v1::Appointment* response) {
  return kit_.Unary(context, "AcceptWaitlistOffer", request->clinic_id(),
                    [this, request, response](const service::Call& call) {
                      return AnswerWaitlistOffer(call, request->clinic_id(), request->appointment_id(),
                                                 /*accept=*/true, *response);
                    });
}

grpc::ServerUnaryReactor* SchedulingService::DeclineWaitlistOffer(
    grpc::CallbackServerContext* context, const v1::DeclineWaitlistOfferRequest* request,
    v1::Appointment* response) {
  return kit_.Unary(context, "DeclineWaitlistOffer", request->clinic_id(),
                    [this, request, response](const service::Call& call) {
                      return AnswerWaitlistOffer(call, request->clinic_id(), request->appointment_id(),
                                                 /*accept=*/false, *response);
                    });
}

}  // namespace tandem::scheduling
