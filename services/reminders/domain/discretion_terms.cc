#include "services/reminders/domain/discretion_terms.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"

namespace tandem::reminders {

absl::StatusOr<std::vector<DiscretionTerm>> ParseTermList(absl::string_view text, absl::string_view name) {
  std::vector<DiscretionTerm> terms;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    DiscretionTerm term;
    const size_t colon = line.find(':');
    if (colon != absl::string_view::npos) {
      const absl::string_view marker = line.substr(0, colon);
      if (marker == "word") {
        term.match = TermMatch::kWord;
      } else if (marker == "stem") {
        term.match = TermMatch::kStem;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " line ", line_number, ": the marker must be \"word:\" or \"stem:\""));
      }
      line = absl::StripAsciiWhitespace(line.substr(colon + 1));
    }
    if (line.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(name, " line ", line_number, ": the term is empty"));
    }
    term.text = std::string(line);
    terms.push_back(std::move(term));
  }
  return terms;
}

absl::StatusOr<std::vector<DiscretionTerm>> DefaultTerms() {
  std::vector<DiscretionTerm> all;
  for (const auto& [name, text] : EmbeddedDiscretionLists()) {
    ASSIGN_OR_RETURN(std::vector<DiscretionTerm> terms,
                     ParseTermList(absl::string_view(text.data(), text.size()),
                                   absl::string_view(name.data(), name.size())));
    all.insert(all.end(), terms.begin(), terms.end());
  }
  return all;
}

}  // namespace tandem::reminders
