#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_UTF8_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace tandem::reminders {

// True for well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF. Outbound text must
// be valid UTF-8 before it is put into JSON or a mail.
bool IsValidUtf8(absl::string_view text);

// True when `text` holds an ASCII control character (C0 or DEL) other than those in `allowed`.
bool HasControlCharacters(absl::string_view text, absl::string_view allowed = "");

// The length of the UTF-8 sequence starting with `lead` (1 to 4), or 0 for a continuation or invalid byte.
size_t Utf8SequenceLength(unsigned char lead);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_UTF8_H_
