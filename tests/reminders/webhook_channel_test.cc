#include "services/reminders/channels/webhook_channel.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/reminders/channels/webhook_signature.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/reminders/test_http_server.h"

namespace tandem::reminders {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RefusingPort;
using testing::TestHttpServer;

constexpr char kSecret[] = "whsec_0123456789abcdef";

OutboundMessage Message(std::string id = "0192f1c2-7a6b-7c3d-8e9f-0123456789ab") {
  OutboundMessage message;
  message.idempotency_id = std::move(id);
  message.recipient = "+4915112345678";
  message.sender_name = "Riverside Practice";
  message.subject = "Reminder";
  message.body = "Your appointment: Tue 14 Jul, 18:00 \xE2\x80\x94 see you then";
  message.due_at = absl::FromCivil(absl::CivilSecond(2026, 7, 14, 16, 0, 0), absl::UTCTimeZone());
  return message;
}

std::unique_ptr<TestHttpServer> Serve(int status, absl::Duration delay = absl::ZeroDuration()) {
  auto server = TestHttpServer::Start([status, delay](const TestHttpServer::Request&) {
    TestHttpServer::Response response;
    response.status = status;
    response.delay = delay;
    response.body = "echo of something private";
    return response;
  });
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::unique_ptr<WebhookChannel> MakeChannel(const std::string& url, const Clock& clock = Clock::Real(),
                                            absl::Duration timeout = absl::Seconds(5),
                                            std::string ca_file = "") {
  WebhookChannelOptions options;
  options.url = url;
  options.secret = kSecret;
  options.timeout = timeout;
  options.connect_timeout = absl::Seconds(2);
  options.ca_file = std::move(ca_file);
  auto channel = WebhookChannel::Create(options, clock);
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *std::move(channel) : nullptr;
}

TEST(WebhookChannelTest, PostsSignedJsonWithIdempotencyKey) {
  auto server = Serve(200);
  FakeClock clock(absl::FromUnixSeconds(1767225600));
  auto channel = MakeChannel(server->Url("/v1/reminders?x=1"), clock);
  ASSERT_TRUE(channel->Send(Message()).ok());

  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/reminders?x=1");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(request.headers.at("tandem-idempotency-key"), "0192f1c2-7a6b-7c3d-8e9f-0123456789ab");
  EXPECT_EQ(request.headers.at("tandem-timestamp"), "1767225600");
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, request.headers.at("tandem-timestamp"), request.body,
                                     request.headers.at("tandem-signature"), clock.Now())
                  .ok());
  EXPECT_FALSE(VerifyWebhookSignature("some_other_secret_value", request.headers.at("tandem-timestamp"),
                                      request.body, request.headers.at("tandem-signature"), clock.Now())
                   .ok());

  const nlohmann::json body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["id"], "0192f1c2-7a6b-7c3d-8e9f-0123456789ab");
  EXPECT_EQ(body["recipient"], "+4915112345678");
  EXPECT_EQ(body["sender"], "Riverside Practice");
  EXPECT_EQ(body["text"], Message().body);
  EXPECT_EQ(body["due_at"], "2026-07-14T16:00:00Z");
  EXPECT_EQ(body.size(), 5u);
}

TEST(WebhookChannelTest, RetriesCarryTheSameIdAndAFreshSignature) {
  auto server = Serve(200);
  FakeClock clock(absl::FromUnixSeconds(1767225600));
  auto channel = MakeChannel(server->Url(), clock);
  ASSERT_TRUE(channel->Send(Message()).ok());
  clock.Advance(absl::Seconds(90));
  ASSERT_TRUE(channel->Send(Message()).ok());
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.at("tandem-idempotency-key"),
            requests[1].headers.at("tandem-idempotency-key"));
  EXPECT_EQ(requests[1].headers.at("tandem-timestamp"), "1767225690");
  EXPECT_NE(requests[0].headers.at("tandem-signature"), requests[1].headers.at("tandem-signature"));
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, requests[1].headers.at("tandem-timestamp"), requests[1].body,
                                     requests[1].headers.at("tandem-signature"), clock.Now())
                  .ok());
}

struct StatusCase {
  int http_status;
  absl::StatusCode code;
};

class WebhookStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(WebhookStatusTest, MapsReceiverAnswers) {
  const StatusCase& c = GetParam();
  auto server = Serve(c.http_status);
  auto channel = MakeChannel(server->Url());
  const absl::Status status = channel->Send(Message());
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(IsRetryable(status), c.code == absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("private")));
  EXPECT_EQ(server->requests().size(), 1u);  // redirects are not followed
}

INSTANTIATE_TEST_SUITE_P(Codes, WebhookStatusTest,
                         ::testing::Values(StatusCase{200, absl::StatusCode::kOk},
                                           StatusCase{202, absl::StatusCode::kOk},
                                           StatusCase{204, absl::StatusCode::kOk},
                                           StatusCase{500, absl::StatusCode::kUnavailable},
                                           StatusCase{502, absl::StatusCode::kUnavailable},
                                           StatusCase{503, absl::StatusCode::kUnavailable},
                                           StatusCase{429, absl::StatusCode::kUnavailable},
                                           StatusCase{408, absl::StatusCode::kUnavailable},
                                           StatusCase{400, absl::StatusCode::kInvalidArgument},
                                           StatusCase{422, absl::StatusCode::kInvalidArgument},
                                           StatusCase{401, absl::StatusCode::kFailedPrecondition},
                                           StatusCase{404, absl::StatusCode::kFailedPrecondition},
                                           StatusCase{410, absl::StatusCode::kFailedPrecondition},
                                           StatusCase{302, absl::StatusCode::kFailedPrecondition}));

