#include "services/gateway/json_to_message.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "services/gateway/field_values.h"

namespace tandem::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;
using nlohmann::json;

void ReadMessage(const json& value, Message& message, std::string& path, ViolationList& violations);
void ReadValue(const json& value, Message& message, std::string& path, ViolationList& violations);

// google.protobuf.Struct's fields from a JSON object.
void ReadStructFields(const json& object, Message& message, std::string& path, ViolationList& violations) {
  const FieldDescriptor* entries = message.GetDescriptor()->FindFieldByNumber(1);
  for (auto it = object.begin(); it != object.end() && !violations.full(); ++it) {
    PathScope scope(&path);
    path.append("[\"?\"]");  // Struct keys are free text: never echoed
    Message* entry = message.GetReflection()->AddMessage(&message, entries);
    const Descriptor& entry_type = *entry->GetDescriptor();
    entry->GetReflection()->SetString(entry, entry_type.FindFieldByNumber(1), it.key());
    ReadValue(it.value(), *entry->GetReflection()->MutableMessage(entry, entry_type.FindFieldByNumber(2)),
              path, violations);
  }
}

// google.protobuf.ListValue's values from a JSON array.
void ReadListValues(const json& array, Message& message, std::string& path, ViolationList& violations) {
  const FieldDescriptor* values = message.GetDescriptor()->FindFieldByNumber(1);
  for (size_t i = 0; i < array.size() && !violations.full(); ++i) {
    PathScope scope(&path);
    AppendJsonIndex(&path, i);
    ReadValue(array[i], *message.GetReflection()->AddMessage(&message, values), path, violations);
  }
}

// A JSON number as sign and magnitude, when it is integral (1e3 is; 1.5 is not).
bool IntegralParts(const json& value, bool* negative, uint64_t* magnitude) {
  if (value.is_number_unsigned()) {
    *negative = false;
    *magnitude = value.get<uint64_t>();
    return true;
  }
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    *negative = v < 0;
    *magnitude = v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
    return true;
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) >= 18446744073709551616.0) return false;
    *negative = d < 0;
    *magnitude = static_cast<uint64_t>(std::fabs(d));
    return true;
  }
  return false;
}

Problem SetIntegerFromJson(const json& value, Message& message, const FieldDescriptor& field) {
  if (value.is_string()) return SetScalarFromText(message, field, value.get_ref<const std::string&>());
  bool negative;
  uint64_t magnitude;
  if (!value.is_number()) return "expected an integer";
  if (!IntegralParts(value, &negative, &magnitude)) return "expected an integer, not a fraction";
  const Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  constexpr uint64_t kInt64Limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      if (negative ? magnitude > uint64_t{1} << 31 : magnitude > (uint64_t{1} << 31) - 1) {
        return "out of range for a 32-bit integer";
      }
      auto v =
          static_cast<int32_t>(negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude));
      repeated ? reflection.AddInt32(&message, &field, v) : reflection.SetInt32(&message, &field, v);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      if (negative ? magnitude > kInt64Limit + 1 : magnitude > kInt64Limit)
        return "out of range for a 64-bit integer";
      int64_t v = negative ? static_cast<int64_t>(~(magnitude - 1)) : static_cast<int64_t>(magnitude);
      repeated ? reflection.AddInt64(&message, &field, v) : reflection.SetInt64(&message, &field, v);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      if (negative && magnitude != 0) return "must not be negative";
      if (magnitude > std::numeric_limits<uint32_t>::max())
        return "out of range for an unsigned 32-bit integer";
      auto v = static_cast<uint32_t>(magnitude);
      repeated ? reflection.AddUInt32(&message, &field, v) : reflection.SetUInt32(&message, &field, v);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      if (negative && magnitude != 0) return "must not be negative";
      repeated ? reflection.AddUInt64(&message, &field, magnitude)
               : reflection.SetUInt64(&message, &field, magnitude);
      return nullptr;
    }
    default:
      return "expected an integer";
  }
}

