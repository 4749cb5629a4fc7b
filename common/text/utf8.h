#ifndef TANDEM_COMMON_TEXT_UTF8_H_
#define TANDEM_COMMON_TEXT_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace tandem::text {

// True for well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF. Outbound text must
// be valid UTF-8 before it is put into JSON or a mail.
bool IsValidUtf8(absl::string_view text);

// True when `text` holds an ASCII control character (C0 or DEL) other than those in `allowed`.
bool HasControlCharacters(absl::string_view text, absl::string_view allowed = "");

// True when UTF-8 `text` holds a C1 control character (U+0080-U+009F, encoded C2 80 to C2 9F). NEL (U+0085)
// among them ends a line in some displays, so text shown to people rejects these as well as the C0 ones.
bool HasC1ControlCharacters(absl::string_view text);

// The length of the UTF-8 sequence starting with `lead` (1 to 4), or 0 for a continuation or invalid byte.
size_t Utf8SequenceLength(unsigned char lead);

// The number of Unicode code points in valid UTF-8 `text`: the bytes that do not continue a sequence. Limits
// on what people type are in characters, not bytes.
size_t CountCodePoints(absl::string_view text);

}  // namespace tandem::text

#endif  // TANDEM_COMMON_TEXT_UTF8_H_
