// tandem_load: drives any unary RPC of a Tandem API (by default tandem.testing.v1.EchoService/Echo, the
// bare echo server's) on a loopback target in a closed or open loop and reports QPS, latency percentiles and
// the calls by status code. Requests are JSON templates parsed once into the method's request type and sent
// as bytes. Every run is bounded by --warmup + --duration (and --requests), then waits at most
// --rpc_timeout + 2 s for the last answers. Exit status: 0 when the run took place (the report says how the
// calls fared), 1 when it could not connect, 2 for bad flags, an unknown method or a bad request template.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/channel_set.h"
#include "bench/closed_loop.h"
#include "bench/load_options.h"
#include "bench/load_report.h"
#include "bench/open_loop.h"
#include "bench/request_source.h"
#include "bench/service_token.h"
#include "bench/unary_caller.h"

ABSL_FLAG(std::string, target, "", "host:port of the server; loopback only");
ABSL_FLAG(std::string, method, tandem::bench::kEchoMethod,
          "package.Service/Method of the unary RPC to drive");
// Read from the command line before absl sees it (see ExtractRequests): absl keeps only a flag's last value.
ABSL_FLAG(
    std::string, request, "",
    "JSON request of the method's type; repeat for several, sent round-robin. {{seq}} in a string value "
    "becomes the call's number, {{run}} the run's id");
ABSL_FLAG(std::string, request_file, "", "file of JSON request templates, one per line, after any --request");
ABSL_FLAG(std::string, token, "",
          "bearer token sent as 'authorization' with every call (--token_file is safer)");
ABSL_FLAG(std::string, token_file, "", "file holding the bearer token");
ABSL_FLAG(std::string, service_key_file, "",
          "sign a service token with this service's own key (PEM from tandemctl service-key) instead of "
          "--token: for internal RPCs that admit only services");
ABSL_FLAG(std::string, service_name, "", "with --service_key_file: the calling service, the key's owner");
ABSL_FLAG(std::string, audience, "", "with --service_key_file: the called service's name (scheduling)");
ABSL_FLAG(std::string, jwt_issuer, "tandem-local", "with --service_key_file: the issuer the services expect");
ABSL_FLAG(std::string, mode, "closed", "closed (fixed calls in flight) or open (fixed rate)");
ABSL_FLAG(int, channels, 1, "channels, each on its own connection");
ABSL_FLAG(int, in_flight, 1, "closed loop: calls kept outstanding on each channel");
ABSL_FLAG(double, rate, 0, "open loop: calls per second over all channels");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured time, after the warmup");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time before measuring; its calls are not counted");
ABSL_FLAG(int, payload_bytes, 16, "echo method without --request: size of the echoed message");
ABSL_FLAG(int64_t, requests, 0, "stop after this many calls, warmup included (0: only the time bounds)");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(5), "deadline of each call");
ABSL_FLAG(int, max_outstanding, 10000, "open loop: the schedule waits while this many calls are in flight");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5), "how long each channel may take to connect");
ABSL_FLAG(bool, json, false, "print the report as one JSON object instead of a table");

namespace {

// Removes every --request=VALUE and --request VALUE from argv and returns the values in order.
// INVALID_ARGUMENT for a --request without a value.
absl::StatusOr<std::vector<std::string>> ExtractRequests(int* argc, char** argv) {
  std::vector<std::string> requests;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") {
      while (i < *argc) argv[kept++] = argv[i++];
      break;
    }
    absl::string_view value = arg;
    if (absl::ConsumePrefix(&value, "--request=") || absl::ConsumePrefix(&value, "-request=")) {
      requests.emplace_back(value);
    } else if (arg == "--request" || arg == "-request") {
      if (i + 1 >= *argc) return absl::InvalidArgumentError("--request needs a value");
      requests.emplace_back(argv[++i]);
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return requests;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The 'authorization' metadata from --token, --token_file or a service token signed with
// --service_key_file (living `lifetime`, the whole run); none when none is set.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> AuthMetadata(absl::Duration lifetime) {
  std::string token = absl::GetFlag(FLAGS_token);
  const std::string token_file = absl::GetFlag(FLAGS_token_file);
  const std::string key_file = absl::GetFlag(FLAGS_service_key_file);
  if (int given = !token.empty() + !token_file.empty() + !key_file.empty(); given > 1) {
    return absl::InvalidArgumentError("give one of --token, --token_file and --service_key_file");
  }
  if (!key_file.empty()) {
    absl::StatusOr<std::string> pem = ReadFile(key_file, "--service_key_file");
    if (!pem.ok()) return pem.status();
    absl::StatusOr<std::string> minted = tandem::bench::MintServiceToken(
        *pem, absl::GetFlag(FLAGS_service_name), absl::GetFlag(FLAGS_audience),
        absl::GetFlag(FLAGS_jwt_issuer), lifetime);
    if (!minted.ok()) return minted.status();
    token = *std::move(minted);
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> contents = ReadFile(token_file, "--token_file");
    if (!contents.ok()) return contents.status();
    token = std::string(absl::StripAsciiWhitespace(*contents));
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--token_file ", token_file, " is empty"));
    }
  }
  if (token.empty()) return std::vector<std::pair<std::string, std::string>>{};
  return std::vector<std::pair<std::string, std::string>>{{"authorization", absl::StrCat("Bearer ", token)}};
}

