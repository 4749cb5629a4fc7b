#ifndef TANDEM_BENCH_RUN_PLAN_H_
#define TANDEM_BENCH_RUN_PLAN_H_

#include <chrono>
#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "bench/call_recorder.h"
#include "bench/load_options.h"

namespace tandem::bench {

// The time line of one run: calls start from `start`; those sent before `measure_from` are warmup; no call
// is sent at or after `stop_issuing`, nor after `max_requests` calls (0: no such bound).
struct RunPlan {
  BenchClock::time_point start;
  BenchClock::time_point measure_from;
  BenchClock::time_point stop_issuing;
  int64_t max_requests = 0;
  // How long to wait for the last answers after issuing stopped; every call has a deadline shorter than this.
  BenchClock::duration drain_timeout{};
};

inline RunPlan MakeRunPlan(const LoadOptions& options, BenchClock::time_point start) {
  RunPlan plan;
  plan.start = start;
  plan.measure_from = start + absl::ToChronoNanoseconds(options.warmup);
  plan.stop_issuing = plan.measure_from + absl::ToChronoNanoseconds(options.duration);
  plan.max_requests = options.requests;
  plan.drain_timeout = absl::ToChronoNanoseconds(options.rpc_timeout + absl::Seconds(2));
  return plan;
}

// What a run measured, ready to be reported.
struct RunOutcome {
  CallTally tally;
  // The measurement window: from the end of warmup to the end of issuing, or to the last measured completion
  // when a request bound ended the run earlier.
  BenchClock::time_point measure_from;
  BenchClock::time_point measure_until;
  // Calls still unanswered when the run stopped waiting (0 unless the server hung past every deadline).
  int64_t unfinished = 0;
  // Open loop: scheduled calls never sent because --max_outstanding calls stayed in flight to the end.
  int64_t unsent = 0;
  // Open loop: the largest delay between a call's scheduled and actual send time. A large value means the
  // generator (not the server) could not keep up; latencies still count from the schedule.
  std::optional<BenchClock::duration> max_send_lag;
  // The serialized size of the first request template.
  int64_t request_bytes = 0;
};

inline BenchClock::time_point MeasureUntil(const RunPlan& plan, const CallTally& tally) {
  if (tally.last_completion && *tally.last_completion < plan.stop_issuing) return *tally.last_completion;
  return plan.stop_issuing;
}

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_RUN_PLAN_H_
