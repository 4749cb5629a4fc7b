#include "services/scheduling/api/handler_support.h"

#include <optional>

#include "common/auth/principal.h"
#include "common/status/status_macros.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/proto_status.h"
#include "services/scheduling/domain/proto_time.h"
#include "services/scheduling/domain/request_validation.h"

namespace tandem::scheduling {

Reach ReachOf(const service::Call& call) {
  const auth::Principal* person = call.person();
  if (person == nullptr) return Reach::kClinic;
  if (person->HasRole(auth::kRoleAdmin) || person->HasRole(auth::kRoleFrontDesk)) return Reach::kClinic;
  if (person->HasRole(auth::kRoleClinician)) return Reach::kClinician;
  return Reach::kClient;
}

const std::string& PersonId(const service::Call& call) { return call.person()->subject; }

absl::StatusOr<ClinicianPolicy> PolicyOf(const ClinicianProto& clinician) {
  absl::StatusOr<ClinicianPolicy> policy = ValidateClinician(clinician);
  if (!policy.ok()) return absl::FailedPreconditionError("the clinician's stored profile is no longer valid");
  return policy;
}

absl::StatusOr<AppointmentChange> CancelChange(const AppointmentProto& stored, const std::string& reason,
                                               absl::Duration late_window, absl::Time now) {
  std::optional<AppointmentStatus> status = FromProtoStatus(stored.status());
  if (!status.has_value()) return absl::DataLossError("the stored appointment has no known status");
  ASSIGN_OR_RETURN(AppointmentStatus next, ApplyAction(*status, AppointmentAction::kCancel));
  AppointmentChange change;
  change.updated = stored;
  change.updated.set_revision(stored.revision() + 1);
  change.updated.set_status(ToProtoStatus(next));
  change.updated.set_cancellation_reason(reason);
  change.updated.set_late_cancellation(IsLateCancellation(FromProto(stored.start_time()), now, late_window));
  *change.updated.mutable_cancel_time() = ToProto(now);
  *change.updated.mutable_update_time() = ToProto(now);
  return change;
}

}  // namespace tandem::scheduling
