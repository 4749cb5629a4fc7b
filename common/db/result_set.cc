#include "common/db/result_set.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tandem::db {
namespace {

std::string Describe(ColumnRef column) {
  if (column.by_name()) return absl::StrCat("column \"", column.name(), "\"");
  return absl::StrCat("column ", column.index());
}

absl::Status Mismatch(ColumnRef column, const Value& value, absl::string_view wanted) {
  return absl::InternalError(
      absl::StrCat(Describe(column), " holds ", ValueTypeName(value.type()), ", not ", wanted));
}

// The conversions, each given a non-NULL cell.
absl::StatusOr<int64_t> ToInt64(ColumnRef column, const Value& value) {
  if (const int64_t* v = value.AsInt64()) return *v;
  if (const bool* v = value.AsBool()) return *v ? 1 : 0;
  if (const double* v = value.AsDouble()) {
    // PostgreSQL returns numeric for SUM(bigint); accept it when it is integral.
    if (std::trunc(*v) == *v && std::fabs(*v) < 9.2e18) return static_cast<int64_t>(*v);
  }
  return Mismatch(column, value, "int64");
}

absl::StatusOr<double> ToDouble(ColumnRef column, const Value& value) {
  if (const double* v = value.AsDouble()) return *v;
  if (const int64_t* v = value.AsInt64()) return static_cast<double>(*v);
  return Mismatch(column, value, "double");
}

absl::StatusOr<std::string> ToText(ColumnRef column, const Value& value) {
  if (const std::string* v = value.AsText()) return *v;
  return Mismatch(column, value, "text");
}

absl::StatusOr<std::string> ToBytes(ColumnRef column, const Value& value) {
  if (const Bytes* v = value.AsBytes()) return v->data;
  if (const std::string* v = value.AsText()) return *v;
  return Mismatch(column, value, "bytes");
}

absl::StatusOr<bool> ToBool(ColumnRef column, const Value& value) {
  if (const bool* v = value.AsBool()) return *v;
  if (const int64_t* v = value.AsInt64()) {
    if (*v == 0 || *v == 1) return *v == 1;
  }
  return Mismatch(column, value, "bool");
}

absl::StatusOr<absl::Time> ToTime(ColumnRef column, const Value& value) {
  if (const absl::Time* v = value.AsTime()) return *v;
  if (const int64_t* v = value.AsInt64()) return absl::FromUnixMicros(*v);
  return Mismatch(column, value, "time");
}

template <typename T, typename Convert>
absl::StatusOr<T> Required(absl::StatusOr<const Value*> cell, ColumnRef column, Convert convert) {
  if (!cell.ok()) return cell.status();
  if ((*cell)->is_null()) return absl::InternalError(absl::StrCat(Describe(column), " is NULL"));
  return convert(column, **cell);
}

template <typename T, typename Convert>
absl::StatusOr<absl::optional<T>> Optional(absl::StatusOr<const Value*> cell, ColumnRef column,
                                           Convert convert) {
  if (!cell.ok()) return cell.status();
  if ((*cell)->is_null()) return absl::optional<T>();
  absl::StatusOr<T> value = convert(column, **cell);
  if (!value.ok()) return value.status();
  return absl::optional<T>(*std::move(value));
}

}  // namespace

absl::StatusOr<const Value*> Row::Cell(ColumnRef column) const {
  if (!column.by_name()) {
    if (column.index() >= size()) {
      return absl::InternalError(absl::StrCat(Describe(column), " is out of range (", size(), " columns)"));
    }
    return &values_[static_cast<size_t>(column.index())];
  }
  if (columns_ != nullptr) {
    for (size_t i = 0; i < columns_->size() && i < values_.size(); ++i) {
      if ((*columns_)[i] == column.name()) return &values_[i];
    }
  }
  return absl::InternalError(absl::StrCat(Describe(column), " is not in the result"));
}

absl::StatusOr<Value> Row::Get(ColumnRef column) const {
  absl::StatusOr<const Value*> cell = Cell(column);
  if (!cell.ok()) return cell.status();
  return **cell;
}

absl::StatusOr<bool> Row::IsNull(ColumnRef column) const {
  absl::StatusOr<const Value*> cell = Cell(column);
  if (!cell.ok()) return cell.status();
  return (*cell)->is_null();
}

absl::StatusOr<int64_t> Row::GetInt64(ColumnRef column) const {
  return Required<int64_t>(Cell(column), column, ToInt64);
}
absl::StatusOr<double> Row::GetDouble(ColumnRef column) const {
  return Required<double>(Cell(column), column, ToDouble);
}
absl::StatusOr<std::string> Row::GetText(ColumnRef column) const {
  return Required<std::string>(Cell(column), column, ToText);
}
absl::StatusOr<std::string> Row::GetBytes(ColumnRef column) const {
  return Required<std::string>(Cell(column), column, ToBytes);
}
absl::StatusOr<bool> Row::GetBool(ColumnRef column) const {
  return Required<bool>(Cell(column), column, ToBool);
}
absl::StatusOr<absl::Time> Row::GetTime(ColumnRef column) const {
  return Required<absl::Time>(Cell(column), column, ToTime);
}

absl::StatusOr<absl::optional<int64_t>> Row::GetOptionalInt64(ColumnRef column) const {
  return Optional<int64_t>(Cell(column), column, ToInt64);
}
absl::StatusOr<absl::optional<double>> Row::GetOptionalDouble(ColumnRef column) const {
  return Optional<double>(Cell(column), column, ToDouble);
}
absl::StatusOr<absl::optional<std::string>> Row::GetOptionalText(ColumnRef column) const {
  return Optional<std::string>(Cell(column), column, ToText);
}
absl::StatusOr<absl::optional<std::string>> Row::GetOptionalBytes(ColumnRef column) const {
  return Optional<std::string>(Cell(column), column, ToBytes);
}
absl::StatusOr<absl::optional<bool>> Row::GetOptionalBool(ColumnRef column) const {
  return Optional<bool>(Cell(column), column, ToBool);
}
absl::StatusOr<absl::optional<absl::Time>> Row::GetOptionalTime(ColumnRef column) const {
  return Optional<absl::Time>(Cell(column), column, ToTime);
}

}  // namespace tandem::db
