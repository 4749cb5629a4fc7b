#include "services/reminders/domain/discretion.h"

#include <atomic>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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

// Failures name the text (the test's own made-up strings), not the bytes of the struct.
void PrintTo(const Case& c, std::ostream* os) { *os << '"' << c.text << "\" denied=" << c.denied; }

class DefaultPolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(DefaultPolicyTest, MatchesReducedWordsAndStems) {
  const Case& c = GetParam();
  EXPECT_EQ(DiscretionPolicy::Default().ContainsDeniedWord(c.text), c.denied) << c.text;
  EXPECT_EQ(DiscretionPolicy::Default().CheckDiscreet(c.text).ok(), !c.denied) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Words, DefaultPolicyTest,
    ::testing::Values(
        // Innocent text, including words that contain a denied whole word, and everyday words in each
        // language whose reduced form comes close to a term.
        Case{"Your appointment with Dr. Weber on Tue 14 Jul, 18:00", false}, Case{"See you in Essex", false},
        Case{"Sussex Gardens 4", false}, Case{"Middlesex clinic", false}, Case{"sextant and sextet", false},
        Case{"", false}, Case{"   ", false}, Case{"Session at the practice", false},
        Case{"Riverside Clinic", false}, Case{"mentality", false}, Case{"fundamental", false},
        Case{"anxiously", false}, Case{"modern", false}, Case{"Modern Times", false},
        Case{"Pompous Pomeranian", false},  // skeleton "rn" for "m": "porn" is a whole word only
        Case{"Caf\xC3\xA9 Essex", false}, Case{"sex2", false}, Case{"2sex", false},
        Case{"Termin am Dienstag um 18 Uhr in der Praxis am Park", false},
        Case{"Wir haben Sie besucht", false},  // "sucht" is a whole word only
        Case{"Ihr Traumauto", false},          // "trauma" is a whole word only
        Case{"Steuerberatung und Netzst\xC3\xB6rung", false}, Case{"entscheiden", false},
        Case{"Sextett", false}, Case{"Rendez-vous mardi \xC3\xA0 18h au cabinet", false},
        Case{"Cita el martes en el sexto piso", false}, Case{"Disculpe los trastornos", false},
        Case{"Thermalbad", false}, Case{"analysis", false},
        // Whole words in any case, next to any separator.
        Case{"sex", true}, Case{"SEX", true}, Case{"Sex.", true}, Case{"sex-positive", true},
        Case{"(sex)", true}, Case{"Your therapy session", true}, Case{"THERAPIST", true},
        Case{"therapist's office", true}, Case{"Counselling at 5", true}, Case{"counseling", true},
        Case{"Psychiatric unit", true}, Case{"Dr. X, psychologist", true}, Case{"couples\ttherapy", true},
        Case{"line one\nSexual health", true}, Case{"diagnosis:", true}, Case{"Mental-health day", true},
        Case{"depression", true}, Case{"ANXIETY", true}, Case{"trauma", true},
        Case{"ends with therapy", true}, Case{"therapy starts", true}, Case{"sex|", true},
        // Stems inside compounds, and other languages.
        Case{"Sexualtherapie", true}, Case{"Paartherapie am Dienstag", true},
        Case{"Physiotherapy room", true}, Case{"Sexualit\xC3\xA4t", true}, Case{"Angstst\xC3\xB6rung", true},
        Case{"ANGSTST\xC3\x96RUNG", true}, Case{"Suizidgefahr", true}, Case{"psicoterapia", true},
        Case{"Depresi\xC3\xB3n", true}, Case{"sex\xC3\xB3logo", true}, Case{"sexe", true},
        Case{"psychoth\xC3\xA9rapeute", true},
        // Accents, precomposed and combining.
        Case{"th\xC3\xA9rapie", true}, Case{"Th\xC3\xA9rapeute", true}, Case{"the\xCC\x81rapie", true},
        Case{"s\xC3\xA9x", true}, Case{"sex\xC3\xA9", true},
        // Homoglyphs: Cyrillic, Greek, digits for letters.
        Case{"s\xD0\xB5x", true},                    // Cyrillic е
        Case{"\xD1\x95\xD0\xB5\xD1\x85", true},      // Cyrillic ѕ е х
        Case{"\xD1\x82\xD0\xB5rapy", true},          // Cyrillic т е
        Case{"\xD0\xA2HERAPY", true},                // Cyrillic Т
        Case{"\xD0\xA2\xD0\x9D\xD0\x95RAPY", true},  // Cyrillic Т Н Е
        Case{"p\xCE\xBFrn", true},                   // Greek ο
        Case{"p0rn", true},
        Case{"\xE2\x84\xAE"
             "x",
             false},                   // "℮x" alone is no word on the list...
        Case{"s\xE2\x84\xAEx", true},  // ...but "s℮x" reads as "sex"
        // Full-width, mathematical and enclosed letters.
        Case{"\xEF\xBC\xB3\xEF\xBC\xA5\xEF\xBC\xB8", true},  // ＳＥＸ
        Case{"\xEF\xBD\x94\xEF\xBD\x88\xEF\xBD\x85\xEF\xBD\x92\xEF\xBD\x81\xEF\xBD\x90\xEF\xBD\x99", true},
        Case{"\xF0\x9D\x90\xAC\xF0\x9D\x90\x9E\xF0\x9D\x90\xB1", true},  // 𝐬𝐞𝐱
        Case{"\xE2\x93\xA2\xE2\x93\x94\xE2\x93\xA7", true},              // ⓢⓔⓧ
        // Mixed case.
        Case{"ThErApY", true}, Case{"sEx", true}, Case{"SexualTherapie", true},
        // Invisible characters cannot split a word.
        Case{"the\xE2\x80\x8Brapy", true}, Case{"se\xE2\x80\x8Dx", true},
        Case{"s\xC2\xAD"
             "ex",
             true},
        Case{"Psycho\xC2\xADtherapie", true}, Case{"se\xE2\x81\xA0x", true},
        Case{"\xEF\xBB\xBFtherapy", true}, Case{"s\xE2\x80\x8C\xC3\xA9\xE2\x80\x8Dx", true},
        // Text a receiver might show differently is refused.
        Case{"caf\xC3", true}));

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

