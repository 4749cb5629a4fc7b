#include "common/log/log.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace tandem::log {
namespace {

struct State {
  std::string service = "tandem";
  std::shared_ptr<spdlog::logger> logger;
};

State& GetState() {
  static State* const kState = [] {
    auto* state = new State();
    state->logger = spdlog::stderr_logger_mt("tandem_json");
    state->logger->set_pattern("%v");  // the line is already complete JSON
    state->logger->flush_on(spdlog::level::warn);
    return state;
  }();
  return *kState;
}

}  // namespace

void Init(absl::string_view service, absl::string_view level) {
  State& state = GetState();
  state.service = std::string(service);
  state.logger->set_level(spdlog::level::from_str(std::string(level)));
}

std::string FormatLine(spdlog::level::level_enum level, absl::string_view event,
                       const nlohmann::json& fields) {
  nlohmann::json line = {
      {"ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())},
      {"level", spdlog::level::to_string_view(level).data()},
      {"service", GetState().service},
      {"event", std::string(event)},
  };
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  // Replace invalid UTF-8 rather than throw: a log call must never take a request down.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(spdlog::level::level_enum level, absl::string_view event, nlohmann::json fields) {
  State& state = GetState();
  if (!state.logger->should_log(level)) return;
  state.logger->log(level, "{}", FormatLine(level, event, fields));
}

}  // namespace tandem::log
