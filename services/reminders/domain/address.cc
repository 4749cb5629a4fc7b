#include "services/reminders/domain/address.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "common/status/field_violations.h"
#include "common/text/contact_address.h"

namespace tandem::reminders {
namespace {

constexpr size_t kMaxWebhookIdBytes = 256;
constexpr size_t kMaxLogAddressBytes = 1024;

// AddressProblem keeps the absl::optional its callers use; the shared rules speak std::optional.
absl::optional<std::string> FromStd(std::optional<std::string> problem) {
  if (!problem.has_value()) return absl::nullopt;
  return *std::move(problem);
}

absl::optional<std::string> WebhookProblem(absl::string_view address) {
  if (address.empty()) return "is required";
  if (address.front() == '+') return FromStd(text::E164Problem(address));
  if (address.size() > kMaxWebhookIdBytes) return "is longer than 256 bytes";
  const char first = address.front();
  if (!absl::ascii_isalnum(static_cast<unsigned char>(first)) && first != '@') {
    return "must start with a letter, a digit, '@' or '+'";
  }
  for (char c : address) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        absl::string_view("._-:@").find(c) == absl::string_view::npos) {
      return "may hold only letters, digits and . _ - : @";
    }
  }
  return absl::nullopt;
}

}  // namespace

absl::optional<std::string> AddressProblem(ChannelKind kind, absl::string_view address) {
  switch (kind) {
    case ChannelKind::kEmail:
      if (address.empty()) return "is required";
      return FromStd(text::EmailAddressProblem(address));
    case ChannelKind::kWebhook:
      return WebhookProblem(address);
    case ChannelKind::kLog:
      if (address.empty()) return "is required";
      if (address.size() > kMaxLogAddressBytes) return "is longer than 1024 bytes";
      return absl::nullopt;
  }
  return "has an unknown channel";
}

absl::Status ValidateAddress(ChannelKind kind, absl::string_view address, absl::string_view field) {
  absl::optional<std::string> problem = AddressProblem(kind, address);
  if (!problem.has_value()) return absl::OkStatus();
  FieldViolations violations;
  violations.Add(std::string(field), *std::move(problem));
  return violations.ToStatus();
}

absl::string_view AddressShape(absl::string_view address) {
  if (!text::EmailAddressProblem(address).has_value()) return "email";
  if (text::IsE164PhoneNumber(address)) return "phone";
  return "id";
}

}  // namespace tandem::reminders
