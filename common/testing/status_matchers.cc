#include "common/testing/status_matchers.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/error_details.h"
#include "common/status/grpc_status.h"

namespace tandem::testing {
namespace status_matchers_internal {

absl::Status GetStatus(const grpc::Status& status) { return FromGrpcStatus(status); }

std::string Summary(const absl::Status& status) {
  if (status.ok()) return "OK";
  std::string summary = absl::StrCat(absl::StatusCodeToString(status.code()), ": ",
                                     ::testing::PrintToString(std::string(status.message())));
  std::vector<std::string> type_urls;
  for (const auto& detail : DetailsOf(status)) type_urls.push_back(detail.type_url());
  if (!type_urls.empty()) absl::StrAppend(&summary, " with details [", absl::StrJoin(type_urls, ", "), "]");
  return summary;
}

void IsOkMatcher::DescribeTo(std::ostream* os) const { *os << "is OK"; }

void IsOkMatcher::DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }

bool IsOkMatcher::MatchStatus(const absl::Status& status, ::testing::MatchResultListener* listener) {
  *listener << "which has status " << Summary(status);
  return status.ok();
}

void StatusIsMatcher::DescribeTo(std::ostream* os) const {
  *os << "has a status code that ";
  code_.DescribeTo(os);
  if (message_.has_value()) {
    *os << ", and has a message that ";
    message_->DescribeTo(os);
  }
}

void StatusIsMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "has a status code that ";
  code_.DescribeNegationTo(os);
  if (message_.has_value()) {
    *os << ", or has a message that ";
    message_->DescribeNegationTo(os);
  }
}

bool StatusIsMatcher::MatchStatus(const absl::Status& status,
                                  ::testing::MatchResultListener* listener) const {
  *listener << "which has status " << Summary(status);
  ::testing::StringMatchResultListener code_listener;
  if (!code_.MatchAndExplain(status.code(), &code_listener)) {
    if (!code_listener.str().empty()) *listener << ", whose code " << code_listener.str();
    return false;
  }
  if (!message_.has_value()) return true;
  ::testing::StringMatchResultListener message_listener;
  if (!message_->MatchAndExplain(std::string(status.message()), &message_listener)) {
    if (!message_listener.str().empty()) *listener << ", whose message " << message_listener.str();
    return false;
  }
  return true;
}

::testing::AssertionResult IsOkToAssign(const char* /*text_expression*/, const char* /*status_expression*/,
                                        const char* text, const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "Expected: " << text << " is OK\n  Actual: " << Summary(status);
}

}  // namespace status_matchers_internal

::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(
    ::testing::Matcher<absl::StatusCode> code) {
  return ::testing::MakePolymorphicMatcher(
      status_matchers_internal::StatusIsMatcher(std::move(code), std::nullopt));
}

::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(
    ::testing::Matcher<absl::StatusCode> code, ::testing::Matcher<const std::string&> message) {
  return ::testing::MakePolymorphicMatcher(
      status_matchers_internal::StatusIsMatcher(std::move(code), std::move(message)));
}

::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(grpc::StatusCode code) {
  return StatusIs(FromGrpcCode(code));
}

::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(
    grpc::StatusCode code, ::testing::Matcher<const std::string&> message) {
  return StatusIs(FromGrpcCode(code), std::move(message));
}

}  // namespace tandem::testing
