#include "services/reminders/domain/address.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/status/field_violations.h"

namespace tandem::reminders {
namespace {

constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxLocalPartBytes = 64;
constexpr size_t kMaxDomainBytes = 253;
constexpr size_t kMaxLabelBytes = 63;
constexpr size_t kMaxWebhookIdBytes = 256;
constexpr size_t kMaxLogAddressBytes = 1024;

bool IsAtext(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != absl::string_view::npos;
}

bool IsDotAtom(absl::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  if (absl::StrContains(text, "..")) return false;
  for (char c : text) {
    if (c != '.' && !IsAtext(c)) return false;
  }
  return true;
}

bool IsDnsLabel(absl::string_view label) {
  if (label.empty() || label.size() > kMaxLabelBytes) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

bool IsTopLevelLabel(absl::string_view label) {
  if (absl::StartsWithIgnoreCase(label, "xn--")) return label.size() > 4;
  if (label.size() < 2) return false;
  for (char c : label) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::optional<std::string> EmailProblem(absl::string_view address) {
  const std::string kShape = "must be an email address of the form local@domain";
  if (address.size() > kMaxEmailBytes) return "is longer than 254 bytes";
  const size_t at = address.rfind('@');
  if (at == absl::string_view::npos) return kShape;
  const absl::string_view local = address.substr(0, at);
  const absl::string_view domain = address.substr(at + 1);
  if (local.empty() || domain.empty()) return kShape;
  if (local.size() > kMaxLocalPartBytes) return "has a local part longer than 64 bytes";
  if (!IsDotAtom(local)) return "has a local part with characters or dots that are not allowed";
  if (domain.size() > kMaxDomainBytes) return "has a domain longer than 253 bytes";
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return "must have a domain with at least two labels";
  for (absl::string_view label : labels) {
    if (!IsDnsLabel(label)) return "has a domain that is not a valid host name";
  }
  if (!IsTopLevelLabel(labels.back())) return "has a domain that is not a valid host name";
  return absl::nullopt;
}

bool IsE164(absl::string_view address) {
  if (address.size() < 8 || address.size() > 16 || address.front() != '+') return false;
  if (address[1] == '0') return false;
  for (char c : address.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::optional<std::string> WebhookProblem(absl::string_view address) {
  if (address.empty()) return "is required";
  if (address.front() == '+') {
    if (IsE164(address)) return absl::nullopt;
    return "must be a phone number in E.164 form (+ and 7 to 15 digits)";
  }
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
      return EmailProblem(address);
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
  if (!EmailProblem(address).has_value()) return "email";
  if (IsE164(address)) return "phone";
  return "id";
}

}  // namespace tandem::reminders