TEST(WebhookChannelTest, RedirectIsNotFollowed) {
  std::atomic<int> hits{0};
  auto server = TestHttpServer::Start([&](const TestHttpServer::Request& request) {
    ++hits;
    TestHttpServer::Response response;
    if (request.target == "/hook") {
      response.status = 307;
      response.headers = {{"Location", "/elsewhere"}};
    }
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto channel = MakeChannel((*server)->Url("/hook"));
  EXPECT_EQ(channel->Send(Message()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(hits.load(), 1);
}

TEST(WebhookChannelTest, SlowReceiverTimesOutWithinTheDeadline) {
  auto server = Serve(200, absl::Seconds(30));
  auto channel = MakeChannel(server->Url(), Clock::Real(), absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  const absl::Status status = channel->Send(Message());
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_GE(elapsed, absl::Milliseconds(250));
  EXPECT_LT(elapsed, absl::Seconds(3));
}

TEST(WebhookChannelTest, RefusedConnectionIsRetryable) {
  RefusingPort refusing;
  ASSERT_GT(refusing.port(), 0);
  auto channel = MakeChannel(absl::StrCat("http://127.0.0.1:", refusing.port(), "/hook"));
  const absl::Status status = channel->Send(Message());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsRetryable(status));
}

TEST(WebhookChannelTest, ReusesConnectionsAcrossSends) {
  auto server = Serve(200);
  auto channel = MakeChannel(server->Url());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(channel->Send(Message(absl::StrCat("r-", i))).ok());
  EXPECT_EQ(server->requests().size(), 5u);
  EXPECT_EQ(server->connections(), 1u);
}

TEST(WebhookChannelTest, ConcurrentSendsAllArrive) {
  auto server = Serve(200);
  auto channel = MakeChannel(server->Url());
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (!channel->Send(Message(absl::StrCat("r-", t, "-", i))).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server->requests().size(), 40u);
}

TEST(WebhookChannelTest, MalformedMessagesAreRefusedBeforeSending) {
  auto server = Serve(200);
  auto channel = MakeChannel(server->Url());
  OutboundMessage injected = Message("r-1\r\nX-Evil: 1");
  EXPECT_EQ(channel->Send(injected).code(), absl::StatusCode::kInvalidArgument);
  OutboundMessage bad_utf8 = Message();
  bad_utf8.body = "bad \xC3";
  EXPECT_EQ(channel->Send(bad_utf8).code(), absl::StatusCode::kInvalidArgument);
  OutboundMessage no_recipient = Message();
  no_recipient.recipient.clear();
  EXPECT_EQ(channel->Send(no_recipient).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(server->requests().empty());
}

TEST(WebhookChannelTest, HttpsReceiverIsVerified) {
  auto dir = tandem::testing::MakeTempDir("webhook-tls");
  ASSERT_TRUE(dir.ok());
  auto cert = testing::MakeSelfSignedCertificate(*dir);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto server =
      TestHttpServer::Start([](const TestHttpServer::Request&) { return TestHttpServer::Response{}; },
                            cert->cert_file, cert->key_file);
  ASSERT_TRUE(server.ok()) << server.status();

  // Not trusted: the handshake fails and nothing is sent.
  const absl::Status untrusted = MakeChannel((*server)->Url())->Send(Message());
  EXPECT_FALSE(untrusted.ok());
  EXPECT_TRUE((*server)->requests().empty());

  // Trusted through the configured CA file.
  EXPECT_TRUE(
      MakeChannel((*server)->Url(), Clock::Real(), absl::Seconds(5), cert->cert_file)->Send(Message()).ok());
  EXPECT_EQ((*server)->requests().size(), 1u);
  server->reset();
  tandem::testing::RemoveTree(*dir);
}

TEST(WebhookChannelTest, CreateValidatesConfiguration) {
  auto create = [](std::string url, std::string secret = kSecret, bool allow_plain_http = false) {
    WebhookChannelOptions options;
    options.url = std::move(url);
    options.secret = std::move(secret);
    options.allow_plain_http = allow_plain_http;
    return WebhookChannel::Create(options).status();
  };
  EXPECT_TRUE(create("https://hooks.example.org/reminders").ok());
  EXPECT_TRUE(create("http://127.0.0.1:8080/hook").ok());
  EXPECT_TRUE(create("http://localhost/hook").ok());
  EXPECT_TRUE(create("http://[::1]:9/hook").ok());
  EXPECT_EQ(create("http://hooks.example.org/hook").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(create("http://hooks.example.org/hook", kSecret, true).ok());
  EXPECT_EQ(create("ftp://hooks.example.org/x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("file:///etc/passwd").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("not a url").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("https://hooks.example.org/x", "short").code(), absl::StatusCode::kInvalidArgument);
  WebhookChannelOptions options;
  options.url = "https://hooks.example.org/x";
  options.secret = kSecret;
  options.timeout = absl::ZeroDuration();
  EXPECT_EQ(WebhookChannel::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::reminders