Problem SetScalarFromJson(const json& value, Message& message, const FieldDescriptor& field) {
  const Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return SetIntegerFromJson(value, message, field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      if (value.is_string()) return SetScalarFromText(message, field, value.get_ref<const std::string&>());
      if (!value.is_number()) return "expected a number";
      double d = value.get<double>();
      if (!std::isfinite(d)) return "out of range";
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        if (std::fabs(d) > std::numeric_limits<float>::max()) return "out of range for a float";
        auto f = static_cast<float>(d);
        repeated ? reflection.AddFloat(&message, &field, f) : reflection.SetFloat(&message, &field, f);
      } else {
        repeated ? reflection.AddDouble(&message, &field, d) : reflection.SetDouble(&message, &field, d);
      }
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (!value.is_boolean()) return "expected true or false";
      bool b = value.get<bool>();
      repeated ? reflection.AddBool(&message, &field, b) : reflection.SetBool(&message, &field, b);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (value.is_string()) {
        const std::string& name = value.get_ref<const std::string&>();
        if (field.enum_type()->FindValueByName(name) == nullptr) return "unknown enum value";
        return SetScalarFromText(message, field, name);
      }
      bool negative;
      uint64_t magnitude;
      if (!value.is_number() || !IntegralParts(value, &negative, &magnitude)) {
        return "expected an enum value name or number";
      }
      if (negative ? magnitude > uint64_t{1} << 31 : magnitude > (uint64_t{1} << 31) - 1) {
        return "out of range for an enum";
      }
      return SetScalarFromText(
          message, field,
          absl::StrCat(negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude)));
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!value.is_string())
        return field.type() == FieldDescriptor::TYPE_BYTES ? "expected a base64 string" : "expected a string";
      const std::string& text = value.get_ref<const std::string&>();
      if (field.type() == FieldDescriptor::TYPE_BYTES) return SetScalarFromText(message, field, text);
      // The parser has already checked that JSON strings are valid UTF-8.
      repeated ? reflection.AddString(&message, &field, text) : reflection.SetString(&message, &field, text);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "expected a JSON object";
}

// google.protobuf.Value from any JSON. Numbers beyond a double's range (1e999) have no JSON form to print
// back, so they are refused.
void ReadValue(const json& value, Message& message, std::string& path, ViolationList& violations) {
  const Descriptor& type = *message.GetDescriptor();
  const Reflection& reflection = *message.GetReflection();
  switch (value.type()) {
    case json::value_t::null:
      reflection.SetEnumValue(&message, type.FindFieldByNumber(1), 0);
      return;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      if (!std::isfinite(value.get<double>())) {
        violations.Add(path, "out of range");
        return;
      }
      reflection.SetDouble(&message, type.FindFieldByNumber(2), value.get<double>());
      return;
    case json::value_t::string:
      reflection.SetString(&message, type.FindFieldByNumber(3), value.get<std::string>());
      return;
    case json::value_t::boolean:
      reflection.SetBool(&message, type.FindFieldByNumber(4), value.get<bool>());
      return;
    case json::value_t::object: {
      Message* fields = reflection.MutableMessage(&message, type.FindFieldByNumber(5));
      ReadStructFields(value, *fields, path, violations);
      return;
    }
    case json::value_t::array: {
      Message* list = reflection.MutableMessage(&message, type.FindFieldByNumber(6));
      ReadListValues(value, *list, path, violations);
      return;
    }
    case json::value_t::binary:
    case json::value_t::discarded:
      return;
  }
}

bool IsValueType(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         field.message_type()->well_known_type() == Descriptor::WELLKNOWNTYPE_VALUE;
}

