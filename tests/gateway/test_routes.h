#ifndef TANDEM_TESTS_GATEWAY_TEST_ROUTES_H_
#define TANDEM_TESTS_GATEWAY_TEST_ROUTES_H_

#include <cstdlib>
#include <iostream>

#include "google/protobuf/descriptor.h"
#include "services/gateway/route_table.h"
#include "tandem/testing/v1/gateway_test.pb.h"

namespace tandem::gateway::gateway_testing {

// The test-only services of protos/tandem/testing/v1/gateway_test.proto.
inline const google::protobuf::ServiceDescriptor* TestService() {
  return tandem::testing::v1::GatewayTestGoal::descriptor()->file()->FindServiceByName("GatewayTestService");
}
inline const google::protobuf::ServiceDescriptor* CollisionService() {
  return tandem::testing::v1::GatewayTestGoal::descriptor()->file()->FindServiceByName(
      "GatewayCollisionService");
}

// The routes of GatewayTestService, built once per test binary.
inline const RouteTable& TestTable() {
  static const RouteTable* const kTable = [] {
    auto table = RouteTable::Build({TestService()});
    if (!table.ok()) {
      std::cerr << "test routes do not build: " << table.status() << "\n";
      std::abort();
    }
    return new RouteTable(*std::move(table));
  }();
  return *kTable;
}

}  // namespace tandem::gateway::gateway_testing

#endif  // TANDEM_TESTS_GATEWAY_TEST_ROUTES_H_
