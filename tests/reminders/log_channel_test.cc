#include "services/reminders/channels/log_channel.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "common/log/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"

namespace tandem::reminders {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Line {
  std::string event;
  nlohmann::json fields;
};

TEST(LogChannelTest, LogsIdShapeAndLengthsButNeverTextOrAddress) {
  absl::Mutex mu;
  std::vector<Line> lines;
  LogChannel channel([&](absl::string_view event, const nlohmann::json& fields) {
    absl::MutexLock lock(&mu);
    lines.push_back({std::string(event), fields});
  });
  OutboundMessage message;
  message.idempotency_id = "r-1";
  message.recipient = "sam.private@example.org";
  message.sender_name = "Dr. Private";
  message.subject = "Secret subject";
  message.body = "Secret body text";
  message.due_at = absl::FromCivil(absl::CivilSecond(2026, 7, 14, 16, 0, 0), absl::UTCTimeZone());
  ASSERT_TRUE(channel.Send(message).ok());

  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].event, "reminder_delivered_to_log");
  EXPECT_EQ(lines[0].fields["reminder_id"], "r-1");
  EXPECT_EQ(lines[0].fields["recipient_kind"], "email");
  EXPECT_EQ(lines[0].fields["text_bytes"], 16);
  EXPECT_EQ(lines[0].fields["subject_bytes"], 14);
  EXPECT_EQ(lines[0].fields["due_at"], "2026-07-14T16:00:00Z");
  const std::string dumped = lines[0].fields.dump();
  for (const char* secret : {"Secret", "sam.private", "example.org", "Private"}) {
    EXPECT_THAT(dumped, Not(HasSubstr(secret)));
  }

  message.recipient = "+4915112345678";
  ASSERT_TRUE(channel.Send(message).ok());
  EXPECT_EQ(lines[1].fields["recipient_kind"], "phone");
  EXPECT_THAT(lines[1].fields.dump(), Not(HasSubstr("4915112345678")));
}

TEST(LogChannelTest, RefusesMalformedMessages) {
  int calls = 0;
  LogChannel channel([&](absl::string_view, const nlohmann::json&) { ++calls; });
  OutboundMessage message;
  message.idempotency_id = "bad id with spaces";
  message.recipient = "x";
  EXPECT_EQ(channel.Send(message).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 0);
}

// What an operator's log really receives: one JSON line at info saying which reminder was delivered, with
// nothing of who it was for or what it said.
TEST(LogChannelTest, DefaultSinkWritesOneDeliveryLineThroughCommonLog) {
  log::Init("reminders", "debug");
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  log::AddSink(sink);
  LogChannel channel;
  OutboundMessage message;
  message.idempotency_id = "r-2";
  message.recipient = "zzpatient@example.org";
  message.sender_name = "ZZSENDERZZ";
  message.subject = "ZZSUBJECTZZ";
  message.body = "ZZCLINICALZZ";
  message.due_at = absl::FromCivil(absl::CivilSecond(2026, 7, 14, 16, 0, 0), absl::UTCTimeZone());
  const absl::Status sent = channel.Send(message);
  log::RemoveSink(sink);
  ASSERT_TRUE(sent.ok()) << sent;

  const std::string out = captured.str();
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  const nlohmann::json line = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << out;
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["service"], "reminders");
  EXPECT_EQ(line["event"], "reminder_delivered_to_log");
  EXPECT_EQ(line["reminder_id"], "r-2");
  EXPECT_EQ(line["recipient_kind"], "email");
  EXPECT_EQ(line["text_bytes"], 12);
  EXPECT_EQ(line["due_at"], "2026-07-14T16:00:00Z");
  for (const char* secret : {"zzpatient", "example.org", "ZZSENDERZZ", "ZZSUBJECTZZ", "ZZCLINICALZZ"}) {
    EXPECT_THAT(out, Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace tandem::reminders
