#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/status/error_details.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace tandem {
namespace {

using ::tandem::testing::IsOk;
using ::tandem::testing::IsOkAndHolds;
using ::tandem::testing::StatusIs;
using ::testing::DescribeMatcher;
using ::testing::ExplainMatchResult;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using ::testing::Pointee;
using ::testing::StringMatchResultListener;

google::rpc::ErrorInfo MakeErrorInfo(const std::string& reason) {
  google::rpc::ErrorInfo error_info;
  error_info.set_reason(reason);
  error_info.set_domain(kErrorInfoDomain);
  return error_info;
}

// The google.rpc.Status a standard client decodes from grpc-status-details-bin.
google::rpc::Status DecodeDetailsBin(const grpc::Status& status) {
  google::rpc::Status rpc_status;
  EXPECT_TRUE(rpc_status.ParseFromString(status.error_details()));
  return rpc_status;
}

TEST(ErrorDetails, WithDetailKeepsCodeAndMessage) {
  absl::Status status =
      WithDetail(absl::NotFoundError("no such schedule"), MakeErrorInfo("SCHEDULE_MISSING"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such schedule");
  auto error_info = FindDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(error_info.has_value());
  EXPECT_EQ(error_info->reason(), "SCHEDULE_MISSING");
  EXPECT_EQ(error_info->domain(), "tandem");
  EXPECT_FALSE(FindDetail<google::rpc::ResourceInfo>(status).has_value());
}

TEST(ErrorDetails, OkStatusCarriesNoDetails) {
  absl::Status status = WithDetail(absl::OkStatus(), MakeErrorInfo("IGNORED"));
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(DetailsOf(status).empty());
  EXPECT_TRUE(DetailsOf(absl::InternalError("plain")).empty());
}

TEST(ErrorDetails, ConflictErrorRoundTripsThroughGrpc) {
  absl::Status status =
      ConflictError(absl::StatusCode::kAlreadyExists, "appointment overlaps another",
                    "tandem.scheduling.v1.Appointment", "appointments/a-17", "APPOINTMENT_OVERLAPS");
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(status.message(), "appointment overlaps another");

  grpc::Status on_the_wire = ToGrpcStatus(status);
  EXPECT_EQ(on_the_wire.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  google::rpc::Status rpc_status = DecodeDetailsBin(on_the_wire);
  EXPECT_EQ(rpc_status.code(), static_cast<int>(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_EQ(rpc_status.message(), "appointment overlaps another");
  ASSERT_EQ(rpc_status.details_size(), 2);
  EXPECT_EQ(rpc_status.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
  EXPECT_EQ(rpc_status.details(1).type_url(), "type.googleapis.com/google.rpc.ResourceInfo");

  absl::Status back = FromGrpcStatus(on_the_wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kAlreadyExists);
  auto resource_info = FindDetail<google::rpc::ResourceInfo>(back);
  ASSERT_TRUE(resource_info.has_value());
  EXPECT_EQ(resource_info->resource_type(), "tandem.scheduling.v1.Appointment");
  EXPECT_EQ(resource_info->resource_name(), "appointments/a-17");
  auto error_info = FindDetail<google::rpc::ErrorInfo>(back);
  ASSERT_TRUE(error_info.has_value());
  EXPECT_EQ(error_info->reason(), "APPOINTMENT_OVERLAPS");
  EXPECT_EQ(error_info->domain(), kErrorInfoDomain);
}

TEST(ErrorDetails, ErrorInfoMetadataSurvivesTheWire) {
  google::rpc::ErrorInfo error_info = MakeErrorInfo("QUOTA");
  (*error_info.mutable_metadata())["limit"] = "10";
  (*error_info.mutable_metadata())["window"] = "1m";
  absl::Status back =
      FromGrpcStatus(ToGrpcStatus(WithDetail(absl::ResourceExhaustedError("too many"), error_info)));
  auto found = FindDetail<google::rpc::ErrorInfo>(back);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->metadata().size(), 2u);
  EXPECT_EQ(found->metadata().at("limit"), "10");
  EXPECT_EQ(found->metadata().at("window"), "1m");
}

TEST(ErrorDetails, PreconditionErrorRoundTripsThroughGrpc) {
  absl::Status status = PreconditionError(
      "note is signed", {PreconditionViolation("NOTE_STATE", "notes/n-3", "a signed note cannot be edited"),
                         PreconditionViolation("ETAG", "notes/n-3", "does not match")});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  auto failure = FindDetail<google::rpc::PreconditionFailure>(FromGrpcStatus(ToGrpcStatus(status)));
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 2);
  EXPECT_EQ(failure->violations(0).type(), "NOTE_STATE");
  EXPECT_EQ(failure->violations(0).subject(), "notes/n-3");
  EXPECT_EQ(failure->violations(0).description(), "a signed note cannot be edited");
  EXPECT_EQ(failure->violations(1).type(), "ETAG");
}

TEST(ErrorDetails, AppendedDetailsKeepFieldViolations) {
  FieldViolations violations;
  violations.Add("client_id", "is required");
  violations.Add("start_time", "must be before end_time");
  absl::Status status = WithDetail(violations.ToStatus(), MakeErrorInfo("INVALID_APPOINTMENT"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);

  std::vector<google::protobuf::Any> details = DetailsOf(status);
  ASSERT_EQ(details.size(), 2u);
  EXPECT_TRUE(details[0].Is<google::rpc::BadRequest>());
  EXPECT_TRUE(details[1].Is<google::rpc::ErrorInfo>());

  absl::Status back = FromGrpcStatus(ToGrpcStatus(status));
  auto field_violations = GetFieldViolations(back);
  ASSERT_EQ(field_violations.size(), 2u);
  EXPECT_EQ(field_violations[0].field(), "client_id");
  EXPECT_EQ(field_violations[1].field(), "start_time");
  EXPECT_THAT(FindDetail<google::rpc::ErrorInfo>(back),
              Optional(::testing::Property(&google::rpc::ErrorInfo::reason, "INVALID_APPOINTMENT")));
  // Only one rich-details payload: the key standard clients read.
  int payloads = 0;
  back.ForEachPayload([&payloads](absl::string_view, const absl::Cord&) { ++payloads; });
  EXPECT_EQ(payloads, 1);
}

TEST(ErrorDetails, UnreadablePayloadIsReplaced) {
  absl::Status status = absl::InternalError("x");
  status.SetPayload(kRpcStatusPayloadUrl, absl::Cord("\xff\xff not a proto"));
  EXPECT_TRUE(DetailsOf(status).empty());
  status = WithDetail(status, MakeErrorInfo("R"));
  ASSERT_EQ(DetailsOf(status).size(), 1u);
  EXPECT_TRUE(FindDetail<google::rpc::ErrorInfo>(status).has_value());
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Eighth(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  TANDEM_ASSIGN_OR_RETURN(int quarter, Half(half));
  // Numbered per use: two on one line do not collide.
  // clang-format off
  TANDEM_ASSIGN_OR_RETURN(int eighth, Half(quarter)); TANDEM_ASSIGN_OR_RETURN(int same, Half(quarter));
  // clang-format on
  return eighth == same ? eighth : -1;
}

absl::Status CheckEven(int x) {
  TANDEM_RETURN_IF_ERROR(Half(x));
  TANDEM_RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST(StatusMacros, TandemPrefixedFormsPropagate) {
  EXPECT_EQ(*Eighth(16), 2);
  EXPECT_EQ(Eighth(12).status(), absl::InvalidArgumentError("odd"));
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3), absl::InvalidArgumentError("odd"));
}

absl::Status Validate(bool ok) {
  if (ok) return absl::OkStatus();
  FieldViolations violations;
  violations.Add("start_time", "is required");
  return violations.ToStatus();
}

std::string Counted(int* evaluations, std::string context) {
  ++*evaluations;
  return context;
}

absl::Status SaveWithContext(bool ok, int* context_evaluations) {
  TANDEM_RETURN_IF_ERROR_CTX(Validate(ok), Counted(context_evaluations, "saving appointment"));
  return absl::OkStatus();
}

absl::StatusOr<int> HalfWithContext(int x) {
  TANDEM_ASSIGN_OR_RETURN_CTX(int half, Half(x), absl::StrCat("halving ", x));
  return half;
}

TEST(StatusMacros, ContextIsPrependedAndPayloadKept) {
  int context_evaluations = 0;
  EXPECT_TRUE(SaveWithContext(true, &context_evaluations).ok());
  EXPECT_EQ(context_evaluations, 0);

  absl::Status original = Validate(false);
  absl::Status status = SaveWithContext(false, &context_evaluations);
  EXPECT_EQ(context_evaluations, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), absl::StrCat("saving appointment: ", original.message()));
  EXPECT_EQ(status.GetPayload(kRpcStatusPayloadUrl), original.GetPayload(kRpcStatusPayloadUrl));
  auto violations = GetFieldViolations(FromGrpcStatus(ToGrpcStatus(status)));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field(), "start_time");

  EXPECT_EQ(*HalfWithContext(8), 4);
  EXPECT_EQ(HalfWithContext(7).status(), absl::InvalidArgumentError("halving 7: odd"));
}

absl::Status LookUp() {
  TANDEM_RETURN_IF_ERROR_CTX(absl::StatusOr<int>(ConflictError(absl::StatusCode::kAlreadyExists, "taken",
                                                               "Room", "rooms/r-1", "ROOM_TAKEN")),
                             "booking room");
  return absl::OkStatus();
}

TEST(StatusMacros, ContextKeepsRichDetailsOfStatusOr) {
  absl::Status status = LookUp();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(status.message(), "booking room: taken");
  EXPECT_THAT(FindDetail<google::rpc::ResourceInfo>(status),
              Optional(::testing::Property(&google::rpc::ResourceInfo::resource_name, "rooms/r-1")));
}

// Each check below pairs a match with a mismatch, so a matcher that always (or never) matched fails here.

TEST(StatusMatchers, IsOkOnEveryStatusType) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::NotFoundError("gone"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(absl::InternalError("x")), Not(IsOk()));
  EXPECT_THAT(grpc::Status::OK, IsOk());
  EXPECT_THAT(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"), Not(IsOk()));
  EXPECT_OK(absl::OkStatus());
  ASSERT_OK(absl::StatusOr<std::string>("fine"));
}

TEST(StatusMatchers, StatusIsChecksCodeAndMessage) {
  absl::Status not_found = absl::NotFoundError("appointment not found");
  EXPECT_THAT(not_found, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(not_found, Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(not_found, StatusIs(absl::StatusCode::kNotFound, "appointment not found"));
  EXPECT_THAT(not_found, Not(StatusIs(absl::StatusCode::kNotFound, "appointment")));
  EXPECT_THAT(not_found, StatusIs(absl::StatusCode::kNotFound, HasSubstr("appointment")));
  EXPECT_THAT(not_found, Not(StatusIs(absl::StatusCode::kNotFound, HasSubstr("client"))));
  EXPECT_THAT(not_found, Not(StatusIs(absl::StatusCode::kInternal, HasSubstr("appointment"))));

  EXPECT_THAT(absl::StatusOr<int>(absl::AbortedError("stale etag")),
              StatusIs(absl::StatusCode::kAborted, "stale etag"));
  EXPECT_THAT(absl::StatusOr<int>(1), StatusIs(absl::StatusCode::kOk));
  EXPECT_THAT(absl::StatusOr<int>(1), Not(StatusIs(absl::StatusCode::kAborted)));

  grpc::Status denied(grpc::StatusCode::PERMISSION_DENIED, "not your clinic");
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("clinic")));
  EXPECT_THAT(denied, StatusIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(denied, Not(StatusIs(grpc::StatusCode::NOT_FOUND)));
  EXPECT_THAT(not_found, StatusIs(grpc::StatusCode::NOT_FOUND, "appointment not found"));
}

TEST(StatusMatchers, IsOkAndHoldsChecksTheValue) {
  EXPECT_THAT(absl::StatusOr<int>(3), IsOkAndHolds(3));
  EXPECT_THAT(absl::StatusOr<int>(3), Not(IsOkAndHolds(4)));
  EXPECT_THAT(absl::StatusOr<int>(3), IsOkAndHolds(::testing::Gt(2)));
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("x")), Not(IsOkAndHolds(::testing::_)));
  EXPECT_THAT(absl::StatusOr<std::string>("ab"), IsOkAndHolds(HasSubstr("a")));
  EXPECT_THAT(absl::StatusOr<std::unique_ptr<int>>(std::make_unique<int>(5)), IsOkAndHolds(Pointee(5)));
  EXPECT_THAT(absl::StatusOr<std::unique_ptr<int>>(std::make_unique<int>(5)), Not(IsOkAndHolds(Pointee(6))));
}

TEST(StatusMatchers, FailuresNameCodeAndMessage) {
  StringMatchResultListener listener;
  EXPECT_FALSE(ExplainMatchResult(IsOk(), absl::InternalError("boom"), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("INTERNAL"));
  EXPECT_THAT(listener.str(), HasSubstr("\"boom\""));

  StringMatchResultListener grpc_listener;
  EXPECT_FALSE(ExplainMatchResult(StatusIs(absl::StatusCode::kNotFound),
                                  grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"), &grpc_listener));
  EXPECT_THAT(grpc_listener.str(), HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(grpc_listener.str(), HasSubstr("\"down\""));

  StringMatchResultListener details_listener;
  EXPECT_FALSE(ExplainMatchResult(
      IsOk(), ConflictError(absl::StatusCode::kAlreadyExists, "taken", "Room", "rooms/r-1", "ROOM_TAKEN"),
      &details_listener));
  EXPECT_THAT(details_listener.str(), HasSubstr("type.googleapis.com/google.rpc.ResourceInfo"));

  StringMatchResultListener value_listener;
  EXPECT_FALSE(ExplainMatchResult(IsOkAndHolds(4), absl::StatusOr<int>(3), &value_listener));
  EXPECT_THAT(value_listener.str(), HasSubstr("which contains value 3"));
  StringMatchResultListener error_listener;
  EXPECT_FALSE(
      ExplainMatchResult(IsOkAndHolds(4), absl::StatusOr<int>(absl::NotFoundError("gone")), &error_listener));
  EXPECT_THAT(error_listener.str(), HasSubstr("NOT_FOUND"));

  EXPECT_EQ(DescribeMatcher<absl::Status>(IsOk()), "is OK");
  EXPECT_EQ(DescribeMatcher<absl::Status>(IsOk(), /*negation=*/true), "is not OK");
  std::string description =
      DescribeMatcher<absl::Status>(StatusIs(absl::StatusCode::kNotFound, HasSubstr("appointment")));
  EXPECT_THAT(description, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(description, HasSubstr("appointment"));
  EXPECT_EQ(DescribeMatcher<absl::Status>(StatusIs(absl::StatusCode::kNotFound)),
            "has a status code that is equal to NOT_FOUND");
  EXPECT_EQ(DescribeMatcher<grpc::Status>(StatusIs(grpc::StatusCode::NOT_FOUND), /*negation=*/true),
            "has a status code that isn't equal to NOT_FOUND");
  EXPECT_THAT(DescribeMatcher<absl::StatusOr<int>>(IsOkAndHolds(4)), HasSubstr("is OK and has a value that"));
}

TEST(StatusMatchers, AssertionMacrosFail) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(absl::InternalError("boom")), "boom");
  EXPECT_FATAL_FAILURE(ASSERT_OK(absl::StatusOr<int>(absl::DataLossError("torn"))), "DATA_LOSS");
  EXPECT_FATAL_FAILURE(
      {
        ASSERT_OK_AND_ASSIGN(int half, Half(3));
        static_cast<void>(half);
      },
      "Half(3) is OK");
  EXPECT_FATAL_FAILURE(
      {
        ASSERT_OK_AND_ASSIGN(int half, Half(3));
        static_cast<void>(half);
      },
      "INVALID_ARGUMENT: \"odd\"");
}

TEST(StatusMatchers, AssertOkAndAssignAssigns) {
  ASSERT_OK_AND_ASSIGN(int half, Half(8));
  EXPECT_EQ(half, 4);
  ASSERT_OK_AND_ASSIGN(half, Half(half));
  EXPECT_EQ(half, 2);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<int> owned,
                       absl::StatusOr<std::unique_ptr<int>>(std::make_unique<int>(7)));
  EXPECT_THAT(owned, Pointee(7));
  // clang-format off
  ASSERT_OK_AND_ASSIGN(int a, Half(2)); ASSERT_OK_AND_ASSIGN(int b, Half(4));
  // clang-format on
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
}

}  // namespace
}  // namespace tandem
