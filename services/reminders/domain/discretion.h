#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/reminders/domain/discretion_terms.h"
#include "services/reminders/domain/text_normalizer.h"

namespace tandem::reminders {

// The terms a discreet reminder must never contain. A reminder lands on a lock screen, in a shared inbox or
// on a family phone; a word naming the kind of care, the specialty or a condition would tell whoever reads it
// that the recipient is in therapy (and, for sex-therapy clients, what kind). The built-in lists are in
// services/reminders/data/discretion/, one per language, with the reasons for what is and is not on them.
//
// Text and terms are compared in the form TextNormalizer reduces them to (case, width, accents and look-alike
// letters do not matter; invisible characters join rather than split), word by word with Unicode word
// boundaries: a `word` term matches a whole word ("Essex" passes "sex"), a `stem` term any word containing it
// ("Sexualtherapie" fails "therap"). Immutable and thread-safe.
class DiscretionPolicy {
 public:
  // Builds a policy from `terms` in any language. INVALID_ARGUMENT for an empty list, or an entry that is not
  // valid UTF-8 or is not exactly one word once reduced (it could never match), or a stem shorter than three
  // characters (it would refuse ordinary words); INTERNAL when ICU cannot be loaded.
  static absl::StatusOr<DiscretionPolicy> Create(const std::vector<DiscretionTerm>& terms);

  // The policy over DefaultTerms() (every shipped list).
  static const DiscretionPolicy& Default();

  // OK when `text` holds no denied term; otherwise FAILED_PRECONDITION "<what> contains a denied word
  // (discretion rule)" carrying the discretion marker (IsDiscretionViolation). The message never quotes the
  // word or the text: either could reveal the recipient's care.
  absl::Status CheckDiscreet(absl::string_view text, absl::string_view what = "text") const;

  // True when a word of `text` is a denied word or contains a denied stem. Text that is not valid UTF-8
  // counts as denied: what a receiver would display cannot be known.
  bool ContainsDeniedWord(absl::string_view text) const;

  // Distinct terms after reduction.
  size_t size() const { return words_.size() + stems_.size(); }

 private:
  DiscretionPolicy(const TextNormalizer& normalizer, absl::flat_hash_set<std::string> words,
                   std::vector<std::string> stems)
      : normalizer_(&normalizer), words_(std::move(words)), stems_(std::move(stems)) {}

  const TextNormalizer* normalizer_;
  absl::flat_hash_set<std::string> words_;  // reduced
  std::vector<std::string> stems_;          // reduced
};

// True for a status produced by CheckDiscreet, so a dispatcher can dead-letter with reason "discretion"
// without matching on message text.
bool IsDiscretionViolation(const absl::Status& status);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_H_
