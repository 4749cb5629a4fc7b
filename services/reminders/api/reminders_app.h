#ifndef TANDEM_SERVICES_REMINDERS_API_REMINDERS_APP_H_
#define TANDEM_SERVICES_REMINDERS_API_REMINDERS_APP_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/service/runtime.h"

namespace tandem::reminders {

// The reminders service as the runtime sees it: name, ports and migrations.
service::ServiceDefinition RemindersDefinition();

// Builds the reminders service on a ready runtime from its own flags (channels, deny-list, dispatcher
// tuning): the store, the Redis due index, the gRPC API and, unless --dispatch=false, the dispatcher.
absl::StatusOr<std::unique_ptr<service::ServiceParts>> BuildReminders(service::Runtime& runtime);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_API_REMINDERS_APP_H_
