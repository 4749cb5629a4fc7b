#include "common/status/server_only_message.h"

#include "absl/strings/cord.h"

namespace tandem {
namespace {

// Not a google.rpc type URL, so ToGrpcStatus never forwards it as error details.
constexpr char kServerOnlyPayloadUrl[] = "tandem.dev/server-only-message";

}  // namespace

absl::Status MarkServerOnlyMessage(absl::Status status) {
  if (!status.ok()) status.SetPayload(kServerOnlyPayloadUrl, absl::Cord("1"));
  return status;
}

bool HasServerOnlyMessage(const absl::Status& status) {
  return status.GetPayload(kServerOnlyPayloadUrl).has_value();
}

std::string PublicMessageFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kAlreadyExists:
      return "the record already exists";
    case absl::StatusCode::kFailedPrecondition:
      return "the request conflicts with the current state of the record";
    case absl::StatusCode::kAborted:
      return "the request conflicts with a concurrent change; retry";
    case absl::StatusCode::kUnavailable:
      return "the service is temporarily unavailable; retry";
    case absl::StatusCode::kDeadlineExceeded:
      return "the request took too long";
    case absl::StatusCode::kPermissionDenied:
      return "the operation is not permitted";
    case absl::StatusCode::kResourceExhausted:
      return "the service is busy; retry later";
    case absl::StatusCode::kNotFound:
      return "not found";
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return "the request is not valid";
    case absl::StatusCode::kUnauthenticated:
      return "not authenticated";
    case absl::StatusCode::kCancelled:
      return "the request was cancelled";
    case absl::StatusCode::kUnimplemented:
      return "not implemented";
    case absl::StatusCode::kOk:
      return "";
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    default:
      return "internal error";
  }
}

}  // namespace tandem
