#ifndef TANDEM_COMMON_TESTING_STATUS_MATCHERS_H_
#define TANDEM_COMMON_TESTING_STATUS_MATCHERS_H_

#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status/status_macros.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"

// gMock matchers for absl::Status, absl::StatusOr<T> and grpc::Status (compared through FromGrpcStatus, so
// rich details and codes mean the same on both sides of a call):
//
//   EXPECT_THAT(service.Get(request), IsOkAndHolds(Property(&Appointment::id, "a-1")));
//   EXPECT_THAT(stub_status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("appointment")));
//   ASSERT_OK_AND_ASSIGN(auto appointment, store.Load(id));
//
// Inside `namespace tandem`, write GoogleTest's namespace as `::testing`.
namespace tandem::testing {
namespace status_matchers_internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}
absl::Status GetStatus(const grpc::Status& status);

// "NOT_FOUND: \"message\"" and the type URLs of any rich details, for failure messages.
std::string Summary(const absl::Status& status);

class IsOkMatcher {
 public:
  template <typename StatusType>
  bool MatchAndExplain(const StatusType& actual, ::testing::MatchResultListener* listener) const {
    return MatchStatus(GetStatus(actual), listener);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  static bool MatchStatus(const absl::Status& status, ::testing::MatchResultListener* listener);
};

class StatusIsMatcher {
 public:
  // Without `message`, any message matches and descriptions leave it out.
  StatusIsMatcher(::testing::Matcher<absl::StatusCode> code,
                  std::optional<::testing::Matcher<const std::string&>> message)
      : code_(std::move(code)), message_(std::move(message)) {}

  template <typename StatusType>
  bool MatchAndExplain(const StatusType& actual, ::testing::MatchResultListener* listener) const {
    return MatchStatus(GetStatus(actual), listener);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  bool MatchStatus(const absl::Status& status, ::testing::MatchResultListener* listener) const;

  ::testing::Matcher<absl::StatusCode> code_;
  std::optional<::testing::Matcher<const std::string&>> message_;
};

// StatusOrType is `const absl::StatusOr<T>&`; the inner matcher is typed once T is known.
template <typename StatusOrType>
class IsOkAndHoldsMatcherImpl : public ::testing::MatcherInterface<StatusOrType> {
 public:
  using ValueType = typename std::remove_cv_t<std::remove_reference_t<StatusOrType>>::value_type;

  template <typename InnerMatcher>
  explicit IsOkAndHoldsMatcherImpl(const InnerMatcher& inner)
      : inner_(::testing::SafeMatcherCast<const ValueType&>(inner)) {}

  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and has a value that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not OK or has a value that ";
    inner_.DescribeNegationTo(os);
  }
  bool MatchAndExplain(StatusOrType actual, ::testing::MatchResultListener* listener) const override {
    if (!actual.ok()) {
      *listener << "which has status " << Summary(actual.status());
      return false;
    }
    ::testing::StringMatchResultListener inner_listener;
    const bool matches = inner_.MatchAndExplain(*actual, &inner_listener);
    *listener << "which contains value " << ::testing::PrintToString(*actual);
    if (!inner_listener.str().empty()) *listener << ", " << inner_listener.str();
    return matches;
  }

 private:
  ::testing::Matcher<const ValueType&> inner_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  // Polymorphic like gMock's own matchers: becomes a Matcher for whichever StatusOr it is applied to.
  template <typename StatusOrType>
  operator ::testing::Matcher<StatusOrType>() const {  // NOLINT(google-explicit-constructor)
    return ::testing::Matcher<StatusOrType>(new IsOkAndHoldsMatcherImpl<const StatusOrType&>(inner_));
  }

 private:
  InnerMatcher inner_;
};

// ASSERT_OK_AND_ASSIGN's check: names the expression and its status rather than the hidden variable.
::testing::AssertionResult IsOkToAssign(const char* text_expression, const char* status_expression,
                                        const char* text, const absl::Status& status);

}  // namespace status_matchers_internal

// Matches an OK status (or a StatusOr holding a value).
inline ::testing::PolymorphicMatcher<status_matchers_internal::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(status_matchers_internal::IsOkMatcher());
}

// Matches a status whose code matches `code` (a code or a matcher) and whose message matches `message` (a
// string or a matcher such as HasSubstr); an OK StatusOr has code OK.
::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(
    ::testing::Matcher<absl::StatusCode> code);
::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(
    ::testing::Matcher<absl::StatusCode> code, ::testing::Matcher<const std::string&> message);
// The same with a gRPC code, for tests written against stubs.
::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(grpc::StatusCode code);
::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(
    grpc::StatusCode code, ::testing::Matcher<const std::string&> message);

// Matches an OK absl::StatusOr<T> whose value matches `inner` (a value or a matcher).
template <typename InnerMatcher>
status_matchers_internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>> IsOkAndHolds(InnerMatcher&& inner) {
  return status_matchers_internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>(
      std::forward<InnerMatcher>(inner));
}

}  // namespace tandem::testing

// EXPECT_OK(expr) / ASSERT_OK(expr): `expr` (a Status, StatusOr or grpc::Status) is OK.
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::tandem::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::tandem::testing::IsOk())

// ASSERT_OK_AND_ASSIGN(lhs, expr): asserts the StatusOr `expr` is OK and moves its value into `lhs` (which
// may be a declaration such as `auto x`). Only in functions returning void, like every ASSERT_*.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                                                   \
  TANDEM_ASSERT_OK_AND_ASSIGN_IMPL(TANDEM_STATUS_CONCAT(tandem_assert_statusor_, __COUNTER__), lhs, expr, \
                                   #expr)

// `statusor` names the variable this macro declares and `lhs` may be a declaration: neither can be
// parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define TANDEM_ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, expr, text)                                        \
  auto statusor = (expr);                                                                                  \
  ASSERT_PRED_FORMAT2(::tandem::testing::status_matchers_internal::IsOkToAssign, text, statusor.status()); \
  lhs = *std::move(statusor)
// NOLINTEND(bugprone-macro-parentheses)

#endif  // TANDEM_COMMON_TESTING_STATUS_MATCHERS_H_
