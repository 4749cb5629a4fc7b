#ifndef TANDEM_COMMON_STATUS_STATUS_MACROS_H_
#define TANDEM_COMMON_STATUS_STATUS_MACROS_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

// Early-return helpers for absl::Status / absl::StatusOr, the only error channel inside Tandem.

#define TANDEM_STATUS_CONCAT_INNER(a, b) a##b
#define TANDEM_STATUS_CONCAT(a, b) TANDEM_STATUS_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): returns the status of `expr` (a Status or StatusOr) from the enclosing function when
// it is not OK.
#define RETURN_IF_ERROR(expr) \
  TANDEM_RETURN_IF_ERROR_IMPL(TANDEM_STATUS_CONCAT(tandem_status_, __COUNTER__), expr)

// `status` and `statusor` name the variables these macros declare, and `lhs` may itself be a declaration:
// none of them can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)

// A name of its own per use, so a RETURN_IF_ERROR inside a lambda inside another does not shadow.
#define TANDEM_RETURN_IF_ERROR_IMPL(status, expr)                                  \
  do {                                                                             \
    if (auto status = ::tandem::status_internal::AsStatus((expr)); !status.ok()) { \
      return status;                                                               \
    }                                                                              \
  } while (false)

// ASSIGN_OR_RETURN(lhs, expr): evaluates the StatusOr `expr`; returns its status when not OK, otherwise moves
// its value into `lhs` (which may be a declaration such as `auto x`).
#define ASSIGN_OR_RETURN(lhs, expr) \
  TANDEM_ASSIGN_OR_RETURN_IMPL(TANDEM_STATUS_CONCAT(tandem_statusor_, __LINE__), lhs, expr)

#define TANDEM_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) {                                   \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = *std::move(statusor)

// TANDEM_RETURN_IF_ERROR(expr) and TANDEM_ASSIGN_OR_RETURN(lhs, expr): the same, under names no other library
// defines. Their variables are numbered per use rather than per line, under a prefix of their own so they
// cannot meet an ASSIGN_OR_RETURN's line-numbered one.
#define TANDEM_RETURN_IF_ERROR(expr) \
  TANDEM_RETURN_IF_ERROR_IMPL(TANDEM_STATUS_CONCAT(tandem_status_, __COUNTER__), expr)
#define TANDEM_ASSIGN_OR_RETURN(lhs, expr) \
  TANDEM_ASSIGN_OR_RETURN_IMPL(TANDEM_STATUS_CONCAT(tandem_assign_or_return_, __COUNTER__), lhs, expr)

// TANDEM_RETURN_IF_ERROR_CTX(expr, context) and TANDEM_ASSIGN_OR_RETURN_CTX(lhs, expr, context): as above,
// but the returned error's message becomes "context: message" (same code, same payloads), so a caller can
// tell which step failed. `context` is evaluated only on error.
#define TANDEM_RETURN_IF_ERROR_CTX(expr, context) \
  TANDEM_RETURN_IF_ERROR_CTX_IMPL(TANDEM_STATUS_CONCAT(tandem_status_, __COUNTER__), expr, context)

#define TANDEM_RETURN_IF_ERROR_CTX_IMPL(status, expr, context)                     \
  do {                                                                             \
    if (auto status = ::tandem::status_internal::AsStatus((expr)); !status.ok()) { \
      return ::tandem::status_internal::WithContext(status, (context));            \
    }                                                                              \
  } while (false)

#define TANDEM_ASSIGN_OR_RETURN_CTX(lhs, expr, context)                                                    \
  TANDEM_ASSIGN_OR_RETURN_CTX_IMPL(TANDEM_STATUS_CONCAT(tandem_assign_or_return_, __COUNTER__), lhs, expr, \
                                   context)

#define TANDEM_ASSIGN_OR_RETURN_CTX_IMPL(statusor, lhs, expr, context)           \
  auto statusor = (expr);                                                        \
  if (!statusor.ok()) {                                                          \
    return ::tandem::status_internal::WithContext(statusor.status(), (context)); \
  }                                                                              \
  lhs = *std::move(statusor)

// NOLINTEND(bugprone-macro-parentheses)

namespace tandem::status_internal {

inline const absl::Status& AsStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// `status` with "context: " before its message; code and payloads (rich error details) are kept.
inline absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (context.empty()) return status;
  absl::Status result(status.code(), status.message().empty()
                                         ? std::string(context)
                                         : absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&result](absl::string_view type_url, const absl::Cord& payload) {
    result.SetPayload(type_url, payload);
  });
  return result;
}

}  // namespace tandem::status_internal

#endif  // TANDEM_COMMON_STATUS_STATUS_MACROS_H_
