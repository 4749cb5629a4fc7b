#ifndef TANDEM_BENCH_LOAD_REPORT_H_
#define TANDEM_BENCH_LOAD_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bench/load_options.h"
#include "bench/run_plan.h"

namespace tandem::bench {

// The figures of one run, in the units they are reported in.
struct LoadReport {
  LoadOptions options;
  double measured_seconds = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  // Status code name ("DEADLINE_EXCEEDED") to count; only codes that occurred.
  std::map<std::string, int64_t> errors_by_code;
  // Status code name to the message of the first call that failed with it (warmup included).
  std::map<std::string, std::string> first_error_message;
  // The serialized size of the first request template.
  int64_t request_bytes = 0;
  // Successful calls per second over the measurement window.
  double qps = 0;
  // Latency of every measured call, errors included, in microseconds.
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
  double mean_us = 0;
  int64_t warmup_calls = 0;
  int64_t unfinished = 0;
  int64_t unsent = 0;
  std::optional<double> max_send_lag_us;
};

LoadReport BuildReport(const LoadOptions& options, const RunOutcome& outcome);

// A few aligned lines for a person.
std::string FormatTable(const LoadReport& report);
// One JSON object (keys as in LoadReport, latency under "latency_us") for scripts.
std::string FormatJson(const LoadReport& report);

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_LOAD_REPORT_H_
