#include "services/reminders/domain/text_normalizer.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "unicode/normalizer2.h"
#include "unicode/uchar.h"
#include "unicode/unistr.h"
#include "unicode/uscript.h"
#include "unicode/uspoof.h"
#include "unicode/utf16.h"
#include "unicode/utf8.h"

namespace tandem::reminders {
namespace {

// Characters that render as nothing or attach to the previous one: they must neither split a word nor count
// as part of it (a soft hyphen or zero-width joiner inside "the\u200Brapy").
bool Joins(UChar32 c) {
  const int8_t type = u_charType(c);
  return type == U_FORMAT_CHAR || type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK ||
         u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

bool IsWordCharacter(UChar32 c) {
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK)) != 0;
}

bool AllWordCharacters(const std::string& utf8) {
  const auto length = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(utf8.data(), i, length, c);
    if (c < 0 || !IsWordCharacter(c)) return false;
  }
  return true;
}

// NFD, then without nonspacing marks: "é" becomes "e", "ñ" becomes "n".
icu::UnicodeString WithoutAccents(const icu::Normalizer2& nfd, const icu::UnicodeString& text,
                                  UErrorCode& status) {
  const icu::UnicodeString decomposed = nfd.normalize(text, status);
  icu::UnicodeString out;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    if (u_charType(c) != U_NON_SPACING_MARK) out.append(c);
    i += U16_LENGTH(c);
  }
  return out;
}

bool IsAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

absl::StatusOr<const TextNormalizer*> TextNormalizer::Get() {
  static const auto* const kInstance = []() -> absl::StatusOr<const TextNormalizer*>* {
    auto* result = new absl::StatusOr<const TextNormalizer*>();
    std::unique_ptr<TextNormalizer> normalizer(new TextNormalizer());
    UErrorCode status = U_ZERO_ERROR;
    normalizer->nfkc_casefold_ = icu::Normalizer2::getNFKCCasefoldInstance(status);
    normalizer->nfkc_ = icu::Normalizer2::getNFKCInstance(status);
    normalizer->nfd_ = icu::Normalizer2::getNFDInstance(status);
    if (U_SUCCESS(status)) normalizer->spoof_ = uspoof_open(&status);
    if (U_FAILURE(status)) {
      *result = absl::InternalError(absl::StrCat("unicode data unavailable: ", u_errorName(status)));
      return result;
    }
    for (char32_t c = 0; c < normalizer->ascii_.size(); ++c) {
      auto reduced = normalizer->ReduceUncached(c);
      if (!reduced.ok()) {
        *result = reduced.status();
        return result;
      }
      normalizer->ascii_[c] = *std::move(reduced);
    }
    *result = normalizer.release();
    return result;
  }();
  return *kInstance;
}

TextNormalizer::~TextNormalizer() {
  if (spoof_ != nullptr) uspoof_close(spoof_);
}

absl::StatusOr<std::string> TextNormalizer::Chain(char32_t code_point, bool fold_first) const {
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString character(static_cast<UChar32>(code_point));
  const icu::UnicodeString compatible = (fold_first ? nfkc_casefold_ : nfkc_)->normalize(character, status);
  std::string plain;
  WithoutAccents(*nfd_, compatible, status).toUTF8String(plain);
  if (U_FAILURE(status)) return absl::InternalError(absl::StrCat("normalisation: ", u_errorName(status)));
  if (plain.empty()) return plain;

  std::string skeleton(plain.size() * 4 + 16, '\0');
  int32_t length = uspoof_getSkeletonUTF8(spoof_, 0, plain.data(), static_cast<int32_t>(plain.size()),
                                          skeleton.data(), static_cast<int32_t>(skeleton.size()), &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    status = U_ZERO_ERROR;
    skeleton.assign(static_cast<size_t>(length) + 1, '\0');
    length = uspoof_getSkeletonUTF8(spoof_, 0, plain.data(), static_cast<int32_t>(plain.size()),
                                    skeleton.data(), static_cast<int32_t>(skeleton.size()), &status);
  }
  if (U_FAILURE(status)) return absl::InternalError(absl::StrCat("skeleton: ", u_errorName(status)));
  skeleton.resize(static_cast<size_t>(length));

  // A skeleton's prototype may be upper case or carry marks ("0" becomes "O"): fold once more.
  const icu::UnicodeString refolded =
      nfkc_casefold_->normalize(icu::UnicodeString::fromUTF8(skeleton), status);
  std::string out;
  WithoutAccents(*nfd_, refolded, status).toUTF8String(out);
  if (U_FAILURE(status)) return absl::InternalError(absl::StrCat("normalisation: ", u_errorName(status)));
  return out;
}

absl::StatusOr<std::string> TextNormalizer::ReduceUncached(char32_t code_point) const {
  ASSIGN_OR_RETURN(std::string folded_first, Chain(code_point, /*fold_first=*/true));
  if (IsAscii(folded_first)) return folded_first;
  // Folding first loses look-alikes that exist only in capitals: Cyrillic "Т" and "Н" read as Latin "T" and
  // "H", their small letters do not. For a letter of another script whose small form stays foreign, the
  // capital's skeleton decides when it is Latin. Both cases of the letter take this same path, so text and
  // terms agree whatever case either is written in; Latin letters never do ("I" would become "l").
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(static_cast<UChar32>(code_point), &status);
  if (U_FAILURE(status) || script == USCRIPT_LATIN || script == USCRIPT_COMMON ||
      script == USCRIPT_INHERITED) {
    return folded_first;
  }
  const UChar32 capital = u_toupper(u_foldCase(static_cast<UChar32>(code_point), U_FOLD_CASE_DEFAULT));
  ASSIGN_OR_RETURN(std::string from_capital, Chain(static_cast<char32_t>(capital), /*fold_first=*/false));
  return IsAscii(from_capital) && !from_capital.empty() ? from_capital : folded_first;
}

std::string TextNormalizer::Reduce(char32_t code_point) const {
  if (code_point < ascii_.size()) return ascii_[code_point];
  auto reduced = ReduceUncached(code_point);
  if (reduced.ok()) return *std::move(reduced);
  // ICU failing on one character after its data loaded is not expected; keeping the character as written
  // still lets plain spellings match.
  std::string out;
  icu::UnicodeString(static_cast<UChar32>(code_point)).toUTF8String(out);
  return out;
}

std::vector<std::string> TextNormalizer::Words(absl::string_view text) const {
  std::vector<std::string> as_written;
  std::vector<std::string> as_reduced;
  std::string written_word;
  std::string reduced_word;
  auto end_word = [](std::string& word, std::vector<std::string>& words) {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(text.data(), i, length, c);
    if (c < 0) {  // an ill-formed sequence separates words
      end_word(written_word, as_written);
      end_word(reduced_word, as_reduced);
      continue;
    }
    if (Joins(c)) continue;
    const std::string form = Reduce(static_cast<char32_t>(c));
    if (form.empty()) continue;
    if (IsWordCharacter(c)) {
      written_word += form;
    } else {
      end_word(written_word, as_written);
    }
    if (AllWordCharacters(form)) {
      reduced_word += form;
    } else {
      end_word(reduced_word, as_reduced);
    }
  }
  end_word(written_word, as_written);
  end_word(reduced_word, as_reduced);
  for (std::string& word : as_reduced) as_written.push_back(std::move(word));
  return as_written;
}

}  // namespace tandem::reminders
