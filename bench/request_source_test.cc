#include "bench/request_source.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tandem/reminders/v1/reminders.pb.h"
#include "tandem/testing/v1/echo.pb.h"
#include "tandem/testing/v1/gateway_test.pb.h"

namespace tandem::bench {
namespace {

template <typename M>
M Parse(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  M message;
  EXPECT_TRUE(message.ParseFromString(bytes));
  return message;
}

TEST(FindUnaryMethodTest, FindsLinkedMethodsByName) {
  auto echo = FindUnaryMethod("tandem.testing.v1.EchoService/Echo");
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->path, "/tandem.testing.v1.EchoService/Echo");
  EXPECT_EQ(echo->descriptor->input_type()->full_name(), "tandem.testing.v1.EchoRequest");
  auto list = FindUnaryMethod("/tandem.reminders.v1.ReminderService/ListReminders");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->path, "/tandem.reminders.v1.ReminderService/ListReminders");
}

TEST(FindUnaryMethodTest, RefusesWhatItCannotDrive) {
  EXPECT_EQ(FindUnaryMethod("tandem.testing.v1.EchoService/Nope").status().code(),
            absl::StatusCode::kNotFound);
  for (const char* bad : {"", "Echo", "/Echo", "tandem.testing.v1.EchoService/", "a/b/c"}) {
    EXPECT_EQ(FindUnaryMethod(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(RequestSourceTest, FixedTemplatesAreSentRoundRobin) {
  auto source = RequestSource::Create(*testing::v1::EchoRequest::descriptor(),
                                      {R"({"message":"a"})", R"({"message":"bb","delayMs":3})"}, 1);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->template_count(), 2u);
  EXPECT_FALSE((*source)->has_seq());
  EXPECT_EQ(Parse<testing::v1::EchoRequest>((*source)->Request(0)).message(), "a");
  EXPECT_EQ(Parse<testing::v1::EchoRequest>((*source)->Request(1)).delay_ms(), 3);
  EXPECT_EQ(Parse<testing::v1::EchoRequest>((*source)->Request(4)).message(), "a");
}

TEST(RequestSourceTest, NoTemplateSendsTheEmptyMessage) {
  auto source = RequestSource::Create(*testing::v1::EchoRequest::descriptor(), {}, 1);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->first_request_bytes(), 0u);
}

TEST(RequestSourceTest, SeqIsRenderedPerCallInEveryStringValue) {
  auto source = RequestSource::Create(
      *testing::v1::ListGatewayTestGoalsRequest::descriptor(),
      {R"({"clientId":"c-{{seq}}-{{seq}}","tag":["x","t{{seq}}"],"filter":{"words":["w{{seq}}"]},"pageSize":5})"},
      1);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_TRUE((*source)->has_seq());
  const auto request = Parse<testing::v1::ListGatewayTestGoalsRequest>((*source)->Request(42));
  EXPECT_EQ(request.client_id(), "c-42-42");
  ASSERT_EQ(request.tag_size(), 2);
  EXPECT_EQ(request.tag(0), "x");
  EXPECT_EQ(request.tag(1), "t42");
  ASSERT_EQ(request.filter().words_size(), 1);
  EXPECT_EQ(request.filter().words(0), "w42");
  EXPECT_EQ(request.page_size(), 5);
  // The parsed template itself is left as it was.
  EXPECT_EQ(Parse<testing::v1::ListGatewayTestGoalsRequest>((*source)->Request(7)).client_id(), "c-7-7");
}

TEST(RequestSourceTest, SeqInMapValuesAndRunOnce) {
  auto source = RequestSource::Create(*reminders::v1::ScheduleReminderRequest::descriptor(),
                                      {R"({"clinicId":"c1","idempotencyKey":"k-{{run}}-{{seq}}",)"
                                       R"("params":{"n":"{{seq}}"}})"},
                                      99);
  ASSERT_TRUE(source.ok()) << source.status();
  const auto request = Parse<reminders::v1::ScheduleReminderRequest>((*source)->Request(3));
  EXPECT_EQ(request.idempotency_key(), "k-99-3");
  EXPECT_EQ(request.params().at("n"), "3");
}

TEST(RequestSourceTest, BadTemplatesAreRefused) {
  for (const char* bad : {"", "{", R"({"noSuchField":1})", R"({"delayMs":"{{seq}}"})", R"({"message":5})"}) {
    EXPECT_EQ(RequestSource::Create(*testing::v1::EchoRequest::descriptor(), {bad}, 1).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace tandem::bench
