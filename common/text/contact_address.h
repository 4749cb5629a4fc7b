#ifndef TANDEM_COMMON_TEXT_CONTACT_ADDRESS_H_
#define TANDEM_COMMON_TEXT_CONTACT_ADDRESS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tandem::text {

// The one definition of a usable email address and phone number. Whatever a service accepts from a caller
// here is later handed to a delivery channel that applies the same rules, so an address that was accepted is
// never refused when a message is sent. Problems are described without quoting the address: it identifies a
// person.

// Email: a conservative subset of RFC 5321: `local@domain`, at most 254 bytes; the local part (1-64 bytes) a
// dot-atom of letters, digits and !#$%&'*+/=?^_`{|}~- (no quoted strings, no leading, trailing or doubled
// dots); the domain (at most 253 bytes) two or more DNS labels of letters, digits and '-' (1-63 bytes, no
// leading or trailing '-'), the last alphabetic or an IDNA "xn--" label. No IP literals, no spaces, no
// non-ASCII (internationalised addresses must arrive in their ASCII form).
//
// Returns a reason ("must be an email address of the form local@domain"), or nullopt when valid.
std::optional<std::string> EmailAddressProblem(absl::string_view address);

// A phone number in E.164 form: '+', then 7 to 15 digits, the first not 0. No spaces or punctuation.
bool IsE164PhoneNumber(absl::string_view number);

// A reason when `number` is not IsE164PhoneNumber ("must be a phone number in E.164 form ..."), else nullopt.
std::optional<std::string> E164Problem(absl::string_view number);

}  // namespace tandem::text

#endif  // TANDEM_COMMON_TEXT_CONTACT_ADDRESS_H_
