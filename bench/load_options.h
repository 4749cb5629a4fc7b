#ifndef TANDEM_BENCH_LOAD_OPTIONS_H_
#define TANDEM_BENCH_LOAD_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::bench {

// The method driven when --method is not given: the bare echo server's, the baseline of every comparison.
inline constexpr char kEchoMethod[] = "tandem.testing.v1.EchoService/Echo";

enum class LoadMode {
  // A fixed number of calls is kept outstanding: each completion sends the next call. Measures capacity.
  kClosed,
  // Calls leave on a fixed schedule whatever the completions do; latency counts from the scheduled send time,
  // so a stalled server shows up as latency instead of as fewer requests (no coordinated omission).
  kOpen,
};

absl::string_view LoadModeName(LoadMode mode);
absl::StatusOr<LoadMode> ParseLoadMode(absl::string_view name);

// What one run of the load generator does. Every run is bounded: it stops issuing after warmup + duration
// (and after `requests` calls when that is set) and waits at most rpc_timeout more for the last answers.
struct LoadOptions {
  // host:port on the loopback interface (127.0.0.0/8, localhost or [::1]); nothing else is accepted.
  std::string target;
  LoadMode mode = LoadMode::kClosed;
  // Separate channels, each with its own connection.
  int channels = 1;
  // Closed loop: calls kept outstanding on each channel.
  int in_flight = 1;
  // Open loop: calls per second over all channels.
  double rate = 0;
  absl::Duration duration = absl::Seconds(10);
  // Calls sent before warmup ends are not counted.
  absl::Duration warmup = absl::Seconds(1);
  // "package.Service/Method" of a unary RPC whose proto is linked into the load generator.
  std::string method = kEchoMethod;
  // JSON requests (proto3 JSON mapping) of the method's request type, sent round-robin; see RequestSource
  // for {{seq}} and {{run}}. Empty: see EffectiveRequestTemplates.
  std::vector<std::string> request_templates;
  // Without request templates, the echo method sends a message of this many bytes.
  int payload_bytes = 16;
  // Total calls to send, warmup included; 0 sends until the time is up.
  int64_t requests = 0;
  // Deadline of each call.
  absl::Duration rpc_timeout = absl::Seconds(5);
  // Open loop: when this many calls are outstanding the schedule waits (and the wait shows as latency).
  int max_outstanding = 10000;
};

// OK when every field is within its bounds; otherwise INVALID_ARGUMENT naming the first bad field.
absl::Status ValidateLoadOptions(const LoadOptions& options);

// The templates a run sends: request_templates when given; otherwise, for the echo method, one message of
// payload_bytes 'x' characters, and for any other method none (its empty request).
std::vector<std::string> EffectiveRequestTemplates(const LoadOptions& options);

// True for host:port where host is localhost, an IPv4 address in 127.0.0.0/8 or [::1], and port is 1..65535.
bool IsLoopbackTarget(absl::string_view target);

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_LOAD_OPTIONS_H_
