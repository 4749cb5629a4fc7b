#include "bench/load_options.h"

#include <arpa/inet.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tandem::bench {
namespace {

constexpr int kMaxChannels = 64;
constexpr int kMaxInFlightPerChannel = 4096;
constexpr double kMaxRate = 200000;
constexpr int kMaxPayloadBytes = 1 << 20;
constexpr int kMaxOutstanding = 100000;
constexpr size_t kMaxTemplates = 1024;
constexpr size_t kMaxTemplateBytes = 1 << 20;

bool IsLoopbackHost(absl::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  in_addr addr{};
  const std::string copy(host);
  if (inet_pton(AF_INET, copy.c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

}  // namespace

absl::string_view LoadModeName(LoadMode mode) {
  switch (mode) {
    case LoadMode::kClosed:
      return "closed";
    case LoadMode::kOpen:
      return "open";
  }
  return "unknown";
}

absl::StatusOr<LoadMode> ParseLoadMode(absl::string_view name) {
  if (name == "closed") return LoadMode::kClosed;
  if (name == "open") return LoadMode::kOpen;
  return absl::InvalidArgumentError(absl::StrCat("--mode must be closed or open, not '", name, "'"));
}

std::vector<std::string> EffectiveRequestTemplates(const LoadOptions& options) {
  if (!options.request_templates.empty()) return options.request_templates;
  if (absl::StripPrefix(options.method, "/") == kEchoMethod) {
    // 'x' needs no JSON escaping.
    return {absl::StrCat(R"({"message":")", std::string(static_cast<size_t>(options.payload_bytes), 'x'),
                         R"("})")};
  }
  return {};
}

bool IsLoopbackTarget(absl::string_view target) {
  const size_t colon = target.rfind(':');
  if (colon == absl::string_view::npos) return false;
  int port = 0;
  if (!absl::SimpleAtoi(target.substr(colon + 1), &port) || port < 1 || port > 65535) return false;
  return IsLoopbackHost(target.substr(0, colon));
}

absl::Status ValidateLoadOptions(const LoadOptions& o) {
  if (!IsLoopbackTarget(o.target)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--target must be a loopback host:port (127.x.x.x, localhost, [::1]), not '", o.target, "'"));
  }
  if (o.channels < 1 || o.channels > kMaxChannels) {
    return absl::InvalidArgumentError(absl::StrCat("--channels must be in 1..", kMaxChannels));
  }
  if (o.mode == LoadMode::kClosed && (o.in_flight < 1 || o.in_flight > kMaxInFlightPerChannel)) {
    return absl::InvalidArgumentError(absl::StrCat("--in_flight must be in 1..", kMaxInFlightPerChannel));
  }
  if (o.mode == LoadMode::kOpen && !(o.rate > 0 && o.rate <= kMaxRate)) {
    return absl::InvalidArgumentError(absl::StrCat("--rate must be in (0, ", kMaxRate, "] for --mode=open"));
  }
  if (o.duration <= absl::ZeroDuration() || o.duration > absl::Hours(1)) {
    return absl::InvalidArgumentError("--duration must be in (0, 1h]");
  }
  if (o.warmup < absl::ZeroDuration() || o.warmup > absl::Minutes(10)) {
    return absl::InvalidArgumentError("--warmup must be in [0, 10m]");
  }
  if (o.payload_bytes < 0 || o.payload_bytes > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(absl::StrCat("--payload_bytes must be in 0..", kMaxPayloadBytes));
  }
  if (o.method.empty()) return absl::InvalidArgumentError("--method must not be empty");
  if (o.request_templates.size() > kMaxTemplates) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxTemplates, " --request templates"));
  }
  for (const std::string& t : o.request_templates) {
    if (t.size() > kMaxTemplateBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("a --request template is over ", kMaxTemplateBytes, " bytes"));
    }
  }
  if (o.requests < 0) return absl::InvalidArgumentError("--requests must not be negative");
  if (o.rpc_timeout <= absl::ZeroDuration() || o.rpc_timeout > absl::Minutes(1)) {
    return absl::InvalidArgumentError("--rpc_timeout must be in (0, 1m]");
  }
  if (o.max_outstanding < 1 || o.max_outstanding > kMaxOutstanding) {
    return absl::InvalidArgumentError(absl::StrCat("--max_outstanding must be in 1..", kMaxOutstanding));
  }
  return absl::OkStatus();
}

}  // namespace tandem::bench