int Fail(int exit_code, const absl::Status& status) {
  std::fprintf(stderr, "tandem_load: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

int Run(std::vector<std::string> requests) {
  using tandem::bench::LoadMode;
  tandem::bench::LoadOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  auto mode = tandem::bench::ParseLoadMode(absl::GetFlag(FLAGS_mode));
  if (!mode.ok()) return Fail(2, mode.status());
  options.mode = *mode;
  options.method = absl::GetFlag(FLAGS_method);
  if (const std::string file = absl::GetFlag(FLAGS_request_file); !file.empty()) {
    absl::StatusOr<std::string> contents = ReadFile(file, "--request_file");
    if (!contents.ok()) return Fail(2, contents.status());
    for (absl::string_view line : absl::StrSplit(*contents, '\n', absl::SkipWhitespace())) {
      requests.emplace_back(absl::StripAsciiWhitespace(line));
    }
  }
  options.request_templates = std::move(requests);
  options.channels = absl::GetFlag(FLAGS_channels);
  options.in_flight = absl::GetFlag(FLAGS_in_flight);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.payload_bytes = absl::GetFlag(FLAGS_payload_bytes);
  options.requests = absl::GetFlag(FLAGS_requests);
  options.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  options.max_outstanding = absl::GetFlag(FLAGS_max_outstanding);
  if (auto valid = tandem::bench::ValidateLoadOptions(options); !valid.ok()) return Fail(2, valid);

  // Everything a call needs is checked before connecting, so a typo fails at once.
  auto method = tandem::bench::FindUnaryMethod(options.method);
  if (!method.ok()) return Fail(2, method.status());
  const auto run_id = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
  auto source = tandem::bench::RequestSource::Create(
      *method->descriptor->input_type(), tandem::bench::EffectiveRequestTemplates(options), run_id);
  if (!source.ok()) return Fail(2, source.status());
  // A minted token outlives every bound of the run, plus a minute of clock skew.
  auto metadata = AuthMetadata(options.warmup + options.duration + options.rpc_timeout +
                               absl::GetFlag(FLAGS_connect_timeout) + absl::Minutes(1));
  if (!metadata.ok()) return Fail(2, metadata.status());
  tandem::bench::CallSpec spec;
  spec.method_path = method->path;
  spec.requests = *std::move(source);
  spec.metadata = *std::move(metadata);

  auto channels =
      tandem::bench::OpenChannels(options.target, options.channels,
                                  absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_connect_timeout)));
  if (!channels.ok()) return Fail(1, channels.status());
  const tandem::bench::RunOutcome outcome = options.mode == LoadMode::kClosed
                                                ? tandem::bench::RunClosedLoop(options, spec, *channels)
                                                : tandem::bench::RunOpenLoop(options, spec, *channels);
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
      "Load generator for any unary RPC of a Tandem API (default: the echo baseline).\n"
      "  tandem_load --target=127.0.0.1:PORT --mode=closed --channels=2 --in_flight=64 --duration=10s\n"
      "  tandem_load --target=127.0.0.1:PORT --mode=open --rate=5000 --duration=10s [--json]\n"
      "  tandem_load --target=127.0.0.1:50061 --method=tandem.reminders.v1.ReminderService/ListReminders \\\n"
      "      --request='{\"clinicId\":\"c1\"}' --token_file=TOKEN");
  absl::StatusOr<std::vector<std::string>> requests = ExtractRequests(&argc, argv);
  if (!requests.ok()) return Fail(2, requests.status());
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "tandem_load: unexpected argument '%s'\n", rest[1]);
    return 2;
  }
  return Run(*std::move(requests));
}
