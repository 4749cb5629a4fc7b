#include "bench/open_loop.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>

#include "bench/unary_caller.h"

namespace tandem::bench {

RunOutcome RunOpenLoop(const LoadOptions& options, const CallSpec& spec,
                       const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  const RunPlan plan = MakeRunPlan(options, BenchClock::now());
  auto caller = UnaryCaller::Create(channels, spec, options.rpc_timeout, plan.measure_from);
  const double interval_ns = 1e9 / options.rate;
  const double window_ns = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(plan.stop_issuing - plan.start).count());
  int64_t planned = static_cast<int64_t>(std::ceil(window_ns / interval_ns));
  if (plan.max_requests > 0) planned = std::min(planned, plan.max_requests);

  BenchClock::duration max_lag{};
  int64_t sent = 0;
  for (; sent < planned; ++sent) {
    // Each slot is computed from the start, so rounding and late wake-ups never accumulate into drift.
    const auto scheduled =
        plan.start + std::chrono::nanoseconds(std::llround(static_cast<double>(sent) * interval_ns));
    if (scheduled >= plan.stop_issuing) {
      planned = sent;
      break;
    }
    std::this_thread::sleep_until(scheduled);
    // Memory stays bounded if the server stalls; the wait is charged to the latency of the waiting call.
    if (!caller->WaitInFlightBelow(options.max_outstanding, plan.stop_issuing)) break;
    const auto now = BenchClock::now();
    max_lag = std::max(max_lag, now - scheduled);
    caller->Start(static_cast<size_t>(sent % static_cast<int64_t>(channels.size())), scheduled, nullptr);
  }
  caller->WaitInFlightBelow(1, BenchClock::now() + plan.drain_timeout);

  RunOutcome outcome;
  outcome.tally = caller->Snapshot();
  outcome.measure_from = plan.measure_from;
  outcome.measure_until = MeasureUntil(plan, outcome.tally);
  outcome.unfinished = caller->in_flight();
  outcome.request_bytes = static_cast<int64_t>(spec.requests->first_request_bytes());
  outcome.unsent = planned - sent;
  outcome.max_send_lag = max_lag;
  return outcome;
}

}  // namespace tandem::bench
