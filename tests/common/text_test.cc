#include <optional>
#include <string>

#include "common/text/contact_address.h"
#include "common/text/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::text {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xC5\x81ukasiewicz"));  // Ł
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));        // €
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));    // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));    // U+10FFFF
}

TEST(Utf8Test, RefusesMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // cut short
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC3\x28"));          // lead without continuation
}

TEST(Utf8Test, SequenceLengthFollowsTheLeadByte) {
  EXPECT_EQ(Utf8SequenceLength('a'), 1u);
  EXPECT_EQ(Utf8SequenceLength(0xC5), 2u);
  EXPECT_EQ(Utf8SequenceLength(0xE2), 3u);
  EXPECT_EQ(Utf8SequenceLength(0xF0), 4u);
  EXPECT_EQ(Utf8SequenceLength(0x80), 0u);
  EXPECT_EQ(Utf8SequenceLength(0xC1), 0u);
  EXPECT_EQ(Utf8SequenceLength(0xF5), 0u);
}

TEST(Utf8Test, CountsCodePointsNotBytes) {
  EXPECT_EQ(CountCodePoints(""), 0u);
  EXPECT_EQ(CountCodePoints("abc"), 3u);
  EXPECT_EQ(CountCodePoints("\xC5\x81"
                            "ada"),
            4u);
  EXPECT_EQ(CountCodePoints("\xE2\x82\xAC\xF0\x9F\x98\x80"), 2u);
}

TEST(Utf8Test, FindsControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("Ada Lovelace \xC5\x81"));
  EXPECT_TRUE(HasControlCharacters("Ada\nEvil"));
  EXPECT_TRUE(HasControlCharacters(std::string("a\0b", 3)));
  EXPECT_TRUE(HasControlCharacters("del\x7F"));
  EXPECT_FALSE(HasControlCharacters("line\nline\ttab", "\t\n"));
  EXPECT_TRUE(HasControlCharacters("line\r\n", "\n"));
}

TEST(Utf8Test, FindsC1ControlCharacters) {
  EXPECT_TRUE(HasC1ControlCharacters("Ada\xC2\x85"));  // NEL
  EXPECT_TRUE(HasC1ControlCharacters("\xC2\x80"));
  EXPECT_TRUE(HasC1ControlCharacters("\xC2\x9F"));
  EXPECT_FALSE(HasC1ControlCharacters("\xC2\xA0"));  // no-break space
  EXPECT_FALSE(HasC1ControlCharacters("\xC5\x81"));
  EXPECT_FALSE(HasC1ControlCharacters("\xC2"));
  EXPECT_FALSE(HasC1ControlCharacters("Ada\n"));  // C0 is HasControlCharacters' part
}

struct EmailCase {
  std::string address;
  bool valid;
};

class EmailAddressTest : public ::testing::TestWithParam<EmailCase> {};

TEST_P(EmailAddressTest, FollowsTheRfc5321Subset) {
  const EmailCase& c = GetParam();
  const std::optional<std::string> problem = EmailAddressProblem(c.address);
  EXPECT_EQ(!problem.has_value(), c.valid) << "'" << c.address << "': " << problem.value_or("ok");
  if (problem.has_value() && c.address.size() > 3) {
    EXPECT_THAT(*problem, Not(HasSubstr(c.address)));
  }
}

const std::string kLocal64(64, 'a');
const std::string kLabel63(63, 'b');

INSTANTIATE_TEST_SUITE_P(
    Addresses, EmailAddressTest,
    ::testing::Values(EmailCase{"sam@example.org", true},
                      EmailCase{"Sam.Lee+reminders@mail.example.co.uk", true},
                      EmailCase{"o'brien@example.ie", true}, EmailCase{"x@xn--bcher-kva.example", true},
                      EmailCase{kLocal64 + "@example.org", true},
                      EmailCase{kLocal64 + "a@example.org", false}, EmailCase{"a@" + kLabel63 + ".org", true},
                      EmailCase{"a@" + kLabel63 + "b.org", false}, EmailCase{"", false},
                      EmailCase{"sam", false}, EmailCase{"sam@localhost", false},
                      EmailCase{"a@b@example.org", false}, EmailCase{"sam lee@example.org", false},
                      EmailCase{"sam@example.org\r\nBcc: x@evil.example", false},
                      // Shapes a looser "something@something.something" check lets through.
                      EmailCase{"\"sam\"@example.org", false}, EmailCase{"<sam@example.org>", false},
                      EmailCase{"s..am@example.org", false}, EmailCase{".sam@example.org", false},
                      EmailCase{"sam@example.o", false}, EmailCase{"sam@example.123", false},
                      EmailCase{"sam@-example.org", false}, EmailCase{"sam@under_score.org", false},
                      EmailCase{"sam@[127.0.0.1]", false}, EmailCase{"s\xC3\xA1m@example.org", false}));

TEST(E164Test, AcceptsOnlyPlusAndSevenToFifteenDigits) {
  EXPECT_TRUE(IsE164PhoneNumber("+4915112345678"));
  EXPECT_TRUE(IsE164PhoneNumber("+1234567"));
  EXPECT_TRUE(IsE164PhoneNumber("+123456789012345"));
  EXPECT_FALSE(IsE164PhoneNumber("+123456"));
  EXPECT_FALSE(IsE164PhoneNumber("+1234567890123456"));
  EXPECT_FALSE(IsE164PhoneNumber("+0151123456"));
  EXPECT_FALSE(IsE164PhoneNumber("015112345678"));
  EXPECT_FALSE(IsE164PhoneNumber("+49 151 1234"));
  EXPECT_FALSE(IsE164PhoneNumber("+"));
  EXPECT_FALSE(IsE164PhoneNumber(""));
}

TEST(E164Test, ProblemOnlyWhenInvalid) {
  EXPECT_EQ(E164Problem("+4915112345678"), std::nullopt);
  const std::optional<std::string> problem = E164Problem("+49151x");
  ASSERT_TRUE(problem.has_value());
  EXPECT_THAT(*problem, HasSubstr("E.164"));
  EXPECT_THAT(*problem, Not(HasSubstr("+49151x")));
}

}  // namespace
}  // namespace tandem::text