TEST(DiscretionPolicyTest, CustomListReplacesTheDefaultAndAcceptsAnyLanguage) {
  auto policy = DiscretionPolicy::Create({{"Oncology", TermMatch::kWord},
                                          {"CHEMO", TermMatch::kStem},
                                          {"Psychoth\xC3\xA9rapie", TermMatch::kWord},
                                          {"\xD1\x82\xD0\xB5\xD1\x80\xD0\xB0\xD0\xBF", TermMatch::kStem}});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->size(), 4u);
  EXPECT_TRUE(policy->ContainsDeniedWord("oncology ward"));
  EXPECT_TRUE(policy->ContainsDeniedWord("Chemotherapy at 9"));
  EXPECT_TRUE(policy->ContainsDeniedWord("PSYCHOTHERAPIE"));
  EXPECT_TRUE(policy->ContainsDeniedWord("psychoth\xC3\xA9rapie"));
  // Russian "терап" inside "психотерапия", and written with Latin look-alikes.
  EXPECT_TRUE(policy->ContainsDeniedWord(
      "\xD0\xBF\xD1\x81\xD0\xB8\xD1\x85\xD0\xBE\xD1\x82\xD0\xB5\xD1\x80\xD0\xB0\xD0\xBF\xD0\xB8\xD1\x8F"));
  EXPECT_FALSE(policy->ContainsDeniedWord("therapy"));  // not on this list
  EXPECT_FALSE(policy->ContainsDeniedWord("sex"));
}

TEST(DiscretionPolicyTest, RejectsEntriesThatCouldNeverMatchOrWouldMatchEverything) {
  auto create = [](std::string text, TermMatch match = TermMatch::kWord) {
    return DiscretionPolicy::Create({{std::move(text), match}}).status().code();
  };
  EXPECT_EQ(DiscretionPolicy::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create(""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("self-harm"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("two words"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("\xE2\x80\x8B"), absl::StatusCode::kInvalidArgument);  // nothing visible
  EXPECT_EQ(create("th\xC3"), absl::StatusCode::kInvalidArgument);        // not UTF-8
  EXPECT_EQ(create("ab", TermMatch::kStem), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create("th\xC3\xA9rapie"), absl::StatusCode::kOk);
  EXPECT_EQ(create("ab"), absl::StatusCode::kOk);  // a short whole word is fine
}

TEST(DiscretionTermsTest, ParsesMarkersCommentsAndPlainWords) {
  auto terms = ParseTermList("# comment\n\nword:sex\n  stem:therap  \nlibido\n", "test");
  ASSERT_TRUE(terms.ok()) << terms.status();
  ASSERT_EQ(terms->size(), 3u);
  EXPECT_EQ((*terms)[0].text, "sex");
  EXPECT_EQ((*terms)[0].match, TermMatch::kWord);
  EXPECT_EQ((*terms)[1].text, "therap");
  EXPECT_EQ((*terms)[1].match, TermMatch::kStem);
  EXPECT_EQ((*terms)[2].match, TermMatch::kWord);
  auto bad = ParseTermList("word:sex\nphrase:x\n", "list.txt");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("list.txt line 2"));
  EXPECT_EQ(ParseTermList("stem:\n", "t").status().code(), absl::StatusCode::kInvalidArgument);
}

// Every shipped list is valid on its own, holds dozens of terms, and each of its terms is refused by the
// built-in policy: as written for a word, inside a compound for a stem.
TEST(DiscretionTermsTest, ShippedListsAreValidAndEveryTermIsRefused) {
  const auto& lists = EmbeddedDiscretionLists();
  ASSERT_EQ(lists.size(), 4u);
  for (const auto& [name, text] : lists) {
    auto terms = ParseTermList(absl::string_view(text.data(), text.size()), std::string(name));
    ASSERT_TRUE(terms.ok()) << terms.status();
    EXPECT_GE(terms->size(), 40u) << name;
    ASSERT_TRUE(DiscretionPolicy::Create(*terms).ok()) << name;
    for (const DiscretionTerm& term : *terms) {
      const std::string text_with_term =
          term.match == TermMatch::kStem ? absl::StrCat("Zu", term.text, "zeit") : term.text;
      EXPECT_TRUE(DiscretionPolicy::Default().ContainsDeniedWord(text_with_term))
          << name << ": " << term.text;
    }
  }
  auto all = DefaultTerms();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(DiscretionPolicy::Default().size(), DiscretionPolicy::Create(*all)->size());
}

// The policy is shared by every dispatcher thread and every RPC.
TEST(DiscretionPolicyTest, IsSafeToUseFromManyThreads) {
  const DiscretionPolicy& policy = DiscretionPolicy::Default();
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        wrong += !policy.ContainsDeniedWord("Sexualth\xC3\xA9rapie mit \xD1\x95\xD0\xB5x");
        wrong += policy.ContainsDeniedWord("Termin in Essex, Caf\xC3\xA9 Modern");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace tandem::reminders
