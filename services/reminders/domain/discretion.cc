#include "services/reminders/domain/discretion.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace tandem::reminders {
namespace {

constexpr char kDiscretionPayloadUrl[] = "type.tandem.dev/tandem.reminders.DiscretionViolation";

// Byte sequences (UTF-8) of characters that render as nothing: U+00AD soft hyphen, U+034F combining grapheme
// joiner, U+180E, U+200B..U+200F zero-width space/joiners and direction marks, U+2060..U+2064 word joiner and
// invisible operators, U+FEFF byte-order mark.
bool InvisibleAt(absl::string_view text, size_t i, size_t* length) {
  auto starts = [&](absl::string_view prefix) { return text.substr(i, prefix.size()) == prefix; };
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (starts("\xC2\xAD") || starts("\xCD\x8F")) {
    *length = 2;
    return true;
  }
  if (starts("\xE1\xA0\x8E") || starts("\xEF\xBB\xBF")) {
    *length = 3;
    return true;
  }
  if (i + 2 < text.size() && byte(0) == 0xE2 &&
      ((byte(1) == 0x80 && byte(2) >= 0x8B && byte(2) <= 0x8F) ||
       (byte(1) == 0x81 && byte(2) >= 0xA0 && byte(2) <= 0xA4))) {
    *length = 3;
    return true;
  }
  return false;
}

}  // namespace

// Why these words. The list names (1) the kind of care and who gives it (therapy, counselling, psychiatry,
// psychology, in British and American spellings and common inflections), (2) the specialty that most needs
// hiding (sex, sexual, sexology, intimacy), and (3) diagnoses and conditions a clinic in these fields treats,
// including the abbreviations people recognise (ptsd, ocd, adhd). A reminder needs none of them: "Your
// appointment with Dr. Weber on Tue 14 Jul, 18:00" says all it must.
//
// Deliberately absent: "clinic", "practice", "appointment", "session", "doctor", "health" and "care". They
// are ordinary words for any appointment (dentist, physiotherapy, hairdresser), they appear in most clinics'
// names, and denying them would push operators to switch the check off. Words that are mostly innocent but
// sometimes clinical ("intimate", "couples", "medication") are a judgment call; operators in a specialised
// practice extend the list through configuration, and deployments in other languages supply their own.
const std::vector<std::string>& DefaultDeniedWords() {
  static const auto* const kWords = new std::vector<std::string>{
      // The kind of care and the professions.
      "therapy", "therapies", "therapist", "therapists", "therapeutic", "psychotherapy", "psychotherapist",
      "psychotherapists", "psychotherapeutic", "counselling", "counseling", "counsellor", "counselor",
      "counsellors", "counselors", "psychiatry", "psychiatric", "psychiatrist", "psychiatrists", "psychology",
      "psychological", "psychologist", "psychologists", "psychoanalysis", "psychoanalyst", "psych",
      // The specialty that most needs hiding.
      "sex", "sexual", "sexually", "sexuality", "sexology", "sexologist", "sexologists", "intimacy", "libido",
      "erectile", "impotence", "vaginismus", "orgasm", "orgasmic", "porn", "pornography", "paraphilia",
      "kink", "fetish",
      // Diagnoses and conditions.
      "diagnosis", "diagnoses", "diagnosed", "disorder", "disorders", "mental", "depression", "depressive",
      "anxiety", "trauma", "traumatic", "ptsd", "ocd", "adhd", "bipolar", "schizophrenia", "psychosis",
      "psychotic", "suicide", "suicidal", "selfharm", "addiction", "addicted", "alcoholism", "abuse",
      "anorexia", "bulimia", "dysfunction", "infertility", "rehab", "crisis"};
  return *kWords;
}

absl::StatusOr<DiscretionPolicy> DiscretionPolicy::Create(const std::vector<std::string>& words) {
  if (words.empty()) return absl::InvalidArgumentError("discretion deny-list must not be empty");
  absl::flat_hash_set<std::string> lowered;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("discretion deny-list entry ", i, " is empty"));
    }
    for (char c : word) {
      if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "discretion deny-list entry ", i, " must be ASCII letters only (words are matched whole)"));
      }
    }
    lowered.insert(absl::AsciiStrToLower(word));
  }
  return DiscretionPolicy(std::move(lowered));
}

const DiscretionPolicy& DiscretionPolicy::Default() {
  static const auto* const kDefault = new DiscretionPolicy(*Create(DefaultDeniedWords()));
  return *kDefault;
}

bool DiscretionPolicy::ContainsDeniedWord(absl::string_view text) const {
  std::string word;
  auto denied = [&] {
    bool hit = !word.empty() && words_.contains(word);
    word.clear();
    return hit;
  };
  for (size_t i = 0; i < text.size();) {
    size_t invisible = 0;
    if (InvisibleAt(text, i, &invisible)) {
      i += invisible;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (absl::ascii_isalpha(c)) {
      word.push_back(absl::ascii_tolower(c));
    } else if (denied()) {
      return true;
    }
    ++i;
  }
  return denied();
}

absl::Status DiscretionPolicy::CheckDiscreet(absl::string_view text, absl::string_view what) const {
  if (!ContainsDeniedWord(text)) return absl::OkStatus();
  absl::Status status =
      absl::FailedPreconditionError(absl::StrCat(what, " contains a denied word (discretion rule)"));
  status.SetPayload(kDiscretionPayloadUrl, absl::Cord("discretion"));
  return status;
}

bool IsDiscretionViolation(const absl::Status& status) {
  return status.GetPayload(kDiscretionPayloadUrl).has_value();
}

}  // namespace tandem::reminders
