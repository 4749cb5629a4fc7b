#include "services/gateway/http_errors.h"

#include <cstdint>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/status/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "nlohmann/json.hpp"

namespace tandem::gateway {
namespace {

constexpr char kBusyMessage[] = "server busy; retry later";
constexpr char kPublicInternalPrefix[] = "internal error; quote request id ";

absl::optional<google::rpc::Status> DecodeDetails(const std::string& details_bin) {
  if (details_bin.empty()) return absl::nullopt;
  google::rpc::Status status;
  if (!status.ParseFromString(details_bin)) return absl::nullopt;
  return status;
}

absl::optional<google::rpc::RetryInfo> FindRetryInfo(const std::string& details_bin) {
  auto status = DecodeDetails(details_bin);
  if (!status.has_value()) return absl::nullopt;
  for (const auto& detail : status->details()) {
    google::rpc::RetryInfo retry_info;
    if (detail.Is<google::rpc::RetryInfo>() && detail.UnpackTo(&retry_info)) return retry_info;
  }
  return absl::nullopt;
}

// proto3 JSON form of a Duration: "1s", "1.500s".
std::string DurationText(int64_t seconds, int32_t nanos) {
  if (nanos == 0) return absl::StrFormat("%ds", seconds);
  const char* sign = (seconds < 0 || nanos < 0) ? "-" : "";
  int64_t abs_seconds = seconds < 0 ? -seconds : seconds;
  int32_t abs_nanos = nanos < 0 ? -nanos : nanos;
  if (abs_nanos % 1000000 == 0) return absl::StrFormat("%s%d.%03ds", sign, abs_seconds, abs_nanos / 1000000);
  if (abs_nanos % 1000 == 0) return absl::StrFormat("%s%d.%06ds", sign, abs_seconds, abs_nanos / 1000);
  return absl::StrFormat("%s%d.%09ds", sign, abs_seconds, abs_nanos);
}

nlohmann::json RenderDetails(const std::string& details_bin) {
  nlohmann::json details = nlohmann::json::array();
  auto status = DecodeDetails(details_bin);
  if (!status.has_value()) return details;
  for (const auto& detail : status->details()) {
    if (google::rpc::BadRequest bad_request;
        detail.Is<google::rpc::BadRequest>() && detail.UnpackTo(&bad_request)) {
      nlohmann::json violations = nlohmann::json::array();
      for (const auto& violation : bad_request.field_violations()) {
        violations.push_back({{"field", violation.field()}, {"description", violation.description()}});
      }
      details.push_back({{"@type", "type.googleapis.com/google.rpc.BadRequest"},
                         {"fieldViolations", std::move(violations)}});
    } else if (google::rpc::RetryInfo retry_info;
               detail.Is<google::rpc::RetryInfo>() && detail.UnpackTo(&retry_info)) {
      details.push_back({{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                         {"retryDelay", DurationText(retry_info.retry_delay().seconds(),
                                                     retry_info.retry_delay().nanos())}});
    } else if (google::rpc::ErrorInfo error_info;
               detail.Is<google::rpc::ErrorInfo>() && detail.UnpackTo(&error_info)) {
      nlohmann::json metadata = nlohmann::json::object();
      for (const auto& [key, value] : error_info.metadata()) metadata[key] = value;
      details.push_back({{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                         {"reason", error_info.reason()},
                         {"domain", error_info.domain()},
                         {"metadata", std::move(metadata)}});
    } else if (google::rpc::ResourceInfo resource_info;
               detail.Is<google::rpc::ResourceInfo>() && detail.UnpackTo(&resource_info)) {
      details.push_back({{"@type", "type.googleapis.com/google.rpc.ResourceInfo"},
                         {"resourceType", resource_info.resource_type()},
                         {"resourceName", resource_info.resource_name()},
                         {"owner", resource_info.owner()},
                         {"description", resource_info.description()}});
    } else if (google::rpc::PreconditionFailure precondition_failure;
               detail.Is<google::rpc::PreconditionFailure>() && detail.UnpackTo(&precondition_failure)) {
      nlohmann::json violations = nlohmann::json::array();
      for (const auto& violation : precondition_failure.violations()) {
        violations.push_back({{"type", violation.type()},
                              {"subject", violation.subject()},
                              {"description", violation.description()}});
      }
      details.push_back({{"@type", "type.googleapis.com/google.rpc.PreconditionFailure"},
                         {"violations", std::move(violations)}});
    }
  }
  return details;
}

std::string RenderBody(grpc::StatusCode code, const std::string& message, const std::string& details_bin) {
  nlohmann::json body = {{"code", static_cast<int>(code)},
                         {"status", GrpcCodeName(code)},
                         {"message", message},
                         {"details", RenderDetails(details_bin)}};
  // Invalid UTF-8 in a message is replaced rather than thrown on.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The message a client may see for a backend status (see ErrorBody).
std::string PublicMessage(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
      if (absl::StartsWith(status.error_message(), kPublicInternalPrefix)) return status.error_message();
      return "internal error";
    case grpc::StatusCode::UNAVAILABLE:
      return "service unavailable; retry later";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline exceeded";
    case grpc::StatusCode::CANCELLED:
      return "request cancelled";
    default:
      return status.error_message();
  }
}

int RetryDelaySeconds(const google::rpc::RetryInfo& retry_info) {
  int64_t seconds = retry_info.retry_delay().seconds();
  if (retry_info.retry_delay().nanos() > 0) ++seconds;
  if (seconds < 1) seconds = 1;
  if (seconds > 3600) seconds = 3600;
  return static_cast<int>(seconds);
}

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::DO_NOT_USE:
      break;
  }
  return "UNKNOWN";
}

int HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 409;
    case grpc::StatusCode::ABORTED:
      return 412;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::DO_NOT_USE:
      return 500;
  }
  return 500;
}

bool IsServerBusy(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return false;
  return status.error_message() == kBusyMessage || FindRetryInfo(status.error_details()).has_value();
}

int HttpStatusFor(const grpc::Status& status) {
  return IsServerBusy(status) ? 503 : HttpStatusFor(status.error_code());
}

absl::optional<int> RetryAfterSeconds(const grpc::Status& status) {
  if (status.ok()) return absl::nullopt;
  if (auto retry_info = FindRetryInfo(status.error_details())) return RetryDelaySeconds(*retry_info);
  if (IsServerBusy(status)) return 1;
  return absl::nullopt;
}

std::string ErrorBody(const grpc::Status& status) {
  return RenderBody(status.error_code(), PublicMessage(status), status.error_details());
}

std::string ErrorBody(const absl::Status& status) {
  grpc::Status converted = ToGrpcStatus(status);
  return RenderBody(converted.error_code(), converted.error_message(), converted.error_details());
}

HttpError ToHttpError(const grpc::Status& status) {
  HttpError error;
  error.http_status = HttpStatusFor(status);
  error.body = ErrorBody(status);
  error.retry_after_seconds = RetryAfterSeconds(status);
  return error;
}

HttpError ToHttpError(const absl::Status& status) {
  grpc::Status converted = ToGrpcStatus(status);
  HttpError error;
  error.http_status = HttpStatusFor(converted.error_code());
  error.body = RenderBody(converted.error_code(), converted.error_message(), converted.error_details());
  if (auto retry_info = FindRetryInfo(converted.error_details())) {
    error.retry_after_seconds = RetryDelaySeconds(*retry_info);
  }
  return error;
}

}  // namespace tandem::gateway
