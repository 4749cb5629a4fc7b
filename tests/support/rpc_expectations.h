#ifndef TANDEM_TESTS_SUPPORT_RPC_EXPECTATIONS_H_
#define TANDEM_TESTS_SUPPORT_RPC_EXPECTATIONS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

// What tests of any service assert about its RPCs as a whole.
namespace tandem::testing {

// The method names of a gRPC service ("ScheduleReminder"), from its generated descriptor; empty when the
// service is unknown.
std::vector<std::string> MethodNames(absl::string_view service_full_name);

// Fails the running test unless `covered` names exactly the service's methods: a table of cases that misses
// a new RPC, or names one the service lost, is caught.
void ExpectEveryMethodCovered(absl::string_view service_full_name, const std::set<std::string>& covered);

// The fields named by the google.rpc.BadRequest detail of a status, in order.
std::vector<std::string> ViolatedFields(const grpc::Status& status);

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SUPPORT_RPC_EXPECTATIONS_H_
