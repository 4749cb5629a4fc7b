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

// Readiness of the gateway = every backend answers grpc.health.v1 Check with SERVING. One round of backend
// calls at a time: callers that arrive while a round is in flight wait for its result, and a result younger
// than `cache_for` is reused, so a burst of probes never becomes a burst of backend calls.
class BackendHealth {
 public:
  struct Backend {
    std::string service;  // full gRPC service name, reported when not ready
    std::shared_ptr<grpc::Channel> channel;
  };
  using Done = std::function<void(bool ready, std::vector<std::string> not_ready)>;

  explicit BackendHealth(std::vector<Backend> backends, absl::Duration timeout = absl::Seconds(1),
                         absl::Duration cache_for = absl::Seconds(1));

  // `done(ready, not_ready_services)` runs once, possibly on a gRPC thread, and never under a lock.
  void Check(Done done);

  // For callers that must answer at once (the admin port's probe, on that port's only thread): the result of
  // the last finished round (not ready before the first), starting the next round when that result is older
  // than `cache_for`. Never waits on a backend, at the cost of reporting a change one probe late.
  bool Ready();

 private:
  // Shared with the backend calls in flight, which may finish after this object is gone.
  struct State {
    absl::Mutex mu;
    absl::Time checked_at ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    std::vector<std::string> not_ready ABSL_GUARDED_BY(mu);
    bool reported_ready ABSL_GUARDED_BY(mu) = true;
    // The callers of the round in flight; empty when none is.
    std::vector<Done> waiting ABSL_GUARDED_BY(mu);
  };

  void StartRound();
  static void FinishRound(State& state, std::vector<std::string> not_ready);

  std::vector<Backend> backends_;
  absl::Duration timeout_;
  absl::Duration cache_for_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_BACKEND_HEALTH_H_
