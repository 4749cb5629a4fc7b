#ifndef TANDEM_COMMON_LOG_LOG_H_
#define TANDEM_COMMON_LOG_LOG_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "spdlog/common.h"
#include "spdlog/sinks/sink.h"

namespace tandem::log {

// Structured JSON-lines logging on spdlog. Every line is one JSON object with `ts`, `level`, `service`,
// `event` and the caller's fields, so log pipelines index fields instead of parsing prose. Fields carry ids,
// codes and numbers: never clinical text, names, addresses or tokens, and never a request or other message
// (a field not marked sensitive may still say who is in therapy, so nothing logs whole messages).
//
//   log::Info("rpc_finished", {{"rpc", "/tandem.x.v1.X/Get"}, {"code", "OK"}, {"latency_ms", 3.2}});

// Sets the service name stamped on every line and the minimum level ("debug", "info", "warn", "error"). Safe
// to call more than once; lines go to stderr.
void Init(absl::string_view service, absl::string_view level = "info");

// Sends every line written from now on to `sink` as well as to stderr, until RemoveSink: tests read what a
// component really logged this way. Thread-safe.
void AddSink(const std::shared_ptr<spdlog::sinks::sink>& sink);
void RemoveSink(const std::shared_ptr<spdlog::sinks::sink>& sink);

void Write(spdlog::level::level_enum level, absl::string_view event, nlohmann::json fields = {});

inline void Debug(absl::string_view event, nlohmann::json fields = {}) {
  Write(spdlog::level::debug, event, std::move(fields));
}
inline void Info(absl::string_view event, nlohmann::json fields = {}) {
  Write(spdlog::level::info, event, std::move(fields));
}
inline void Warn(absl::string_view event, nlohmann::json fields = {}) {
  Write(spdlog::level::warn, event, std::move(fields));
}
inline void Error(absl::string_view event, nlohmann::json fields = {}) {
  Write(spdlog::level::err, event, std::move(fields));
}

// Renders one log line without writing it (used by Write and by tests).
std::string FormatLine(spdlog::level::level_enum level, absl::string_view event, nlohmann::json fields);

}  // namespace tandem::log

#endif  // TANDEM_COMMON_LOG_LOG_H_
