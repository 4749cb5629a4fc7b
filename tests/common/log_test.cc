#include "common/log/log.h"

#include <string>

#include "common/log/redact.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tandem/testing/v1/echo.pb.h"

namespace tandem::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
  EXPECT_NO_THROW(nlohmann::json::parse(line));
}

TEST(Redact, SensitiveFieldsAreRedactedAndOthersKept) {
  tandem::testing::v1::EchoRequest request;
  request.set_message("appointment-42");
  request.set_note("client reports panic attacks");
  EXPECT_TRUE(IsSensitive(*request.GetDescriptor()->FindFieldByName("note")));
  EXPECT_FALSE(IsSensitive(*request.GetDescriptor()->FindFieldByName("message")));
  EXPECT_TRUE(HasSensitiveFields(*request.GetDescriptor()));
  EXPECT_FALSE(HasSensitiveFields(*tandem::testing::v1::EchoResponse::descriptor()));

  std::string text = RedactedDebugString(request);
  EXPECT_THAT(text, HasSubstr("appointment-42"));
  EXPECT_THAT(text, HasSubstr("[redacted]"));
  EXPECT_THAT(text, Not(HasSubstr("panic")));
  // The original is untouched.
  EXPECT_EQ(request.note(), "client reports panic attacks");
}

}  // namespace
}  // namespace tandem::log
