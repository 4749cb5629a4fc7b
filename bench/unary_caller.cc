#include "bench/unary_caller.h"

#include <utility>

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/stub_options.h"

namespace tandem::bench {
namespace {

// One call's state, alive from Start until its completion runs.
struct UnaryCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

}  // namespace

std::shared_ptr<UnaryCaller> UnaryCaller::Create(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                                 CallSpec spec, absl::Duration rpc_timeout,
                                                 BenchClock::time_point measure_from) {
  return std::shared_ptr<UnaryCaller>(new UnaryCaller(channels, std::move(spec), rpc_timeout, measure_from));
}

UnaryCaller::UnaryCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, CallSpec spec,
                         absl::Duration rpc_timeout, BenchClock::time_point measure_from)
    : spec_(std::move(spec)), rpc_timeout_(rpc_timeout), recorder_(measure_from) {
  stubs_.reserve(channels.size());
  for (const auto& channel : channels) stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
}

void UnaryCaller::Start(size_t channel, BenchClock::time_point intended_start, std::function<void()> then) {
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  auto* call = new UnaryCall;
  call->request = spec_.requests->Request(next_seq_.fetch_add(1, std::memory_order_relaxed));
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  for (const auto& [key, value] : spec_.metadata) call->context.AddMetadata(key, value);
  stubs_[channel % stubs_.size()]->UnaryCall(
      &call->context, spec_.method_path, grpc::StubOptions(), &call->request, &call->response,
      [self = shared_from_this(), call, intended_start, then = std::move(then)](const grpc::Status& status) {
        self->recorder_.Record(intended_start, BenchClock::now(), status.error_code(),
                               status.error_message());
        delete call;
        if (then) then();
        self->Finished();
      });
}

void UnaryCaller::Finished() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
  changed_.SignalAll();
}

bool UnaryCaller::WaitInFlightBelow(int64_t limit, BenchClock::time_point deadline) {
  const absl::Time until = absl::Now() + absl::FromChrono(deadline - BenchClock::now());
  absl::MutexLock lock(&mu_);
  while (in_flight_ >= limit) {
    if (changed_.WaitWithDeadline(&mu_, until)) return in_flight_ < limit;
  }
  return true;
}

int64_t UnaryCaller::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

}  // namespace tandem::bench
