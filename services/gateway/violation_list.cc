#include "services/gateway/violation_list.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tandem::gateway {

void ViolationList::Add(absl::string_view field, absl::string_view description) {
  if (count_ >= kMaxViolations) {
    if (!truncated_) {
      violations_.Add("", "further violations omitted");
      truncated_ = true;
    }
    return;
  }
  violations_.Add(std::string(field), std::string(description));
  ++count_;
}

bool IsPlainName(absl::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

void AppendJsonKey(std::string* path, absl::string_view key) {
  if (!IsPlainName(key)) {
    path->append("[\"?\"]");
    return;
  }
  if (!path->empty()) path->push_back('.');
  path->append(key.data(), key.size());
}

void AppendJsonIndex(std::string* path, size_t index) { absl::StrAppend(path, "[", index, "]"); }

}  // namespace tandem::gateway
