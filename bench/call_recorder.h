#ifndef TANDEM_BENCH_CALL_RECORDER_H_
#define TANDEM_BENCH_CALL_RECORDER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "bench/latency_histogram.h"
#include "grpcpp/support/status_code_enum.h"

namespace tandem::bench {

using BenchClock = std::chrono::steady_clock;

// Everything a run counted: the latency of every measured call (errors included, so a timeout is not hidden),
// the outcome by status code, and when the last measured call completed.
struct CallTally {
  static constexpr int kCodeCount = grpc::StatusCode::UNAUTHENTICATED + 1;

  LatencyHistogram latency_ns;
  std::array<int64_t, kCodeCount> by_code{};
  // The message of the first call that ended with each non-OK code (warmup included), cut to
  // kMaxMessageBytes, so a report says why calls failed and not only how many.
  static constexpr size_t kMaxMessageBytes = 200;
  std::array<std::string, kCodeCount> first_message;
  // Calls sent before the measurement window opened; not in the figures above.
  int64_t warmup_calls = 0;
  std::optional<BenchClock::time_point> last_completion;

  int64_t ok() const { return by_code[grpc::StatusCode::OK]; }
  int64_t errors() const;
};

// Collects call outcomes from gRPC's callback threads. A call counts only if its intended start is at or
// after `measure_from` (the end of the warmup). Thread-safe.
class CallRecorder {
 public:
  explicit CallRecorder(BenchClock::time_point measure_from) : measure_from_(measure_from) {}

  void Record(BenchClock::time_point intended_start, BenchClock::time_point completed, grpc::StatusCode code,
              absl::string_view message = {});
  CallTally Snapshot() const;

 private:
  const BenchClock::time_point measure_from_;
  mutable absl::Mutex mu_;
  CallTally tally_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_CALL_RECORDER_H_