// One value of a singular field, one element of a repeated field, or one map value.
void ReadElement(const json& value, Message& message, const FieldDescriptor& field, std::string& path,
                 ViolationList& violations) {
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const Reflection& reflection = *message.GetReflection();
    Message* sub = field.is_repeated() ? reflection.AddMessage(&message, &field)
                                       : reflection.MutableMessage(&message, &field);
    ReadMessage(value, *sub, path, violations);
    return;
  }
  if (Problem problem = SetScalarFromJson(value, message, field)) violations.Add(path, problem);
}

void ReadMap(const json& value, Message& message, const FieldDescriptor& field, std::string& path,
             ViolationList& violations) {
  if (!value.is_object()) {
    violations.Add(path, "expected a JSON object (a map)");
    return;
  }
  const Reflection& reflection = *message.GetReflection();
  const Descriptor& entry_type = *field.message_type();
  const FieldDescriptor& key_field = *entry_type.FindFieldByNumber(1);
  const FieldDescriptor& value_field = *entry_type.FindFieldByNumber(2);
  for (auto it = value.begin(); it != value.end() && !violations.full(); ++it) {
    PathScope scope(&path);
    Message* entry = reflection.AddMessage(&message, &field);
    Problem key_problem = nullptr;
    if (key_field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      entry->GetReflection()->SetString(entry, &key_field, it.key());
      path.append("[\"?\"]");  // string keys may be free text: never echoed
    } else {
      key_problem = SetScalarFromText(*entry, key_field, it.key());
      if (key_problem == nullptr) {
        absl::StrAppend(&path, "[", it.key(), "]");  // validated: digits, '-', true or false
      } else {
        path.append("[\"?\"]");
      }
    }
    if (key_problem != nullptr) {
      violations.Add(path, absl::StrCat("invalid map key: ", key_problem));
      continue;
    }
    if (it.value().is_null() && !IsValueType(value_field)) {
      violations.Add(path, "null is not allowed as a map value");
      continue;
    }
    ReadElement(it.value(), *entry, value_field, path, violations);
  }
}

void ReadWellKnown(const json& value, Message& message, std::string& path, ViolationList& violations) {
  const Descriptor& type = *message.GetDescriptor();
  switch (type.well_known_type()) {
    case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
    case Descriptor::WELLKNOWNTYPE_DURATION:
    case Descriptor::WELLKNOWNTYPE_FIELDMASK: {
      if (!value.is_string()) {
        violations.Add(path, type.well_known_type() == Descriptor::WELLKNOWNTYPE_TIMESTAMP
                                 ? "expected an RFC 3339 timestamp string"
                             : type.well_known_type() == Descriptor::WELLKNOWNTYPE_DURATION
                                 ? "expected a duration string such as 1.5s"
                                 : "expected a string of comma-separated field paths");
        return;
      }
      if (Problem problem = SetWellKnownFromText(message, value.get_ref<const std::string&>())) {
        violations.Add(path, problem);
      }
      return;
    }
    case Descriptor::WELLKNOWNTYPE_DOUBLEVALUE:
    case Descriptor::WELLKNOWNTYPE_FLOATVALUE:
    case Descriptor::WELLKNOWNTYPE_INT64VALUE:
    case Descriptor::WELLKNOWNTYPE_UINT64VALUE:
    case Descriptor::WELLKNOWNTYPE_INT32VALUE:
    case Descriptor::WELLKNOWNTYPE_UINT32VALUE:
    case Descriptor::WELLKNOWNTYPE_STRINGVALUE:
    case Descriptor::WELLKNOWNTYPE_BYTESVALUE:
    case Descriptor::WELLKNOWNTYPE_BOOLVALUE:
      if (Problem problem = SetScalarFromJson(value, message, *type.FindFieldByNumber(1))) {
        violations.Add(path, problem);
      }
      return;
    case Descriptor::WELLKNOWNTYPE_VALUE:
      ReadValue(value, message, path, violations);
      return;
    case Descriptor::WELLKNOWNTYPE_STRUCT:
      if (!value.is_object()) {
        violations.Add(path, "expected a JSON object");
        return;
      }
      ReadStructFields(value, message, path, violations);
      return;
    case Descriptor::WELLKNOWNTYPE_LISTVALUE:
      if (!value.is_array()) {
        violations.Add(path, "expected a JSON array");
        return;
      }
      ReadListValues(value, message, path, violations);
      return;
    case Descriptor::WELLKNOWNTYPE_ANY:
      violations.Add(path, "google.protobuf.Any is not supported");
      return;
    default:
      JsonToMessage(value, message, path, violations);
      return;
  }
}

