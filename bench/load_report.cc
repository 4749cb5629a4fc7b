#include "bench/load_report.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace tandem::bench {
namespace {

const char* CodeName(int code) {
  static constexpr const char* kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == CallTally::kCodeCount);
  return (code >= 0 && code < CallTally::kCodeCount) ? kNames[code] : "UNKNOWN";
}

double Micros(uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

std::string Describe(const LoadOptions& o) {
  if (o.mode == LoadMode::kClosed) {
    return absl::StrFormat("closed loop, %d channel(s) x %d in flight", o.channels, o.in_flight);
  }
  return absl::StrFormat("open loop, %.0f calls/s over %d channel(s)", o.rate, o.channels);
}

}  // namespace

LoadReport BuildReport(const LoadOptions& options, const RunOutcome& outcome) {
  LoadReport r;
  r.options = options;
  const auto window = outcome.measure_until - outcome.measure_from;
  r.measured_seconds = std::max(0.0, std::chrono::duration<double>(window).count());
  const CallTally& t = outcome.tally;
  r.ok = t.ok();
  r.errors = t.errors();
  for (int code = 1; code < CallTally::kCodeCount; ++code) {
    if (t.by_code[code] > 0) r.errors_by_code[CodeName(code)] = t.by_code[code];
    if (!t.first_message[code].empty()) r.first_error_message[CodeName(code)] = t.first_message[code];
  }
  r.request_bytes = outcome.request_bytes;
  r.qps = r.measured_seconds > 0 ? static_cast<double>(r.ok) / r.measured_seconds : 0;
  r.p50_us = Micros(t.latency_ns.Percentile(0.50));
  r.p90_us = Micros(t.latency_ns.Percentile(0.90));
  r.p99_us = Micros(t.latency_ns.Percentile(0.99));
  r.p999_us = Micros(t.latency_ns.Percentile(0.999));
  r.max_us = Micros(t.latency_ns.max());
  r.mean_us = t.latency_ns.mean() / 1000.0;
  r.warmup_calls = t.warmup_calls;
  r.unfinished = outcome.unfinished;
  r.unsent = outcome.unsent;
  if (outcome.max_send_lag) {
    r.max_send_lag_us = std::chrono::duration<double, std::micro>(*outcome.max_send_lag).count();
  }
  return r;
}

std::string FormatTable(const LoadReport& r) {
  std::string out;
  absl::StrAppendFormat(&out, "target      %s\n", r.options.target);
  absl::StrAppendFormat(&out, "load        %s\n", Describe(r.options));
  absl::StrAppendFormat(&out, "method      %s, %d-byte request", r.options.method, r.request_bytes);
  if (r.options.request_templates.size() > 1) {
    absl::StrAppendFormat(&out, " (first of %d templates)", r.options.request_templates.size());
  }
  out += "\n";
  absl::StrAppendFormat(&out, "window      %.2f s measured after %s warmup (%d warmup calls)\n",
                        r.measured_seconds, absl::FormatDuration(r.options.warmup), r.warmup_calls);
  absl::StrAppendFormat(&out, "calls       %d ok, %d failed\n", r.ok, r.errors);
  absl::StrAppendFormat(&out, "qps         %.1f\n", r.qps);
  absl::StrAppendFormat(&out, "latency us  %10s %10s %10s %10s %10s %10s\n", "p50", "p90", "p99", "p99.9",
                        "max", "mean");
  absl::StrAppendFormat(&out, "            %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", r.p50_us, r.p90_us,
                        r.p99_us, r.p999_us, r.max_us, r.mean_us);
  for (const auto& [code, count] : r.errors_by_code) {
    absl::StrAppendFormat(&out, "error       %-20s %d\n", code, count);
  }
  for (const auto& [code, message] : r.first_error_message) {
    absl::StrAppendFormat(&out, "first       %-20s %s\n", code, message);
  }
  if (r.max_send_lag_us) absl::StrAppendFormat(&out, "send lag    max %.1f us\n", *r.max_send_lag_us);
  if (r.unsent > 0) absl::StrAppendFormat(&out, "unsent      %d (max_outstanding reached)\n", r.unsent);
  if (r.unfinished > 0) {
    absl::StrAppendFormat(&out, "unfinished  %d (no answer before the drain timeout)\n", r.unfinished);
  }
  return out;
}

std::string FormatJson(const LoadReport& r) {
  nlohmann::json j;
  j["target"] = r.options.target;
  j["mode"] = std::string(LoadModeName(r.options.mode));
  j["channels"] = r.options.channels;
  if (r.options.mode == LoadMode::kClosed) {
    j["in_flight_per_channel"] = r.options.in_flight;
  } else {
    j["rate"] = r.options.rate;
  }
  j["method"] = r.options.method;
  j["request_bytes"] = r.request_bytes;
  j["request_templates"] = std::max<size_t>(1, r.options.request_templates.size());
  j["warmup_seconds"] = absl::ToDoubleSeconds(r.options.warmup);
  j["measured_seconds"] = r.measured_seconds;
  j["ok"] = r.ok;
  j["errors"] = r.errors;
  j["errors_by_code"] = r.errors_by_code;
  j["first_error_message"] = r.first_error_message;
  j["qps"] = r.qps;
  j["latency_us"] = {{"p50", r.p50_us},   {"p90", r.p90_us}, {"p99", r.p99_us},
                     {"p999", r.p999_us}, {"max", r.max_us}, {"mean", r.mean_us}};
  j["warmup_calls"] = r.warmup_calls;
  j["unfinished"] = r.unfinished;
  j["unsent"] = r.unsent;
  if (r.max_send_lag_us) j["max_send_lag_us"] = *r.max_send_lag_us;
  // A server's error message need not be UTF-8; replace bad bytes rather than fail.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tandem::bench
