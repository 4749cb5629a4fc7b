#ifndef TANDEM_COMMON_DB_RESULT_SET_H_
#define TANDEM_COMMON_DB_RESULT_SET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "common/db/value.h"

namespace tandem::db {

// Names a result column by position (0-based) or by name: `row.GetText(0)` or `row.GetText("client_id")`.
class ColumnRef {
 public:
  ColumnRef(int index) : index_(index) {}                          // NOLINT
  ColumnRef(const char* name) : index_(-1), name_(name) {}         // NOLINT
  ColumnRef(absl::string_view name) : index_(-1), name_(name) {}   // NOLINT
  ColumnRef(const std::string& name) : index_(-1), name_(name) {}  // NOLINT

  int index() const { return index_; }
  absl::string_view name() const { return name_; }
  bool by_name() const { return index_ < 0; }

 private:
  int index_;
  absl::string_view name_;
};

// One result row. Getters convert between the two backends' representations (a SQLite 0/1 is a bool, a SQLite
// integer of microseconds is a time) and fail with INTERNAL on a NULL, a type mismatch or an unknown column;
// the error names the column and the types, never the value. The GetOptional* forms map NULL to nullopt.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  int size() const { return static_cast<int>(values_.size()); }
  const std::vector<Value>& values() const { return values_; }

  // The raw cell, or INTERNAL for an unknown column.
  absl::StatusOr<Value> Get(ColumnRef column) const;
  absl::StatusOr<bool> IsNull(ColumnRef column) const;

  absl::StatusOr<int64_t> GetInt64(ColumnRef column) const;
  absl::StatusOr<double> GetDouble(ColumnRef column) const;
  absl::StatusOr<std::string> GetText(ColumnRef column) const;
  absl::StatusOr<std::string> GetBytes(ColumnRef column) const;
  absl::StatusOr<bool> GetBool(ColumnRef column) const;
  absl::StatusOr<absl::Time> GetTime(ColumnRef column) const;

  absl::StatusOr<absl::optional<int64_t>> GetOptionalInt64(ColumnRef column) const;
  absl::StatusOr<absl::optional<double>> GetOptionalDouble(ColumnRef column) const;
  absl::StatusOr<absl::optional<std::string>> GetOptionalText(ColumnRef column) const;
  absl::StatusOr<absl::optional<std::string>> GetOptionalBytes(ColumnRef column) const;
  absl::StatusOr<absl::optional<bool>> GetOptionalBool(ColumnRef column) const;
  absl::StatusOr<absl::optional<absl::Time>> GetOptionalTime(ColumnRef column) const;

 private:
  absl::StatusOr<const Value*> Cell(ColumnRef column) const;

  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Value> values_;
};

// What one statement returned: its rows (empty for statements without RETURNING) and, for INSERT, UPDATE and
// DELETE, the number of rows changed (0 for queries on both backends).
class ResultSet {
 public:
  ResultSet() : columns_(std::make_shared<std::vector<std::string>>()) {}
  ResultSet(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Row> rows,
            int64_t affected_rows)
      : columns_(std::move(columns)), rows_(std::move(rows)), affected_rows_(affected_rows) {}

  const std::vector<std::string>& columns() const { return *columns_; }
  const std::vector<Row>& rows() const { return rows_; }
  bool empty() const { return rows_.empty(); }
  int size() const { return static_cast<int>(rows_.size()); }
  const Row& operator[](int i) const { return rows_[static_cast<size_t>(i)]; }
  int64_t affected_rows() const { return affected_rows_; }

  std::vector<Row>::const_iterator begin() const { return rows_.begin(); }
  std::vector<Row>::const_iterator end() const { return rows_.end(); }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Row> rows_;
  int64_t affected_rows_ = 0;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_RESULT_SET_H_
