#include "services/reminders/domain/address.h"

#include <string>

#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Case {
  ChannelKind kind;
  std::string address;
  bool valid;
};

class AddressTest : public ::testing::TestWithParam<Case> {};

TEST_P(AddressTest, Validates) {
  const Case& c = GetParam();
  const absl::optional<std::string> problem = AddressProblem(c.kind, c.address);
  EXPECT_EQ(!problem.has_value(), c.valid)
      << ChannelKindName(c.kind) << " '" << c.address << "': " << problem.value_or("ok");
  const absl::Status status = ValidateAddress(c.kind, c.address, "recipient.address");
  EXPECT_EQ(status.ok(), c.valid);
  if (!c.valid) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    auto violations = GetFieldViolations(status);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field(), "recipient.address");
    if (c.address.size() > 3) {
      EXPECT_THAT(std::string(status.message()), Not(HasSubstr(c.address)));
      EXPECT_THAT(violations[0].description(), Not(HasSubstr(c.address)));
    }
  }
}

const std::string kLocal64(64, 'a');
const std::string kLabel63(63, 'b');

INSTANTIATE_TEST_SUITE_P(
    Email, AddressTest,
    ::testing::Values(Case{ChannelKind::kEmail, "sam@example.org", true},
                      Case{ChannelKind::kEmail, "Sam.Lee+reminders@mail.example.co.uk", true},
                      Case{ChannelKind::kEmail, "o'brien@example.ie", true},
                      Case{ChannelKind::kEmail, "x@xn--bcher-kva.example", true},
                      Case{ChannelKind::kEmail, "x@example.xn--p1ai", true},
                      Case{ChannelKind::kEmail, kLocal64 + "@example.org", true},
                      Case{ChannelKind::kEmail, kLocal64 + "a@example.org", false},
                      Case{ChannelKind::kEmail, "a@" + kLabel63 + ".org", true},
                      Case{ChannelKind::kEmail, "a@" + kLabel63 + "b.org", false},
                      Case{ChannelKind::kEmail,
                           "a@" + kLabel63 + "." + kLabel63 + "." + kLabel63 + "." + kLabel63 + ".org",
                           false},
                      Case{ChannelKind::kEmail, "", false}, Case{ChannelKind::kEmail, "sam", false},
                      Case{ChannelKind::kEmail, "sam@", false},
                      Case{ChannelKind::kEmail, "@example.org", false},
                      Case{ChannelKind::kEmail, "sam@localhost", false},
                      Case{ChannelKind::kEmail, "sam@@example.org", false},
                      Case{ChannelKind::kEmail, "a@b@example.org", false},
                      Case{ChannelKind::kEmail, ".sam@example.org", false},
                      Case{ChannelKind::kEmail, "sam.@example.org", false},
                      Case{ChannelKind::kEmail, "s..am@example.org", false},
                      Case{ChannelKind::kEmail, "sam lee@example.org", false},
                      Case{ChannelKind::kEmail, "\"sam\"@example.org", false},
                      Case{ChannelKind::kEmail, "sam@example.org\r\nBcc: x@evil.example", false},
                      Case{ChannelKind::kEmail, "sam@[127.0.0.1]", false},
                      Case{ChannelKind::kEmail, "sam@-example.org", false},
                      Case{ChannelKind::kEmail, "sam@example-.org", false},
                      Case{ChannelKind::kEmail, "sam@example..org", false},
                      Case{ChannelKind::kEmail, "sam@example.o", false},
                      Case{ChannelKind::kEmail, "sam@example.123", false},
                      Case{ChannelKind::kEmail, "s\xC3\xA1m@example.org", false},
                      Case{ChannelKind::kEmail, "<sam@example.org>", false}));

INSTANTIATE_TEST_SUITE_P(Webhook, AddressTest,
                         ::testing::Values(Case{ChannelKind::kWebhook, "+4915112345678", true},
                                           Case{ChannelKind::kWebhook, "+12125550123", true},
                                           Case{ChannelKind::kWebhook, "+1234567", true},
                                           Case{ChannelKind::kWebhook, "+123456", false},
                                           Case{ChannelKind::kWebhook, "+1234567890123456", false},
                                           Case{ChannelKind::kWebhook, "+0123456789", false},
                                           Case{ChannelKind::kWebhook, "+49 151 1234", false},
                                           Case{ChannelKind::kWebhook, "client-0192f1c2-7a6b", true},
                                           Case{ChannelKind::kWebhook, "@sam_lee", true},
                                           Case{ChannelKind::kWebhook, "fcm:dXNlcl90b2tlbg-_AbC.123", true},
                                           Case{ChannelKind::kWebhook, std::string(256, 'a'), true},
                                           Case{ChannelKind::kWebhook, std::string(257, 'a'), false},
                                           Case{ChannelKind::kWebhook, "", false},
                                           Case{ChannelKind::kWebhook, "-dash-first", false},
                                           Case{ChannelKind::kWebhook, "has space", false},
                                           Case{ChannelKind::kWebhook, "a/b", false},
                                           Case{ChannelKind::kWebhook, "{\"json\":1}", false},
                                           Case{ChannelKind::kWebhook, "line\nbreak", false}));

INSTANTIATE_TEST_SUITE_P(Log, AddressTest,
                         ::testing::Values(Case{ChannelKind::kLog, "anything at all, even spaces", true},
                                           Case{ChannelKind::kLog, "x", true},
                                           Case{ChannelKind::kLog, "", false},
                                           Case{ChannelKind::kLog, std::string(1025, 'x'), false}));

TEST(AddressShapeTest, ClassifiesWithoutRevealing) {
  EXPECT_EQ(AddressShape("sam@example.org"), "email");
  EXPECT_EQ(AddressShape("+4915112345678"), "phone");
  EXPECT_EQ(AddressShape("client-42"), "id");
  EXPECT_EQ(AddressShape(""), "id");
}

TEST(ChannelKindTest, NamesRoundTrip) {
  for (ChannelKind kind : {ChannelKind::kWebhook, ChannelKind::kEmail, ChannelKind::kLog}) {
    auto parsed = ParseChannelKind(ChannelKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(ParseChannelKind("sms").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseChannelKind("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::reminders
