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
// email: required, then text::EmailAddressProblem (common/text/contact_address.h), the same rule scheduling
//   applies to the email contacts it stores, so an address accepted there is deliverable here.
// webhook: the provider resolves the recipient, so the address is opaque to us, but it must be plain enough
//   to pass through any provider API unescaped: either a phone number (text::IsE164PhoneNumber: '+', then 7
//   to 15 digits, the first not 0), or an id/handle/device token of 1-256 bytes of letters, digits and
//   . _ - : @ starting with a letter, digit or '@'. Anything starting with '+' must be a valid E.164 number.
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
