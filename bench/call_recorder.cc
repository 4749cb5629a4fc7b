#include "bench/call_recorder.h"

#include <algorithm>

namespace tandem::bench {

int64_t CallTally::errors() const {
  int64_t total = 0;
  for (int code = 0; code < kCodeCount; ++code) {
    if (code != grpc::StatusCode::OK) total += by_code[code];
  }
  return total;
}

void CallRecorder::Record(BenchClock::time_point intended_start, BenchClock::time_point completed,
                          grpc::StatusCode code, absl::string_view message) {
  const int index = (code >= 0 && code < CallTally::kCodeCount) ? code : grpc::StatusCode::UNKNOWN;
  const auto latency = std::max(BenchClock::duration::zero(), completed - intended_start);
  const auto latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count();
  absl::MutexLock lock(&mu_);
  if (index != grpc::StatusCode::OK && tally_.first_message[index].empty() && !message.empty()) {
    tally_.first_message[index] = std::string(message.substr(0, CallTally::kMaxMessageBytes));
  }
  if (intended_start < measure_from_) {
    ++tally_.warmup_calls;
    return;
  }
  tally_.latency_ns.Record(static_cast<uint64_t>(latency_ns));
  ++tally_.by_code[index];
  if (!tally_.last_completion || completed > *tally_.last_completion) tally_.last_completion = completed;
}

CallTally CallRecorder::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return tally_;
}

}  // namespace tandem::bench
