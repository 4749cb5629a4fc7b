#include "tests/support/rpc_expectations.h"

#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace tandem::testing {

std::vector<std::string> MethodNames(absl::string_view service_full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service_full_name));
  std::vector<std::string> methods;
  if (service == nullptr) return methods;
  for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i)->name());
  return methods;
}

void ExpectEveryMethodCovered(absl::string_view service_full_name, const std::set<std::string>& covered) {
  const std::vector<std::string> methods = MethodNames(service_full_name);
  ASSERT_FALSE(methods.empty()) << service_full_name << " is not a known service";
  for (const std::string& method : methods) {
    EXPECT_EQ(covered.count(method), 1U) << method << " has no row in this test's table";
  }
  EXPECT_EQ(covered.size(), methods.size()) << "the table names a method the service does not have";
}

std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(FromGrpcStatus(status))) out.push_back(v.field());
  return out;
}

}  // namespace tandem::testing
