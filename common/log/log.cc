#include "common/log/log.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/sinks/dist_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace tandem::log {
namespace {

constexpr char kPattern[] = "%v";  // the line is already complete JSON

struct State {
  std::string service = "tandem";
  // stderr plus whatever AddSink added; a dist sink can gain and lose sinks while other threads log.
  std::shared_ptr<spdlog::sinks::dist_sink_mt> sinks;
  std::shared_ptr<spdlog::logger> logger;
};

State& GetState() {
  static State* const kState = [] {
    auto* state = new State();
    state->sinks = std::make_shared<spdlog::sinks::dist_sink_mt>();
    state->sinks->add_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    state->logger = std::make_shared<spdlog::logger>("tandem_json", state->sinks);
    spdlog::register_logger(state->logger);
    state->logger->set_pattern(kPattern);
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

std::string FormatLine(spdlog::level::level_enum level, absl::string_view event, nlohmann::json fields) {
  nlohmann::json line = {
      {"ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())},
      {"level", spdlog::level::to_string_view(level).data()},
      {"service", GetState().service},
      {"event", std::string(event)},
  };
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) line[key] = std::move(value);
  }
  // Replace invalid UTF-8 rather than throw: a log call must never take a request down.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AddSink(const std::shared_ptr<spdlog::sinks::sink>& sink) {
  sink->set_pattern(kPattern);
  GetState().sinks->add_sink(sink);
}

void RemoveSink(const std::shared_ptr<spdlog::sinks::sink>& sink) { GetState().sinks->remove_sink(sink); }

void Write(spdlog::level::level_enum level, absl::string_view event, nlohmann::json fields) {
  State& state = GetState();
  if (!state.logger->should_log(level)) return;
  state.logger->log(level, "{}", FormatLine(level, event, std::move(fields)));
}

}  // namespace tandem::log
