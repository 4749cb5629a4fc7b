#include "common/db/value.h"

namespace tandem::db {

absl::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kInt64:
      return "int64";
    case ValueType::kDouble:
      return "double";
    case ValueType::kText:
      return "text";
    case ValueType::kBytes:
      return "bytes";
    case ValueType::kBool:
      return "bool";
    case ValueType::kTime:
      return "time";
  }
  return "unknown";
}

}  // namespace tandem::db
