#ifndef TANDEM_SERVICES_SCHEDULING_API_HANDLER_SUPPORT_H_
#define TANDEM_SERVICES_SCHEDULING_API_HANDLER_SUPPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/service/rpc_kit.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/domain/scheduling_store.h"

// What the handler files of SchedulingService share.
namespace tandem::scheduling {

// How far the person behind a call reaches. Staff (admins, front desk) reach the whole clinic; a clinician
// their own calendar and their care-team clients; a client their own records. A person holding several
// roles gets the widest. A service acting alone reaches what its rule admits.
enum class Reach { kClinic, kClinician, kClient };
Reach ReachOf(const service::Call& call);

// The person's roster id (their token's subject); only for a call with a person behind it.
const std::string& PersonId(const service::Call& call);

// The clinician's booking policy from their stored profile (validated when it was written).
absl::StatusOr<ClinicianPolicy> PolicyOf(const ClinicianProto& clinician);

// The cancellation of one appointment at `now`: FAILED_PRECONDITION when its status cannot be cancelled.
absl::StatusOr<AppointmentChange> CancelChange(const AppointmentProto& stored, const std::string& reason,
                                               absl::Duration late_window, absl::Time now);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_API_HANDLER_SUPPORT_H_
