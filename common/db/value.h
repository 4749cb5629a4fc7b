#ifndef TANDEM_COMMON_DB_VALUE_H_
#define TANDEM_COMMON_DB_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/variant.h"

namespace tandem::db {

// Binary data. Wrapped so that it never mixes with text: it binds as a BLOB on SQLite and as bytea (sent in
// binary, so NUL bytes survive) on PostgreSQL.
struct Bytes {
  std::string data;

  friend bool operator==(const Bytes& a, const Bytes& b) { return a.data == b.data; }
};

enum class ValueType { kNull, kInt64, kDouble, kText, kBytes, kBool, kTime };

// The name of a type ("int64", "text", ...) for error messages, which name types and never values.
absl::string_view ValueTypeName(ValueType type);

// One SQL parameter or result cell. Booleans and times have no storage class of their own in SQLite: there
// they are stored as 0/1 and as microseconds since the Unix epoch (an INTEGER column), so ordering and range
// comparisons work in shared SQL; on PostgreSQL they are `boolean` and `timestamptz`. Row's getters accept
// either representation.
class Value {
 public:
  Value() = default;        // NULL
  Value(std::nullptr_t) {}  // NOLINT: implicit so that `{nullptr, 3, "x"}` reads naturally.
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T v) : rep_(static_cast<int64_t>(v)) {}         // NOLINT
  Value(bool v) : rep_(v) {}                            // NOLINT
  Value(double v) : rep_(v) {}                          // NOLINT
  Value(std::string v) : rep_(std::move(v)) {}          // NOLINT
  Value(absl::string_view v) : rep_(std::string(v)) {}  // NOLINT
  Value(const char* v) {                                // NOLINT
    if (v != nullptr) rep_ = std::string(v);
  }
  Value(Bytes v) : rep_(std::move(v)) {}  // NOLINT
  Value(absl::Time v) : rep_(v) {}        // NOLINT
  // An empty optional is NULL.
  template <typename T>
  Value(const absl::optional<T>& v) {  // NOLINT
    if (v.has_value()) *this = Value(*v);
  }

  ValueType type() const { return static_cast<ValueType>(rep_.index()); }
  bool is_null() const { return type() == ValueType::kNull; }

  // Typed views: nullptr unless the value holds exactly that type.
  const int64_t* AsInt64() const { return absl::get_if<int64_t>(&rep_); }
  const double* AsDouble() const { return absl::get_if<double>(&rep_); }
  const std::string* AsText() const { return absl::get_if<std::string>(&rep_); }
  const Bytes* AsBytes() const { return absl::get_if<Bytes>(&rep_); }
  const bool* AsBool() const { return absl::get_if<bool>(&rep_); }
  const absl::Time* AsTime() const { return absl::get_if<absl::Time>(&rep_); }

  friend bool operator==(const Value& a, const Value& b) { return a.rep_ == b.rep_; }
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  struct Null {
    friend bool operator==(Null, Null) { return true; }
  };
  // The alternative order matches ValueType.
  absl::variant<Null, int64_t, double, std::string, Bytes, bool, absl::Time> rep_;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_VALUE_H_
