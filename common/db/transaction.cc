#include "common/db/transaction.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/db/placeholders.h"

namespace tandem::db {

absl::Status Transaction::CheckOpen() const {
  switch (state_) {
    case State::kOpen:
      return absl::OkStatus();
    case State::kFailed:
      return absl::AbortedError("transaction already failed; roll back and retry it");
    case State::kDone:
      return absl::FailedPreconditionError("transaction already finished");
  }
  return absl::InternalError("transaction in an unknown state");
}

absl::StatusOr<ResultSet> Transaction::Execute(absl::string_view sql, absl::Span<const Value> params) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  absl::StatusOr<int> count = CountPlaceholders(sql);
  absl::Status invalid;
  if (!count.ok()) {
    invalid = count.status();
  } else if (static_cast<size_t>(*count) != params.size()) {
    invalid = absl::InvalidArgumentError(absl::StrCat("statement has ", *count, " placeholders but ",
                                                      params.size(), " parameters were given"));
  } else {
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string* text = params[i].AsText();
      if (text != nullptr && std::memchr(text->data(), '\0', text->size()) != nullptr) {
        invalid = absl::InvalidArgumentError(
            absl::StrCat("text parameter $", i + 1, " contains a NUL byte; bind binary data as Bytes"));
        break;
      }
    }
  }
  if (!invalid.ok()) {
    state_ = State::kFailed;
    return invalid;
  }
  absl::StatusOr<ResultSet> result = backend_->Execute(sql, params);
  if (!result.ok()) state_ = State::kFailed;
  return result;
}

absl::Status Transaction::ExecuteScript(absl::string_view sql) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  absl::Status status = backend_->ExecuteScript(sql);
  if (!status.ok()) state_ = State::kFailed;
  return status;
}

absl::Status Transaction::Commit() {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  state_ = State::kDone;
  absl::Status status = backend_->Commit();
  backend_.reset();  // Returns the connection now, not when the Transaction object goes away.
  return status;
}

absl::Status Transaction::Rollback() {
  if (state_ == State::kDone) return absl::OkStatus();
  state_ = State::kDone;
  absl::Status status = backend_->Rollback();
  backend_.reset();
  return status;
}

}  // namespace tandem::db
