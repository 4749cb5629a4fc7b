#ifndef TANDEM_SERVICES_GATEWAY_VIOLATION_LIST_H_
#define TANDEM_SERVICES_GATEWAY_VIOLATION_LIST_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status/field_violations.h"

namespace tandem::gateway {

// Every problem found while transcoding one request, reported together. Capped, so that a hostile body with a
// million bad values costs a bounded error: past the cap one last violation says that more were omitted.
// Fields are JSON paths or query parameter names; descriptions never quote a value (it may be clinical text).
class ViolationList {
 public:
  static constexpr size_t kMaxViolations = 32;

  void Add(absl::string_view field, absl::string_view description);
  bool empty() const { return count_ == 0; }
  // True once a violation past the cap was dropped (and the omission noted): callers may stop looking.
  bool full() const { return truncated_; }

  // OK when empty; otherwise INVALID_ARGUMENT carrying every violation as a google.rpc.BadRequest.
  absl::Status ToStatus() const { return violations_.ToStatus(); }

 private:
  FieldViolations violations_;
  size_t count_ = 0;
  bool truncated_ = false;
};

// JSON paths as violations name them: `goal.milestones[2].title`.
//
// A key is echoed only when it looks like a field name (letters, digits and '_', at most 64 characters); any
// other key (a map key, or an unknown name that may be free text) is shown as `["?"]`, so no client text
// reaches an error, a log line or a metric label through a path.
bool IsPlainName(absl::string_view key);
void AppendJsonKey(std::string* path, absl::string_view key);
void AppendJsonIndex(std::string* path, size_t index);

// Restores a path to its length at construction: `PathScope scope(&path); AppendJsonKey(&path, "x");`.
class PathScope {
 public:
  explicit PathScope(std::string* path) : path_(path), size_(path->size()) {}
  ~PathScope() { path_->resize(size_); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  std::string* path_;
  size_t size_;
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_VIOLATION_LIST_H_