void ReadMessage(const json& value, Message& message, std::string& path, ViolationList& violations) {
  if (message.GetDescriptor()->well_known_type() != Descriptor::WELLKNOWNTYPE_UNSPECIFIED) {
    ReadWellKnown(value, message, path, violations);
  } else {
    JsonToMessage(value, message, path, violations);
  }
}

}  // namespace

const FieldDescriptor* FindFieldByJsonKey(const Descriptor& type, const std::string& key) {
  if (const FieldDescriptor* field = type.FindFieldByName(key)) return field;
  if (const FieldDescriptor* field = type.FindFieldByCamelcaseName(key);
      field != nullptr && field->json_name() == key) {
    return field;
  }
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

void JsonToMessage(const json& value, Message& message, std::string& path, ViolationList& violations) {
  if (!value.is_object()) {
    violations.Add(path, "expected a JSON object");
    return;
  }
  const Descriptor& type = *message.GetDescriptor();
  absl::InlinedVector<const FieldDescriptor*, 16> seen;
  absl::InlinedVector<const OneofDescriptor*, 2> oneofs_set;
  for (auto it = value.begin(); it != value.end() && !violations.full(); ++it) {
    PathScope scope(&path);
    AppendJsonKey(&path, it.key());
    const FieldDescriptor* field = FindFieldByJsonKey(type, it.key());
    if (field == nullptr) {
      violations.Add(path, IsPlainName(it.key()) ? "unknown field" : "unknown field (name not shown)");
      continue;
    }
    if (std::find(seen.begin(), seen.end(), field) != seen.end()) {
      violations.Add(path, "the same field is given twice (by JSON name and by proto name)");
      continue;
    }
    seen.push_back(field);
    if (const OneofDescriptor* oneof = field->real_containing_oneof();
        oneof != nullptr && !it.value().is_null()) {
      if (std::find(oneofs_set.begin(), oneofs_set.end(), oneof) != oneofs_set.end()) {
        violations.Add(path, absl::StrCat("only one field of \"", oneof->name(), "\" may be set"));
        continue;
      }
      oneofs_set.push_back(oneof);
    }
    JsonToField(it.value(), message, *field, path, violations);
  }
}

void JsonToField(const json& value, Message& message, const FieldDescriptor& field, std::string& path,
                 ViolationList& violations) {
  const Reflection& reflection = *message.GetReflection();
  if (value.is_null()) {
    if (!field.is_repeated() && IsValueType(field)) {
      ReadValue(value, *reflection.MutableMessage(&message, &field), path, violations);
    } else {
      reflection.ClearField(&message, &field);
    }
    return;
  }
  if (field.is_map()) {
    reflection.ClearField(&message, &field);
    ReadMap(value, message, field, path, violations);
    return;
  }
  if (field.is_repeated()) {
    if (!value.is_array()) {
      violations.Add(path, "expected a JSON array");
      return;
    }
    reflection.ClearField(&message, &field);
    for (size_t i = 0; i < value.size() && !violations.full(); ++i) {
      PathScope scope(&path);
      AppendJsonIndex(&path, i);
      if (value[i].is_null() && !IsValueType(field)) {
        violations.Add(path, "null is not allowed in a list");
        continue;
      }
      ReadElement(value[i], message, field, path, violations);
    }
    return;
  }
  ReadElement(value, message, field, path, violations);
}

}  // namespace tandem::gateway
