#include "common/log/log.h"

#include <memory>
#include <sstream>
#include <string>

#include "common/log/redact.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"
#include "tandem/testing/v1/echo.pb.h"

namespace tandem::log {
namespace {

TEST(Log, LinesAreJsonWithServiceEventAndFields) {
  Init("notes", "debug");
  std::string line = FormatLine(spdlog::level::info, "rpc", {{"request_id", "r1"}, {"latency_ms", 1.5}});
  nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["service"], "notes");
  EXPECT_EQ(parsed["event"], "rpc");
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["request_id"], "r1");
  EXPECT_DOUBLE_EQ(parsed["latency_ms"].get<double>(), 1.5);
  EXPECT_EQ(parsed["ts"].get<std::string>().size(), 24u);  // 2026-01-01T00:00:00.000Z
}

TEST(Log, InvalidUtf8DoesNotThrow) {
  std::string line = FormatLine(spdlog::level::warn, "bad", {{"id", std::string("\xff\xfe", 2)}});
  EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
}

TEST(Log, AddedSinksReceiveWrittenLinesUntilRemoved) {
  Init("notes", "info");
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  AddSink(sink);
  Info("first", {{"request_id", "r1"}});
  Debug("below_the_level");
  RemoveSink(sink);
  Info("after_removal");
  std::istringstream lines(captured.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  nlohmann::json parsed = nlohmann::json::parse(line);  // the bare JSON line, no spdlog prefix
  EXPECT_EQ(parsed["event"], "first");
  EXPECT_EQ(parsed["request_id"], "r1");
  EXPECT_FALSE(std::getline(lines, line)) << line;
}

TEST(Redact, SensitiveMarkIsReadFromTheProtos) {
  const auto& request = *tandem::testing::v1::EchoRequest::descriptor();
  EXPECT_TRUE(IsSensitive(*request.FindFieldByName("note")));
  EXPECT_FALSE(IsSensitive(*request.FindFieldByName("message")));
  EXPECT_TRUE(HasSensitiveFields(request));
  EXPECT_FALSE(HasSensitiveFields(*tandem::testing::v1::EchoResponse::descriptor()));
}

}  // namespace
}  // namespace tandem::log
