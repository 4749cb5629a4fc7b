#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::reminders {

// The words a discreet reminder must never contain. A reminder lands on a lock screen, in a shared inbox or
// on a family phone; a word naming the kind of care, the specialty or a condition would tell whoever reads it
// that the recipient is in therapy (and, for sex-therapy clients, what kind). See discretion.cc for why each
// group of words is on the list and why some near misses ("clinic", "session") are not.
const std::vector<std::string>& DefaultDeniedWords();

// A deny-list matched as whole words, ignoring ASCII case. A word is a maximal run of ASCII letters; every
// other character (digits, punctuation, '-', '\'', spaces and any non-ASCII character) separates words, so
// "Essex" and "Sussex" pass while "SEX", "Sex." and "sex-positive" fail. Treating non-ASCII characters as
// separators errs towards refusing ("sexé" fails); invisible formatting characters (zero-width spaces and
// joiners, soft hyphens, BOM) are dropped before matching so they cannot split a denied word. Immutable and
// thread-safe.
class DiscretionPolicy {
 public:
  // Builds a policy from `words`, each ASCII letters only (case is ignored). INVALID_ARGUMENT for an empty
  // list, an empty word or a word with other characters (it could never match a whole word).
  static absl::StatusOr<DiscretionPolicy> Create(const std::vector<std::string>& words);

  // The policy over DefaultDeniedWords().
  static const DiscretionPolicy& Default();

  // OK when `text` holds no denied word; otherwise FAILED_PRECONDITION "<what> contains a denied word
  // (discretion rule)" carrying the discretion marker (IsDiscretionViolation). The message never quotes the
  // word or the text: either could reveal the recipient's care.
  absl::Status CheckDiscreet(absl::string_view text, absl::string_view what = "text") const;

  bool ContainsDeniedWord(absl::string_view text) const;

  size_t size() const { return words_.size(); }

 private:
  explicit DiscretionPolicy(absl::flat_hash_set<std::string> words) : words_(std::move(words)) {}

  absl::flat_hash_set<std::string> words_;  // lower-case
};

// True for a status produced by CheckDiscreet, so a dispatcher can dead-letter with reason "discretion"
// without matching on message text.
bool IsDiscretionViolation(const absl::Status& status);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_H_
