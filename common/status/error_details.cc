#include "common/status/error_details.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "common/status/grpc_status.h"
#include "google/rpc/status.pb.h"

namespace tandem {
namespace {

// The google.rpc.Status carried by `status`; nullopt without one or when it does not parse.
std::optional<google::rpc::Status> RpcStatusOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRpcStatusPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::Status rpc_status;
  if (!rpc_status.ParseFromString(std::string(*payload))) return std::nullopt;
  return rpc_status;
}

}  // namespace

absl::Status WithDetail(absl::Status status, const google::protobuf::Message& detail) {
  if (status.ok()) return status;
  // A payload that does not parse carries nothing a client could read, so it is replaced.
  google::rpc::Status rpc_status = RpcStatusOf(status).value_or(google::rpc::Status());
  // Some clients take code and message from the details rather than the headers; keep them equal.
  rpc_status.set_code(static_cast<int>(status.code()));
  rpc_status.set_message(std::string(status.message()));
  rpc_status.add_details()->PackFrom(detail);
  status.SetPayload(kRpcStatusPayloadUrl, absl::Cord(rpc_status.SerializeAsString()));
  return status;
}

absl::Status ConflictError(absl::StatusCode code, absl::string_view message, absl::string_view resource_type,
                           absl::string_view resource_name, absl::string_view reason) {
  google::rpc::ErrorInfo error_info;
  error_info.set_reason(std::string(reason));
  error_info.set_domain(kErrorInfoDomain);
  google::rpc::ResourceInfo resource_info;
  resource_info.set_resource_type(std::string(resource_type));
  resource_info.set_resource_name(std::string(resource_name));
  return WithDetail(WithDetail(absl::Status(code, message), error_info), resource_info);
}

absl::Status PreconditionError(absl::string_view message,
                               std::vector<google::rpc::PreconditionFailure::Violation> violations) {
  google::rpc::PreconditionFailure failure;
  for (auto& violation : violations) *failure.add_violations() = std::move(violation);
  return WithDetail(absl::FailedPreconditionError(message), failure);
}

google::rpc::PreconditionFailure::Violation PreconditionViolation(absl::string_view type,
                                                                  absl::string_view subject,
                                                                  absl::string_view description) {
  google::rpc::PreconditionFailure::Violation violation;
  violation.set_type(std::string(type));
  violation.set_subject(std::string(subject));
  violation.set_description(std::string(description));
  return violation;
}

std::vector<google::protobuf::Any> DetailsOf(const absl::Status& status) {
  std::optional<google::rpc::Status> rpc_status = RpcStatusOf(status);
  if (!rpc_status.has_value()) return {};
  return {rpc_status->details().begin(), rpc_status->details().end()};
}

}  // namespace tandem
