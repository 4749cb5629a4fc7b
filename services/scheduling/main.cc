// The scheduling service: clinicians' calendars, the client roster and care teams, and every appointment.
// The shared flags and start-up are common/service's runtime; the assembly is in api/scheduling_app.cc.
#include "common/service/runtime.h"
#include "services/scheduling/api/scheduling_app.h"

int main(int argc, char** argv) {
  return tandem::service::ServiceMain(argc, argv, tandem::scheduling::SchedulingDefinition(),
                                      tandem::scheduling::BuildScheduling);
}
