// Which configured hosts count as loopback, where the channels allow plaintext (http://, smtp:// without
// STARTTLS): the address is parsed, never matched by prefix.
#include "services/reminders/channels/curl_support.h"

#include <string>

#include "gtest/gtest.h"
#include "services/reminders/channels/webhook_channel.h"

namespace tandem::reminders {
namespace {

struct HostCase {
  std::string host;
  bool loopback;
};

class LoopbackHostTest : public ::testing::TestWithParam<HostCase> {};

TEST_P(LoopbackHostTest, ParsesTheAddress) {
  EXPECT_EQ(curl::IsLoopbackHost(GetParam().host), GetParam().loopback) << GetParam().host;
}

INSTANTIATE_TEST_SUITE_P(
    Hosts, LoopbackHostTest,
    ::testing::Values(
        // DNS names that look like loopback addresses resolve wherever their owner points them.
        HostCase{"127.evil.example", false}, HostCase{"127.0.0.1.evil.example", false},
        HostCase{"127.", false}, HostCase{"127.0.0.1.", false}, HostCase{"localhost.evil.example", false},
        // Shorthand forms are refused rather than guessed at.
        HostCase{"127.1", false}, HostCase{"2130706433", false}, HostCase{"0x7f.0.0.1", false},
        HostCase{"127.0.0.256", false},
        // Loopback addresses, IPv4 127.0.0.0/8 and IPv6 ::1 (bare, bracketed, IPv4-mapped).
        HostCase{"127.0.0.1", true}, HostCase{"127.255.0.9", true}, HostCase{"::1", true},
        HostCase{"[::1]", true}, HostCase{"[0:0:0:0:0:0:0:1]", true}, HostCase{"[::ffff:127.0.0.1]", true},
        // libcurl resolves localhost itself, without DNS.
        HostCase{"localhost", true}, HostCase{"LocalHost", true},
        // Not loopback.
        HostCase{"128.0.0.1", false}, HostCase{"10.0.0.1", false}, HostCase{"[::2]", false},
        HostCase{"[::ffff:10.0.0.1]", false}, HostCase{"[::1", false}, HostCase{"::1]", false},
        HostCase{"", false}, HostCase{"example.org", false}));

TEST(LoopbackHostTest, PlainHttpWebhookToALookalikeNameIsRefused) {
  WebhookChannelOptions options;
  options.secret = "whsec_0123456789abcdef";
  options.url = "http://127.evil.example/hook";
  EXPECT_EQ(WebhookChannel::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.url = "http://127.0.0.1:8080/hook";
  EXPECT_TRUE(WebhookChannel::Create(options).ok());
  options.url = "http://[::1]:8080/hook";
  EXPECT_TRUE(WebhookChannel::Create(options).ok());
}

}  // namespace
}  // namespace tandem::reminders
