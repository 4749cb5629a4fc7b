#ifndef TANDEM_COMMON_STATUS_FIELD_VIOLATIONS_H_
#define TANDEM_COMMON_STATUS_FIELD_VIOLATIONS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"

namespace tandem {

// Collects every problem found while validating one request, so a client sees all of them at once instead of
// fixing one field per round trip. Descriptions must never quote the rejected value: it may be clinical text.
//
//   FieldViolations v;
//   if (req.client_id().empty()) v.Add("client_id", "is required");
//   RETURN_IF_ERROR(v.ToStatus());
class FieldViolations {
 public:
  void Add(std::string field, std::string description) {
    violations_.emplace_back(std::move(field), std::move(description));
  }
  bool empty() const { return violations_.empty(); }
  size_t size() const { return violations_.size(); }

  // OK when nothing was added; otherwise INVALID_ARGUMENT whose message names the fields and whose payload is
  // a google.rpc.Status holding a google.rpc.BadRequest with every violation.
  absl::Status ToStatus() const;

 private:
  std::vector<std::pair<std::string, std::string>> violations_;
};

// The BadRequest carried by `status`, if any (used by tests and by the gateway to render details).
std::vector<google::rpc::BadRequest::FieldViolation> GetFieldViolations(const absl::Status& status);

// The id rule every Tandem id and reference follows (clinic ids, record ids, owner references, idempotency
// keys): 1-128 bytes of letters, digits and . _ - : /, so an id is safe in a log line, a cache key or a URL.
bool IsValidRef(absl::string_view ref);
// Adds a violation on `field` when `value` is empty or breaks the id rule.
void CheckRef(FieldViolations& v, absl::string_view field, const std::string& value);

}  // namespace tandem

#endif  // TANDEM_COMMON_STATUS_FIELD_VIOLATIONS_H_
