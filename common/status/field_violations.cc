#include "common/status/field_violations.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/grpc_status.h"
#include "google/rpc/status.pb.h"

namespace tandem {

absl::Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  google::rpc::BadRequest bad_request;
  std::vector<absl::string_view> fields;
  for (const auto& [field, description] : violations_) {
    auto* violation = bad_request.add_field_violations();
    violation->set_field(field);
    violation->set_description(description);
    fields.push_back(field);
  }
  std::string message = absl::StrCat("invalid request: ", absl::StrJoin(fields, ", "));
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
  rpc_status.set_message(message);
  rpc_status.add_details()->PackFrom(bad_request);

  absl::Status status(absl::StatusCode::kInvalidArgument, message);
  status.SetPayload(kRpcStatusPayloadUrl, absl::Cord(rpc_status.SerializeAsString()));
  return status;
}

std::vector<google::rpc::BadRequest::FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<google::rpc::BadRequest::FieldViolation> result;
  auto payload = status.GetPayload(kRpcStatusPayloadUrl);
  if (!payload.has_value()) return result;
  google::rpc::Status rpc_status;
  if (!rpc_status.ParseFromString(std::string(*payload))) return result;
  for (const auto& detail : rpc_status.details()) {
    google::rpc::BadRequest bad_request;
    if (detail.UnpackTo(&bad_request)) {
      for (const auto& violation : bad_request.field_violations()) result.push_back(violation);
    }
  }
  return result;
}

bool IsValidRef(absl::string_view ref) {
  constexpr size_t kMaxRefBytes = 128;
  if (ref.empty() || ref.size() > kMaxRefBytes) return false;
  for (char c : ref) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != ':' &&
        c != '/') {
      return false;
    }
  }
  return true;
}

void CheckRef(FieldViolations& v, absl::string_view field, const std::string& value) {
  if (value.empty()) {
    v.Add(std::string(field), "is required");
  } else if (!IsValidRef(value)) {
    v.Add(std::string(field), "must be 1-128 characters of letters, digits and . _ - : /");
  }
}

}  // namespace tandem
