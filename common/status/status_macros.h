#ifndef TANDEM_COMMON_STATUS_STATUS_MACROS_H_
#define TANDEM_COMMON_STATUS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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

// NOLINTEND(bugprone-macro-parentheses)

namespace tandem::status_internal {

inline const absl::Status& AsStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace tandem::status_internal

#endif  // TANDEM_COMMON_STATUS_STATUS_MACROS_H_
