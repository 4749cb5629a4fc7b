#include "common/text/contact_address.h"

#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace tandem::text {
namespace {

constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxLocalPartBytes = 64;
constexpr size_t kMaxDomainBytes = 253;
constexpr size_t kMaxLabelBytes = 63;
// '+' and 7 to 15 digits.
constexpr size_t kMinE164Bytes = 8;
constexpr size_t kMaxE164Bytes = 16;

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

}  // namespace

std::optional<std::string> EmailAddressProblem(absl::string_view address) {
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
  return std::nullopt;
}

bool IsE164PhoneNumber(absl::string_view number) {
  if (number.size() < kMinE164Bytes || number.size() > kMaxE164Bytes || number.front() != '+') return false;
  if (number[1] == '0') return false;
  for (char c : number.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<std::string> E164Problem(absl::string_view number) {
  if (IsE164PhoneNumber(number)) return std::nullopt;
  return "must be a phone number in E.164 form (+ and 7 to 15 digits)";
}

}  // namespace tandem::text
