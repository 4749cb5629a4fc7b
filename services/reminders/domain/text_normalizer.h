#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_TEXT_NORMALIZER_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_TEXT_NORMALIZER_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "unicode/uversion.h"

struct USpoofChecker;

U_NAMESPACE_BEGIN
class Normalizer2;
U_NAMESPACE_END

namespace tandem::reminders {

// Reduces text to the form a deny-list is matched in, so that what a reader sees as the same word compares
// equal however it was typed: each character is case folded with NFKC (full-width and styled letters become
// plain ones), stripped of accents (NFD without nonspacing marks), replaced by its confusable skeleton (UTS
// #39: a Cyrillic "е" becomes "e") and folded again. Skeletons are only comparable with skeletons ("m"
// becomes "rn"), so the terms of a list go through exactly the same reduction as the text. A letter of
// another script that stays foreign in small letters but whose capital looks Latin (Cyrillic "Т", "Н") takes
// the capital's skeleton, in either case.
//
// Invisible characters (format characters and default-ignorable code points: zero-width joiners, soft
// hyphens, BOM) and combining marks join the characters around them rather than separating words. Letters,
// digits and marks of any script are word characters.
//
// The ICU objects are built once; every method is const and safe to call from any thread (ICU's normalizers
// and a configured USpoofChecker are documented as thread-safe for const use).
class TextNormalizer {
 public:
  // The process's instance; INTERNAL when ICU's data cannot be loaded.
  static absl::StatusOr<const TextNormalizer*> Get();

  ~TextNormalizer();
  TextNormalizer(const TextNormalizer&) = delete;
  TextNormalizer& operator=(const TextNormalizer&) = delete;

  // The words of valid UTF-8 `text` in matching form. A word is split twice: at characters that are not
  // letters or digits as written, and at characters that are not letters or digits once reduced (so a symbol
  // that looks like a letter, "℮" for "e", cannot split a word, and a letter-like symbol after a word,
  // "sex|", cannot hide its end). Both splits are returned, the first's words first; a caller matching whole
  // words or stems takes a hit in either.
  std::vector<std::string> Words(absl::string_view text) const;

  // The matching form of one code point ("" for one that joins its neighbours).
  std::string Reduce(char32_t code_point) const;

 private:
  TextNormalizer() = default;
  absl::StatusOr<std::string> ReduceUncached(char32_t code_point) const;
  // Compatibility form (case folded first, or not), accents removed, skeleton, folded again.
  absl::StatusOr<std::string> Chain(char32_t code_point, bool fold_first) const;

  const icu::Normalizer2* nfkc_casefold_ = nullptr;
  const icu::Normalizer2* nfkc_ = nullptr;
  const icu::Normalizer2* nfd_ = nullptr;
  USpoofChecker* spoof_ = nullptr;      // only ever used through const functions after construction
  std::array<std::string, 128> ascii_;  // Reduce() of each ASCII character, computed once
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_TEXT_NORMALIZER_H_
