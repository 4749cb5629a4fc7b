#include "bench/echo_caller.h"

#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"

namespace tandem::bench {
namespace {

// One call's state, alive from Start until its completion runs.
struct EchoCall {
  grpc::ClientContext context;
  tandem::testing::v1::EchoResponse response;
};

}  // namespace

std::shared_ptr<EchoCaller> EchoCaller::Create(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                               int payload_bytes, absl::Duration rpc_timeout,
                                               BenchClock::time_point measure_from) {
  return std::shared_ptr<EchoCaller>(new EchoCaller(channels, payload_bytes, rpc_timeout, measure_from));
}

EchoCaller::EchoCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int payload_bytes,
                       absl::Duration rpc_timeout, BenchClock::time_point measure_from)
    : rpc_timeout_(rpc_timeout), recorder_(measure_from) {
  stubs_.reserve(channels.size());
  for (const auto& channel : channels) stubs_.push_back(tandem::testing::v1::EchoService::NewStub(channel));
  request_.set_message(std::string(static_cast<size_t>(payload_bytes), 'x'));
}

void EchoCaller::Start(size_t channel, BenchClock::time_point intended_start, std::function<void()> then) {
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  auto* call = new EchoCall;
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  stubs_[channel % stubs_.size()]->async()->Echo(
      &call->context, &request_, &call->response,
      [self = shared_from_this(), call, intended_start, then = std::move(then)](grpc::Status status) {
        self->recorder_.Record(intended_start, BenchClock::now(), status.error_code());
        delete call;
        if (then) then();
        self->Finished();
      });
}

void EchoCaller::Finished() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
  changed_.SignalAll();
}

bool EchoCaller::WaitInFlightBelow(int64_t limit, BenchClock::time_point deadline) {
  const absl::Time until = absl::Now() + absl::FromChrono(deadline - BenchClock::now());
  absl::MutexLock lock(&mu_);
  while (in_flight_ >= limit) {
    if (changed_.WaitWithDeadline(&mu_, until)) return in_flight_ < limit;
  }
  return true;
}

int64_t EchoCaller::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

}  // namespace tandem::bench
