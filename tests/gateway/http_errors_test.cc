#include "services/gateway/http_errors.h"

#include <string>
#include <utility>
#include <vector>

#include "common/status/error_details.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tandem::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A backend status carrying `details` in grpc-status-details-bin, as common/status sends them.
grpc::Status WithDetails(grpc::StatusCode code, const std::string& message,
                         const std::vector<google::protobuf::Message*>& details) {
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(code));
  rpc_status.set_message(message);
  for (const google::protobuf::Message* detail : details) rpc_status.add_details()->PackFrom(*detail);
  return grpc::Status(code, message, rpc_status.SerializeAsString());
}

google::rpc::RetryInfo RetryAfter(int64_t seconds, int32_t nanos) {
  google::rpc::RetryInfo retry_info;
  retry_info.mutable_retry_delay()->set_seconds(seconds);
  retry_info.mutable_retry_delay()->set_nanos(nanos);
  return retry_info;
}

TEST(HttpErrorsTest, EveryCodeHasItsStatus) {
  const std::vector<std::pair<grpc::StatusCode, int>> cases = {
      {grpc::StatusCode::OK, 200},
      {grpc::StatusCode::CANCELLED, 500},
      {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::NOT_FOUND, 404},
      {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::PERMISSION_DENIED, 403},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::FAILED_PRECONDITION, 409},
      {grpc::StatusCode::ABORTED, 412},
      {grpc::StatusCode::OUT_OF_RANGE, 500},
      {grpc::StatusCode::UNIMPLEMENTED, 500},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DATA_LOSS, 500},
      {grpc::StatusCode::UNAUTHENTICATED, 401},
  };
  for (const auto& [code, http] : cases) {
    EXPECT_EQ(HttpStatusFor(code), http) << GrpcCodeName(code);
    grpc::Status status(code, "m");
    EXPECT_EQ(HttpStatusFor(status), http) << GrpcCodeName(code);
    EXPECT_EQ(ToHttpError(status).http_status, http) << GrpcCodeName(code);
    EXPECT_EQ(ToHttpError(FromGrpcStatus(status)).http_status, code == grpc::StatusCode::OK ? 200 : http);
  }
}

