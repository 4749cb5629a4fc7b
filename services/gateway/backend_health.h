#ifndef TANDEM_SERVICES_GATEWAY_BACKEND_HEALTH_H_
#define TANDEM_SERVICES_GATEWAY_BACKEND_HEALTH_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace tandem::gateway {

// Readiness of the gateway = every backend answers grpc.health.v1 Check with SERVING. Results are cached
// briefly so a burst of probes does not become a burst of backend calls.
class BackendHealth {
 public:
  struct Backend {
    std::string service;  // full gRPC service name, reported when not ready
    std::shared_ptr<grpc::Channel> channel;
  };
  explicit BackendHealth(std::vector<Backend> backends, absl::Duration timeout = absl::Seconds(1),
                         absl::Duration cache_for = absl::Seconds(1));

  // `done(ready, not_ready_services)` runs once, possibly on a gRPC thread.
  void Check(std::function<void(bool, std::vector<std::string>)> done);

 private:
  std::vector<Backend> backends_;
  absl::Duration timeout_;
  absl::Duration cache_for_;
  absl::Mutex mu_;
  absl::Time checked_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<std::string> not_ready_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_BACKEND_HEALTH_H_
