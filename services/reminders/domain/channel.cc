#include "services/reminders/domain/channel.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/text/utf8.h"

namespace tandem::reminders {
namespace {

constexpr size_t kMaxIdempotencyIdBytes = 128;

bool IsIdempotencyId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdempotencyIdBytes) return false;
  if (id.front() == '.' || id.back() == '.' || absl::StrContains(id, "..")) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::Status CheckOutboundMessage(const OutboundMessage& message) {
  if (!IsIdempotencyId(message.idempotency_id)) {
    return absl::InvalidArgumentError("idempotency id must be 1-128 letters, digits, '.', '_' or '-'");
  }
  if (message.recipient.empty()) return absl::InvalidArgumentError("recipient is required");
  if (!text::IsValidUtf8(message.recipient) || !text::IsValidUtf8(message.sender_name) ||
      !text::IsValidUtf8(message.subject) || !text::IsValidUtf8(message.body)) {
    return absl::InvalidArgumentError("message fields must be valid UTF-8");
  }
  return absl::OkStatus();
}

}  // namespace tandem::reminders
