#ifndef TANDEM_COMMON_STATUS_ERROR_DETAILS_H_
#define TANDEM_COMMON_STATUS_ERROR_DETAILS_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"
#include "google/rpc/error_details.pb.h"

namespace tandem {

// Standard google.rpc error details on an absl::Status. They travel as the same serialized google.rpc.Status
// payload FieldViolations writes (kRpcStatusPayloadUrl), which ToGrpcStatus sends as grpc-status-details-bin,
// so a client's standard error-details helper decodes them. Details must never quote clinical text.

// ErrorInfo.domain of every reason Tandem sends: clients switch on (domain, reason).
inline constexpr char kErrorInfoDomain[] = "tandem";

// `status` with `detail` (ErrorInfo, ResourceInfo, PreconditionFailure, BadRequest, ...) appended to the
// details it already carries. An OK status is returned unchanged: it cannot carry details.
absl::Status WithDetail(absl::Status status, const google::protobuf::Message& detail);

// A conflict with an existing resource: `code` (ALREADY_EXISTS, or FAILED_PRECONDITION when the resource is
// in the way rather than a duplicate) carrying an ErrorInfo with `reason` (UPPER_SNAKE, e.g.
// "APPOINTMENT_OVERLAPS") in kErrorInfoDomain and a ResourceInfo naming the conflicting resource.
absl::Status ConflictError(absl::StatusCode code, absl::string_view message, absl::string_view resource_type,
                           absl::string_view resource_name, absl::string_view reason);

// FAILED_PRECONDITION carrying a PreconditionFailure with `violations`.
absl::Status PreconditionError(absl::string_view message,
                               std::vector<google::rpc::PreconditionFailure::Violation> violations);

// One PreconditionFailure violation, for PreconditionError({PreconditionViolation(...), ...}).
google::rpc::PreconditionFailure::Violation PreconditionViolation(absl::string_view type,
                                                                  absl::string_view subject,
                                                                  absl::string_view description);

// Every detail `status` carries, in order; empty without a (parsable) google.rpc.Status payload.
std::vector<google::protobuf::Any> DetailsOf(const absl::Status& status);

// The first detail of type T that `status` carries.
template <typename T>
std::optional<T> FindDetail(const absl::Status& status) {
  for (const google::protobuf::Any& detail : DetailsOf(status)) {
    T message;
    if (detail.Is<T>() && detail.UnpackTo(&message)) return message;
  }
  return std::nullopt;
}

}  // namespace tandem

#endif  // TANDEM_COMMON_STATUS_ERROR_DETAILS_H_
