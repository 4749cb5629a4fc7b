#include "services/reminders/domain/discretion.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Case {
  std::string text;
  bool denied;
};

class DefaultPolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(DefaultPolicyTest, MatchesWholeWordsIgnoringCase) {
  const Case& c = GetParam();
  EXPECT_EQ(DiscretionPolicy::Default().ContainsDeniedWord(c.text), c.denied) << c.text;
  EXPECT_EQ(DiscretionPolicy::Default().CheckDiscreet(c.text).ok(), !c.denied) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Words, DefaultPolicyTest,
    ::testing::Values(
        // Innocent text, including words that contain a denied word.
        Case{"Your appointment with Dr. Weber on Tue 14 Jul, 18:00", false}, Case{"See you in Essex", false},
        Case{"Sussex Gardens 4", false}, Case{"Middlesex clinic", false}, Case{"sextant and sextet", false},
        Case{"Physiotherapy room", false}, Case{"", false}, Case{"   ", false},
        Case{"Session at the practice", false}, Case{"Riverside Clinic", false}, Case{"mentality", false},
        Case{"anxiously", false},
        // Whole words in any case, next to any separator.
        Case{"sex", true}, Case{"SEX", true}, Case{"Sex.", true}, Case{"sex-positive", true},
        Case{"(sex)", true}, Case{"sex2", true}, Case{"2sex", true}, Case{"Your therapy session", true},
        Case{"THERAPIST", true}, Case{"therapist's office", true}, Case{"Counselling at 5", true},
        Case{"counseling", true}, Case{"Psychiatric unit", true}, Case{"Dr. X, psychologist", true},
        Case{"couples\ttherapy", true}, Case{"line one\nSexual health", true}, Case{"diagnosis:", true},
        Case{"Mental-health day", true}, Case{"depression", true}, Case{"ANXIETY", true},
        Case{"trauma", true}, Case{"ends with therapy", true}, Case{"therapy starts", true},
        // Non-ASCII characters separate words (err on refusing)...
        Case{"sex\xC3\xA9", true}, Case{"\xE2\x80\x94sex\xE2\x80\x94", true},
        Case{"Caf\xC3\xA9 Essex", false},
        // ...and invisible characters cannot split a word.
        Case{"the\xE2\x80\x8Brapy", true},
        Case{"s\xC2\xAD"
             "ex",
             true},
        Case{"se\xE2\x81\xA0x", true}, Case{"\xEF\xBB\xBFtherapy", true}));

TEST(DiscretionPolicyTest, ErrorNamesTheRuleButNeverTheWordOrText) {
  const absl::Status status =
      DiscretionPolicy::Default().CheckDiscreet("Your Sex therapy with Anna", "rendered text");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("rendered text contains a denied word"));
  for (const char* secret : {"sex", "Sex", "therapy", "Anna"}) {
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(secret)));
  }
  EXPECT_TRUE(IsDiscretionViolation(status));
  EXPECT_FALSE(IsDiscretionViolation(absl::FailedPreconditionError("other")));
  EXPECT_FALSE(IsDiscretionViolation(absl::OkStatus()));
}

TEST(DiscretionPolicyTest, CustomListIsCaseInsensitiveAndReplacesTheDefault) {
  auto policy = DiscretionPolicy::Create({"Oncology", "CHEMO"});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->size(), 2u);
  EXPECT_TRUE(policy->ContainsDeniedWord("oncology ward"));
  EXPECT_TRUE(policy->ContainsDeniedWord("Chemo at 9"));
  EXPECT_FALSE(policy->ContainsDeniedWord("therapy"));
}

TEST(DiscretionPolicyTest, RejectsWordsThatCouldNeverMatchWhole) {
  EXPECT_EQ(DiscretionPolicy::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DiscretionPolicy::Create({"ok", ""}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DiscretionPolicy::Create({"self-harm"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DiscretionPolicy::Create({"th\xC3\xA9rapie"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DiscretionPolicy::Create({"two words"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DiscretionPolicyTest, DefaultListIsValidAndCoversTheIssueExamples) {
  ASSERT_TRUE(DiscretionPolicy::Create(DefaultDeniedWords()).ok());
  for (const char* word : {"therapy", "sex", "sexual", "counselling", "psychiatric", "diagnosis"}) {
    EXPECT_TRUE(DiscretionPolicy::Default().ContainsDeniedWord(word)) << word;
  }
}

}  // namespace
}  // namespace tandem::reminders
