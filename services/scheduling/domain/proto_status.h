#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_PROTO_STATUS_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_PROTO_STATUS_H_

#include <optional>

#include "services/scheduling/domain/appointment_status.h"
#include "tandem/scheduling/v1/scheduling.pb.h"

namespace tandem::scheduling {

// The API's status enum and the domain's, one to one.
tandem::scheduling::v1::AppointmentStatus ToProtoStatus(AppointmentStatus status);
// nullopt for UNSPECIFIED and numbers the enum does not name.
std::optional<AppointmentStatus> FromProtoStatus(tandem::scheduling::v1::AppointmentStatus status);

// nullopt for UNSPECIFIED and numbers the enum does not name.
std::optional<AppointmentAction> FromProtoAction(tandem::scheduling::v1::AttendanceAction action);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_PROTO_STATUS_H_