TEST(HttpErrorsTest, FullWorkerPoolIs503WithRetryAfter) {
  // What common/grpc/blocking_call.h sends today.
  grpc::Status busy(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy; retry later");
  EXPECT_TRUE(IsServerBusy(busy));
  HttpError error = ToHttpError(busy);
  EXPECT_EQ(error.http_status, 503);
  EXPECT_EQ(error.retry_after_seconds, 1);

  // The preferred signal: a RetryInfo detail, whose delay is rounded up.
  google::rpc::RetryInfo retry_info = RetryAfter(2, 500000000);
  grpc::Status with_retry_info =
      WithDetails(grpc::StatusCode::RESOURCE_EXHAUSTED, "overloaded", {&retry_info});
  error = ToHttpError(with_retry_info);
  EXPECT_EQ(error.http_status, 503);
  EXPECT_EQ(error.retry_after_seconds, 3);
  nlohmann::json body = nlohmann::json::parse(error.body);
  ASSERT_EQ(body["details"].size(), 1u);
  EXPECT_EQ(body["details"][0]["@type"], "type.googleapis.com/google.rpc.RetryInfo");
  EXPECT_EQ(body["details"][0]["retryDelay"], "2.500s");

  // Any other exhaustion is the client's: 429, nothing said about retrying.
  grpc::Status quota(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many reminders");
  EXPECT_FALSE(IsServerBusy(quota));
  error = ToHttpError(quota);
  EXPECT_EQ(error.http_status, 429);
  EXPECT_FALSE(error.retry_after_seconds.has_value());

  // The gateway's own rate limiter: 429, with Retry-After when it says when.
  error = ToHttpError(absl::ResourceExhaustedError("rate limited"));
  EXPECT_EQ(error.http_status, 429);
  EXPECT_FALSE(error.retry_after_seconds.has_value());
  absl::Status limited =
      FromGrpcStatus(WithDetails(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate limited", {&retry_info}));
  error = ToHttpError(limited);
  EXPECT_EQ(error.http_status, 429);
  EXPECT_EQ(error.retry_after_seconds, 3);

  // UNAVAILABLE with a RetryInfo also says when.
  google::rpc::RetryInfo zero = RetryAfter(0, 0);
  EXPECT_EQ(RetryAfterSeconds(WithDetails(grpc::StatusCode::UNAVAILABLE, "x", {&zero})), 1);
  EXPECT_FALSE(RetryAfterSeconds(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")).has_value());
}

TEST(HttpErrorsTest, BodyKeepsFieldViolations) {
  FieldViolations violations;
  violations.Add("goal.milestones[2].title", "is required");
  violations.Add("client_id", "is not a valid id");
  grpc::Status status = ToGrpcStatus(violations.ToStatus());
  HttpError error = ToHttpError(status);
  EXPECT_EQ(error.http_status, 400);
  nlohmann::json body = nlohmann::json::parse(error.body);
  EXPECT_EQ(body["code"], 3);
  EXPECT_EQ(body["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(body["message"], "invalid request: goal.milestones[2].title, client_id");
  ASSERT_EQ(body["details"].size(), 1u);
  EXPECT_EQ(body["details"][0]["@type"], "type.googleapis.com/google.rpc.BadRequest");
  EXPECT_EQ(body["details"][0]["fieldViolations"],
            nlohmann::json::parse(R"([{"field": "goal.milestones[2].title", "description": "is required"},
                                     {"field": "client_id", "description": "is not a valid id"}])"));

  // The same from an absl::Status made in the gateway.
  EXPECT_EQ(nlohmann::json::parse(ErrorBody(violations.ToStatus())), body);
}

TEST(HttpErrorsTest, BodyKeepsConflictDetails) {
  absl::Status conflict =
      ConflictError(absl::StatusCode::kAlreadyExists, "appointment overlaps another",
                    "tandem.scheduling.v1.Appointment", "appointments/a-17", "APPOINTMENT_OVERLAPS");
  HttpError error = ToHttpError(ToGrpcStatus(conflict));
  EXPECT_EQ(error.http_status, 409);
  EXPECT_FALSE(error.retry_after_seconds.has_value());
  nlohmann::json body = nlohmann::json::parse(error.body);
  EXPECT_EQ(body["code"], 6);
  EXPECT_EQ(body["status"], "ALREADY_EXISTS");
  EXPECT_EQ(body["message"], "appointment overlaps another");
  EXPECT_EQ(body["details"], nlohmann::json::parse(R"([
      {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "APPOINTMENT_OVERLAPS",
       "domain": "tandem", "metadata": {}},
      {"@type": "type.googleapis.com/google.rpc.ResourceInfo",
       "resourceType": "tandem.scheduling.v1.Appointment", "resourceName": "appointments/a-17",
       "owner": "", "description": ""}])"));

  // ErrorInfo metadata, and the same body for an error made in the gateway.
  google::rpc::ErrorInfo quota;
  quota.set_reason("DAILY_LIMIT");
  quota.set_domain(kErrorInfoDomain);
  (*quota.mutable_metadata())["limit"] = "100";
  body = nlohmann::json::parse(ErrorBody(WithDetail(absl::ResourceExhaustedError("limit reached"), quota)));
  ASSERT_EQ(body["details"].size(), 1u);
  EXPECT_EQ(body["details"][0]["metadata"], nlohmann::json::parse(R"({"limit": "100"})"));
}

TEST(HttpErrorsTest, BodyKeepsPreconditionFailures) {
  absl::Status status =
      PreconditionError("note is signed", {PreconditionViolation("NOTE_STATE", "notes/n-3", "is signed")});
  HttpError error = ToHttpError(ToGrpcStatus(status));
  EXPECT_EQ(error.http_status, 409);
  nlohmann::json body = nlohmann::json::parse(error.body);
  EXPECT_EQ(body["status"], "FAILED_PRECONDITION");
  EXPECT_EQ(body["details"], nlohmann::json::parse(R"([
      {"@type": "type.googleapis.com/google.rpc.PreconditionFailure",
       "violations": [{"type": "NOTE_STATE", "subject": "notes/n-3", "description": "is signed"}]}])"));
}

TEST(HttpErrorsTest, InternalsOfTransportErrorsAreNotShown) {
  nlohmann::json body = nlohmann::json::parse(ErrorBody(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses; ipv4:10.1.2.3:7001")));
  EXPECT_EQ(body["code"], 14);
  EXPECT_EQ(body["status"], "UNAVAILABLE");
  EXPECT_THAT(body["message"].get<std::string>(), Not(HasSubstr("10.1.2.3")));
  EXPECT_EQ(body["details"], nlohmann::json::array());

  body = nlohmann::json::parse(
      ErrorBody(grpc::Status(grpc::StatusCode::INTERNAL, "Received RST_STREAM with error code 2")));
  EXPECT_EQ(body["message"], "internal error");
  body = nlohmann::json::parse(
      ErrorBody(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded at x.cc:12")));
  EXPECT_EQ(body["message"], "deadline exceeded");

  // What services send on purpose is kept.
  body = nlohmann::json::parse(
      ErrorBody(grpc::Status(grpc::StatusCode::INTERNAL, "internal error; quote request id r-1 to support")));
  EXPECT_EQ(body["message"], "internal error; quote request id r-1 to support");
  body = nlohmann::json::parse(ErrorBody(grpc::Status(grpc::StatusCode::NOT_FOUND, "appointment not found")));
  EXPECT_EQ(body["message"], "appointment not found");
}

TEST(HttpErrorsTest, HostileDetailsAndMessagesStillMakeValidJson) {
  grpc::Status garbage(grpc::StatusCode::INVALID_ARGUMENT, "bad \xff\xfe bytes", "\x08\x96\x01garbage\xff");
  nlohmann::json body = nlohmann::json::parse(ErrorBody(garbage));
  EXPECT_EQ(body["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(body["details"], nlohmann::json::array());

  // Unknown detail types are left out rather than echoed.
  google::rpc::Status unknown_detail;
  unknown_detail.set_code(3);
  auto* any = unknown_detail.add_details();
  any->set_type_url("type.googleapis.com/some.Secret");
  any->set_value("private");
  nlohmann::json unknown_body = nlohmann::json::parse(
      ErrorBody(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "m", unknown_detail.SerializeAsString())));
  EXPECT_EQ(unknown_body["details"], nlohmann::json::array());
}

}  // namespace
}  // namespace tandem::gateway
