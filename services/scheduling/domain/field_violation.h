#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_FIELD_VIOLATION_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_FIELD_VIOLATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tandem::scheduling {

// One problem with one field of a domain value, as plain data: the domain stays free of protos, and the API
// layer copies these into its FieldViolations (INVALID_ARGUMENT with a google.rpc.BadRequest). Descriptions
// never quote the rejected value.
struct FieldViolation {
  std::string field;
  std::string description;

  friend bool operator==(const FieldViolation& a, const FieldViolation& b) {
    return a.field == b.field && a.description == b.description;
  }
};

// OK when `violations` is empty; otherwise INVALID_ARGUMENT whose message names every field (for callers that
// did not validate first; the API layer should validate and attach the details itself).
absl::Status ViolationsToStatus(const std::vector<FieldViolation>& violations);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_FIELD_VIOLATION_H_
