#ifndef TANDEM_TESTS_SUPPORT_SERVICE_FIXTURE_H_
#define TANDEM_TESTS_SUPPORT_SERVICE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_entry.h"
#include "common/service/runtime.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace tandem::testing {

struct ServiceFixtureOptions {
  std::string db_url;     // empty: a fresh SQLite database in the fixture's temporary directory
  std::string redis_url;  // for services that use Redis
  bool migrate_at_start = true;
};

// A whole service in process, as its main() would run it: the real runtime (migrations, cipher, audit trail,
// ServerHost on a free loopback port) with test keys, the service's build function, and the test token
// secret. Stop() (or the destructor) drains it and removes the temporary directory.
class ServiceFixture {
 public:
  static absl::StatusOr<std::unique_ptr<ServiceFixture>> Start(service::ServiceDefinition definition,
                                                               const service::BuildService& build,
                                                               const ServiceFixtureOptions& options = {});
  ~ServiceFixture();

  service::Runtime& runtime() { return *runtime_; }
  int port() { return runtime_->host().port(); }
  // An in-process channel to the service.
  std::shared_ptr<grpc::Channel> channel() { return runtime_->host().InProcessChannel(); }
  // A client context carrying `token` (none when empty) and, when given, an end user's token.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token,
                                                      const std::string& end_user = "");

  // Every audit row of `clinic_id`, oldest first.
  std::vector<audit::AuditEntry> AuditRows(const std::string& clinic_id);
  void Stop();

 private:
  ServiceFixture() = default;
  std::string dir_;
  std::unique_ptr<service::Runtime> runtime_;
  std::unique_ptr<service::ServiceParts> parts_;
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SUPPORT_SERVICE_FIXTURE_H_
