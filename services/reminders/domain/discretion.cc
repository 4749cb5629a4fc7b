#include "services/reminders/domain/discretion.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"

namespace tandem::reminders {
namespace {

constexpr char kDiscretionPayloadUrl[] = "type.tandem.dev/tandem.reminders.DiscretionViolation";

constexpr size_t kMinStemCharacters = 3;

}  // namespace

absl::StatusOr<DiscretionPolicy> DiscretionPolicy::Create(const std::vector<DiscretionTerm>& terms) {
  if (terms.empty()) return absl::InvalidArgumentError("discretion deny-list must not be empty");
  ASSIGN_OR_RETURN(const TextNormalizer* normalizer, TextNormalizer::Get());
  absl::flat_hash_set<std::string> words;
  absl::flat_hash_set<std::string> stems;
  for (size_t i = 0; i < terms.size(); ++i) {
    const DiscretionTerm& term = terms[i];
    if (term.text.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("discretion deny-list entry ", i, " is empty"));
    }
    if (!text::IsValidUtf8(term.text)) {
      return absl::InvalidArgumentError(absl::StrCat("discretion deny-list entry ", i, " is not UTF-8"));
    }
    // Both splits of a single word yield that word once each.
    const std::vector<std::string> reduced = normalizer->Words(term.text);
    if (reduced.empty() || std::any_of(reduced.begin(), reduced.end(),
                                       [&](const std::string& w) { return w != reduced.front(); })) {
      return absl::InvalidArgumentError(absl::StrCat(
          "discretion deny-list entry ", i, " must be exactly one word (letters or digits of any script)"));
    }
    if (term.match == TermMatch::kStem) {
      if (text::CountCodePoints(reduced.front()) < kMinStemCharacters) {
        return absl::InvalidArgumentError(absl::StrCat("discretion deny-list entry ", i,
                                                       " is a stem shorter than ", kMinStemCharacters,
                                                       " characters (it would refuse ordinary words)"));
      }
      stems.insert(reduced.front());
    } else {
      words.insert(reduced.front());
    }
  }
  return DiscretionPolicy(*normalizer, std::move(words),
                          std::vector<std::string>(stems.begin(), stems.end()));
}

const DiscretionPolicy& DiscretionPolicy::Default() {
  static const auto* const kDefault = [] {
    absl::StatusOr<std::vector<DiscretionTerm>> terms = DefaultTerms();
    absl::StatusOr<DiscretionPolicy> policy =
        terms.ok() ? Create(*terms) : absl::StatusOr<DiscretionPolicy>(terms.status());
    if (!policy.ok()) {
      // Only a broken build (a shipped list that does not parse) or missing ICU data gets here; sending
      // unchecked reminders instead is not an option.
      std::fprintf(stderr, "discretion: the built-in policy cannot be built: %s\n",
                   std::string(policy.status().message()).c_str());
      std::abort();
    }
    return new DiscretionPolicy(*std::move(policy));
  }();
  return *kDefault;
}

bool DiscretionPolicy::ContainsDeniedWord(absl::string_view text) const {
  if (!text::IsValidUtf8(text)) return true;
  for (const std::string& word : normalizer_->Words(text)) {
    if (words_.contains(word)) return true;
    for (const std::string& stem : stems_) {
      if (absl::StrContains(word, stem)) return true;
    }
  }
  return false;
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
