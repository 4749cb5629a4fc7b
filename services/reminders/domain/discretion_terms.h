#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_TERMS_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_TERMS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::reminders {

// How a deny-list term matches: a whole word ("sex" refuses "Sex." but not "Essex"), or a stem anywhere
// inside a word, which catches compounds ("therap" refuses "Sexualtherapie").
enum class TermMatch { kWord, kStem };

struct DiscretionTerm {
  std::string text;  // as written in the list, any script, any case
  TermMatch match = TermMatch::kWord;
};

// Parses a term list: one `word:<term>` or `stem:<term>` per line; a line without a marker is a whole word
// (the older one-word-per-line files); '#' starts a comment line; blank lines are skipped. INVALID_ARGUMENT
// naming `name` and the line for an unknown marker or an empty term.
absl::StatusOr<std::vector<DiscretionTerm>> ParseTermList(absl::string_view text, absl::string_view name);

// The lists shipped inside the binary (services/reminders/data/discretion/*.txt) as (file name, text),
// generated at build time.
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedDiscretionLists();

// Every shipped list, parsed and concatenated: a text in any of their languages is checked against all of
// them.
absl::StatusOr<std::vector<DiscretionTerm>> DefaultTerms();

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_DISCRETION_TERMS_H_
