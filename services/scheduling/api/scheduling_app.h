#ifndef TANDEM_SERVICES_SCHEDULING_API_SCHEDULING_APP_H_
#define TANDEM_SERVICES_SCHEDULING_API_SCHEDULING_APP_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/service/runtime.h"

namespace tandem::scheduling {

// The scheduling service as the runtime sees it: name, ports and migrations.
service::ServiceDefinition SchedulingDefinition();

// Builds the scheduling service on a ready runtime: the SQL store, the care-team cache on the cache Redis,
// and the gRPC API.
absl::StatusOr<std::unique_ptr<service::ServiceParts>> BuildScheduling(service::Runtime& runtime);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_API_SCHEDULING_APP_H_
