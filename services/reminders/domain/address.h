#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_ADDRESS_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_ADDRESS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "services/reminders/domain/channel_kind.h"

namespace tandem::reminders {

// Recipient address rules, per channel. Problems are described without quoting the address: it identifies
// a client.
//
// email: a conservative subset of RFC 5321: `local@domain`, at most 254 bytes; the local part (1-64 bytes) a
//   dot-atom of letters, digits and !#$%&'*+/=?^_`{|}~- (no quoted strings, no leading, trailing or doubled
//   dots); the domain (at most 253 bytes) two or more DNS labels of letters, digits and '-' (1-63 bytes, no
//   leading or trailing '-'), the last alphabetic or an IDNA "xn--" label. No IP literals, no spaces, no
//   non-ASCII (internationalised addresses must arrive in their ASCII form).
// webhook: the provider resolves the recipient, so the address is opaque to us, but it must be plain enough
// to pass
//   through any provider API unescaped: either a phone number in E.164 form ('+', then 7 to 15 digits, the
//   first not 0), or an id/handle/device token of 1-256 bytes of letters, digits and . _ - : @ starting with
//   a letter, digit or '@'. Anything starting with '+' must be a valid E.164 number.
// log: any non-empty text of at most 1024 bytes.
//
// Returns a reason ("must be an email address of the form local@domain"), or nullopt when valid.
absl::optional<std::string> AddressProblem(ChannelKind kind, absl::string_view address);

// OK, or INVALID_ARGUMENT with one field violation on `field` (google.rpc.BadRequest).
absl::Status ValidateAddress(ChannelKind kind, absl::string_view address,
                             absl::string_view field = "recipient_address");

// What kind of address this looks like, for logs that must not hold the address: "email", "phone" or "id".
absl::string_view AddressShape(absl::string_view address);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_ADDRESS_H_
