// The reminders service: the internal gRPC API and, in the same process unless --dispatch=false, the
// dispatcher that sends due reminders. The shared flags and start-up are common/service's runtime; the
// reminders' own flags and assembly are in api/reminders_app.cc.
#include "common/service/runtime.h"
#include "services/reminders/api/reminders_app.h"

int main(int argc, char** argv) {
  return tandem::service::ServiceMain(argc, argv, tandem::reminders::RemindersDefinition(),
                                      tandem::reminders::BuildReminders);
}
