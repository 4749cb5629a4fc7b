#include "absl/status/status.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "common/status/server_only_message.h"
#include "common/status/status_macros.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace tandem {
namespace {

struct CodePair {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
};

class CodeMappingTest : public testing::TestWithParam<CodePair> {};

TEST_P(CodeMappingTest, MapsBothWays) {
  EXPECT_EQ(ToGrpcCode(GetParam().absl_code), GetParam().grpc_code);
  EXPECT_EQ(FromGrpcCode(GetParam().grpc_code), GetParam().absl_code);
}

INSTANTIATE_TEST_SUITE_P(
    EveryCode, CodeMappingTest,
    testing::Values(CodePair{absl::StatusCode::kOk, grpc::StatusCode::OK},
                    CodePair{absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
                    CodePair{absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
                    CodePair{absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
                    CodePair{absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
                    CodePair{absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
                    CodePair{absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
                    CodePair{absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
                    CodePair{absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
                    CodePair{absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
                    CodePair{absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
                    CodePair{absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
                    CodePair{absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
                    CodePair{absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
                    CodePair{absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
                    CodePair{absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
                    CodePair{absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED}));

TEST(CodeMapping, OutOfRangeValuesAreUnknown) {
  EXPECT_EQ(FromGrpcCode(static_cast<grpc::StatusCode>(99)), absl::StatusCode::kUnknown);
  EXPECT_EQ(ToGrpcCode(static_cast<absl::StatusCode>(99)), grpc::StatusCode::UNKNOWN);
}

TEST(GrpcStatus, RoundTripsMessage) {
  grpc::Status g = ToGrpcStatus(absl::NotFoundError("no such appointment"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "no such appointment");
  absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back, absl::NotFoundError("no such appointment"));
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(FieldViolations, EmptyIsOk) {
  FieldViolations v;
  EXPECT_TRUE(v.ToStatus().ok());
}

TEST(FieldViolations, CarriesEveryViolationAsStandardBadRequest) {
  FieldViolations v;
  v.Add("client_id", "is required");
  v.Add("start_time", "must be before end_time");
  absl::Status status = v.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), testing::HasSubstr("client_id"));
  EXPECT_THAT(status.message(), testing::HasSubstr("start_time"));

  // What a standard client sees in grpc-status-details-bin.
  grpc::Status g = ToGrpcStatus(status);
  google::rpc::Status rpc_status;
  ASSERT_TRUE(rpc_status.ParseFromString(g.error_details()));
  EXPECT_EQ(rpc_status.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_EQ(rpc_status.details_size(), 1);
  EXPECT_EQ(rpc_status.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(rpc_status.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(1).field(), "start_time");

  // And back through the absl side.
  auto violations = GetFieldViolations(FromGrpcStatus(g));
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field(), "client_id");
  EXPECT_EQ(violations[0].description(), "is required");
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x));
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ServerOnlyMessageTest, TheMarkTravelsWithTheStatusButNotToTheCaller) {
  absl::Status marked = MarkServerOnlyMessage(absl::AlreadyExistsError("SQLSTATE 23505 table t"));
  EXPECT_TRUE(HasServerOnlyMessage(marked));
  // A status passed on by value (RETURN_IF_ERROR, StatusOr) keeps its mark.
  absl::StatusOr<int> carried = marked;
  EXPECT_TRUE(HasServerOnlyMessage(carried.status()));
  EXPECT_FALSE(HasServerOnlyMessage(absl::AlreadyExistsError("the record already exists")));
  EXPECT_FALSE(HasServerOnlyMessage(MarkServerOnlyMessage(absl::OkStatus())));
  // The mark is no google.rpc.Status: it never becomes error details.
  EXPECT_TRUE(ToGrpcStatus(marked).error_details().empty());
  EXPECT_EQ(PublicMessageFor(absl::StatusCode::kAlreadyExists), "the record already exists");
  EXPECT_EQ(PublicMessageFor(absl::StatusCode::kAborted),
            "the request conflicts with a concurrent change; retry");
}

}  // namespace
}  // namespace tandem
