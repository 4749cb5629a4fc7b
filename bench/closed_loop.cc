#include "bench/closed_loop.h"

#include <atomic>
#include <cstdint>

#include "bench/unary_caller.h"

namespace tandem::bench {
namespace {

// Shared by every chain of calls; each pending completion holds a reference.
class ClosedLoop : public std::enable_shared_from_this<ClosedLoop> {
 public:
  ClosedLoop(RunPlan plan, std::shared_ptr<UnaryCaller> caller) : plan_(plan), caller_(std::move(caller)) {}

  // Sends the next call of one chain, unless the plan is used up; the chain then ends.
  void Next(size_t channel) {
    const auto now = BenchClock::now();
    if (now >= plan_.stop_issuing) return;
    if (plan_.max_requests > 0 && issued_.fetch_add(1, std::memory_order_relaxed) >= plan_.max_requests) {
      return;
    }
    caller_->Start(channel, now, [self = shared_from_this(), channel] { self->Next(channel); });
  }

 private:
  const RunPlan plan_;
  const std::shared_ptr<UnaryCaller> caller_;
  std::atomic<int64_t> issued_{0};
};

}  // namespace

RunOutcome RunClosedLoop(const LoadOptions& options, const CallSpec& spec,
                         const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  const RunPlan plan = MakeRunPlan(options, BenchClock::now());
  auto caller = UnaryCaller::Create(channels, spec, options.rpc_timeout, plan.measure_from);
  auto loop = std::make_shared<ClosedLoop>(plan, caller);
  for (int slot = 0; slot < options.in_flight; ++slot) {
    for (size_t channel = 0; channel < channels.size(); ++channel) loop->Next(channel);
  }
  // A chain starts its next call before its finished one stops counting, so zero in flight means all ended.
  caller->WaitInFlightBelow(1, plan.stop_issuing + plan.drain_timeout);

  RunOutcome outcome;
  outcome.tally = caller->Snapshot();
  outcome.measure_from = plan.measure_from;
  outcome.measure_until = MeasureUntil(plan, outcome.tally);
  outcome.unfinished = caller->in_flight();
  outcome.request_bytes = static_cast<int64_t>(spec.requests->first_request_bytes());
  return outcome;
}

}  // namespace tandem::bench
