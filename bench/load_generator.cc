// tandem_load: drives tandem.testing.v1.EchoService/Echo on a loopback target in a closed or open loop and
// reports QPS and latency percentiles. Every run is bounded by --warmup + --duration (and --requests), then
// waits at most --rpc_timeout + 2 s for the last answers. Exit status: 0 when the run took place (the report
// says how the calls fared), 1 when it could not connect, 2 for bad flags.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/channel_set.h"
#include "bench/closed_loop.h"
#include "bench/load_options.h"
#include "bench/load_report.h"
#include "bench/open_loop.h"

ABSL_FLAG(std::string, target, "", "host:port of the echo server; loopback only");
ABSL_FLAG(std::string, mode, "closed", "closed (fixed calls in flight) or open (fixed rate)");
ABSL_FLAG(int, channels, 1, "channels, each on its own connection");
ABSL_FLAG(int, in_flight, 1, "closed loop: calls kept outstanding on each channel");
ABSL_FLAG(double, rate, 0, "open loop: calls per second over all channels");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured time, after the warmup");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time before measuring; its calls are not counted");
ABSL_FLAG(int, payload_bytes, 16, "size of the echoed message");
ABSL_FLAG(int64_t, requests, 0, "stop after this many calls, warmup included (0: only the time bounds)");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(5), "deadline of each call");
ABSL_FLAG(int, max_outstanding, 10000, "open loop: the schedule waits while this many calls are in flight");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5), "how long each channel may take to connect");
ABSL_FLAG(bool, json, false, "print the report as one JSON object instead of a table");

namespace {

int Run() {
  using tandem::bench::LoadMode;
  tandem::bench::LoadOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  auto mode = tandem::bench::ParseLoadMode(absl::GetFlag(FLAGS_mode));
  if (!mode.ok()) {
    std::fprintf(stderr, "tandem_load: %s\n", std::string(mode.status().message()).c_str());
    return 2;
  }
  options.mode = *mode;
  options.channels = absl::GetFlag(FLAGS_channels);
  options.in_flight = absl::GetFlag(FLAGS_in_flight);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.payload_bytes = absl::GetFlag(FLAGS_payload_bytes);
  options.requests = absl::GetFlag(FLAGS_requests);
  options.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  options.max_outstanding = absl::GetFlag(FLAGS_max_outstanding);
  if (auto valid = tandem::bench::ValidateLoadOptions(options); !valid.ok()) {
    std::fprintf(stderr, "tandem_load: %s\n", std::string(valid.message()).c_str());
    return 2;
  }

  auto channels =
      tandem::bench::OpenChannels(options.target, options.channels,
                                  absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_connect_timeout)));
  if (!channels.ok()) {
    std::fprintf(stderr, "tandem_load: %s\n", std::string(channels.status().message()).c_str());
    return 1;
  }
  const tandem::bench::RunOutcome outcome = options.mode == LoadMode::kClosed
                                                ? tandem::bench::RunClosedLoop(options, *channels)
                                                : tandem::bench::RunOpenLoop(options, *channels);
  const tandem::bench::LoadReport report = tandem::bench::BuildReport(options, outcome);
  const std::string text = absl::GetFlag(FLAGS_json) ? tandem::bench::FormatJson(report) + "\n"
                                                     : tandem::bench::FormatTable(report);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Load generator for tandem.testing.v1.EchoService/Echo.\n"
      "  tandem_load --target=127.0.0.1:PORT --mode=closed --channels=2 --in_flight=64 --duration=10s\n"
      "  tandem_load --target=127.0.0.1:PORT --mode=open --rate=5000 --duration=10s [--json]");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "tandem_load: unexpected argument '%s'\n", rest[1]);
    return 2;
  }
  return Run();
}
