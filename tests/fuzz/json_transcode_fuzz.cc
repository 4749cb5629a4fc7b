// libFuzzer target: arbitrary JSON bodies and query strings, transcoded into the test service's body routes,
// must never crash; a request that transcodes must print as JSON, and for a whole-body route that JSON must
// transcode again.
//
// Input: one byte choosing the route, then `<query string>\n<body>`.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/gateway/route_table.h"
#include "services/gateway/transcoder.h"
#include "tandem/testing/v1/gateway_test.pb.h"

namespace {

const tandem::gateway::RouteTable& Table() {
  static const tandem::gateway::RouteTable* const kTable = [] {
    const auto* file = tandem::testing::v1::GatewayTestGoal::descriptor()->file();
    auto table = tandem::gateway::RouteTable::Build({file->FindServiceByName("GatewayTestService")});
    if (!table.ok()) __builtin_trap();
    return new tandem::gateway::RouteTable(*std::move(table));
  }();
  return *kTable;
}

struct Target {
  const char* verb;
  const char* path;
};
constexpr Target kTargets[] = {
    {"POST", "/v1/test/clients/c1/goals"},  // body "*"
    {"PATCH", "/v1/test/goals/g1"},         // body "goal", query
    {"PUT", "/v1/test/scalars/s1"},         // body "*", every JSON type
    {"POST", "/v1/test/goals/g1:reach"},    // body "*", custom verb
    {"GET", "/v1/test/clients/c1/goals"},   // query only
};

std::unique_ptr<google::protobuf::Message> NewRequest(const tandem::gateway::Route& route) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(route.method->input_type())->New());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Target& target = kTargets[data[0] % (sizeof(kTargets) / sizeof(kTargets[0]))];
  absl::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t newline = input.find('\n');
  absl::string_view query =
      newline == absl::string_view::npos ? absl::string_view() : input.substr(0, newline);
  absl::string_view body = newline == absl::string_view::npos ? input : input.substr(newline + 1);

  tandem::gateway::Lookup lookup = Table().Match(target.verb, target.path);
  if (lookup.route == nullptr) __builtin_trap();
  const tandem::gateway::Route& route = *lookup.route;
  auto request = NewRequest(route);
  absl::Status status = tandem::gateway::FillRequest(route, lookup.bindings, query, body, *request);
  if (!status.ok()) {
    if (status.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  auto json = tandem::gateway::ToJson(*request);
  if (!json.ok()) __builtin_trap();
  if (route.body == "*") {
    auto again = NewRequest(route);
    if (!tandem::gateway::FillRequest(route, lookup.bindings, "", *json, *again).ok()) __builtin_trap();
  }
  return 0;
}
