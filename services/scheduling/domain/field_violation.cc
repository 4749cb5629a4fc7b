#include "services/scheduling/domain/field_violation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tandem::scheduling {

absl::Status ViolationsToStatus(const std::vector<FieldViolation>& violations) {
  if (violations.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", absl::StrJoin(violations, ", ", [](std::string* out, const FieldViolation& v) {
                     absl::StrAppend(out, v.field, " (", v.description, ")");
                   })));
}

}  // namespace tandem::scheduling
