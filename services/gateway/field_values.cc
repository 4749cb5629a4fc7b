#include "services/gateway/field_values.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace tandem::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMaxDurationSeconds = 315576000000;   // 10000 years

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Reads exactly `width` digits at text[*pos].
bool ReadDigits(absl::string_view text, size_t* pos, size_t width, int* out) {
  if (*pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[*pos + i];
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  *pos += width;
  *out = value;
  return true;
}

bool Expect(absl::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// Up to nine digits after a '.', scaled to nanoseconds.
bool ReadNanos(absl::string_view text, size_t* pos, int32_t* nanos) {
  size_t start = *pos;
  int32_t value = 0;
  while (*pos < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[*pos]))) {
    if (*pos - start == 9) return false;
    value = value * 10 + (text[*pos] - '0');
    ++*pos;
  }
  size_t digits = *pos - start;
  if (digits == 0) return false;
  for (size_t i = digits; i < 9; ++i) value *= 10;
  *nanos = value;
  return true;
}

int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// One name of a FieldMask path, lowerCamel ("clientWords") or snake_case ("client_words") but not a mix, so
// that it converts to a proto name and back without loss.
bool IsFieldMaskName(absl::string_view name) {
  if (name.empty() || !absl::ascii_islower(static_cast<unsigned char>(name[0]))) return false;
  bool has_underscore = false;
  bool has_upper = false;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == '_') {
      has_underscore = true;
      if (i + 1 == name.size() || !absl::ascii_islower(static_cast<unsigned char>(name[i + 1]))) return false;
    } else if (absl::ascii_isupper(c)) {
      has_upper = true;
    } else if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c)) {
      return false;
    }
  }
  return !(has_underscore && has_upper);
}

const google::protobuf::EnumValueDescriptor* FindEnumValue(const google::protobuf::EnumDescriptor& type,
                                                           absl::string_view name) {
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->name() == name) return type.value(i);
  }
  return nullptr;
}

}  // namespace

bool ParseInt64(absl::string_view text, int64_t* out) {
  absl::string_view digits = text;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  return AllDigits(digits) && absl::SimpleAtoi(text, out);
}

bool ParseUint64(absl::string_view text, uint64_t* out) {
  return AllDigits(text) && absl::SimpleAtoi(text, out);
}

bool ParseDouble(absl::string_view text, double* out) {
  if (text == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "-Infinity") {
    *out =
        text[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (text.empty()) return false;
  for (char c : text) {
    if (!(absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' ||
          c == 'e' || c == 'E')) {
      return false;
    }
  }
  if (text[0] == '+') return false;
  return absl::SimpleAtod(text, out) && std::isfinite(*out);
}

bool ParseBool(absl::string_view text, bool* out) {
  if (text == "true") {
    *out = true;
    return true;
  }
  if (text == "false") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseTimestamp(absl::string_view text, int64_t* seconds, int32_t* nanos) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') || !ReadDigits(text, &pos, 2, &month) ||
      !Expect(text, &pos, '-') || !ReadDigits(text, &pos, 2, &day)) {
    return false;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return false;
  ++pos;
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &minute) ||
      !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &second)) {
    return false;
  }
  int32_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    if (!ReadNanos(text, &pos, &fraction)) return false;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hours, offset_minutes;
    if (!ReadDigits(text, &pos, 2, &offset_hours) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return false;
    }
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  int64_t total =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  if (total < kMinTimestampSeconds || total > kMaxTimestampSeconds) return false;
  *seconds = total;
  *nanos = fraction;
  return true;
}

bool ParseDuration(absl::string_view text, int64_t* seconds, int32_t* nanos) {
  if (text.size() < 2 || text.back() != 's') return false;
  text.remove_suffix(1);
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  absl::string_view whole = text.substr(0, dot);
  if (!AllDigits(whole) || whole.size() > 12) return false;
  int64_t whole_seconds = 0;
  for (char c : whole) whole_seconds = whole_seconds * 10 + (c - '0');
  int32_t fraction = 0;
  if (dot != absl::string_view::npos) {
    size_t pos = dot + 1;
    if (!ReadNanos(text, &pos, &fraction) || pos != text.size()) return false;
  }
  if (whole_seconds > kMaxDurationSeconds) return false;
  *seconds = negative ? -whole_seconds : whole_seconds;
  *nanos = negative ? -fraction : fraction;
  return true;
}

bool DecodeBase64(absl::string_view text, std::string* out) {
  return absl::Base64Unescape(text, out) || absl::WebSafeBase64Unescape(text, out);
}

Problem SetScalarFromText(Message& message, const FieldDescriptor& field, absl::string_view text) {
  const Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int64_t value;
      if (!ParseInt64(text, &value)) return "expected an integer";
      if (value < std::numeric_limits<int32_t>::min() || value > std::numeric_limits<int32_t>::max()) {
        return "out of range for a 32-bit integer";
      }
      repeated ? reflection.AddInt32(&message, &field, static_cast<int32_t>(value))
               : reflection.SetInt32(&message, &field, static_cast<int32_t>(value));
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!ParseInt64(text, &value)) return "expected a 64-bit integer";
      repeated ? reflection.AddInt64(&message, &field, value) : reflection.SetInt64(&message, &field, value);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint64_t value;
      if (!ParseUint64(text, &value)) return "expected a non-negative integer";
      if (value > std::numeric_limits<uint32_t>::max()) return "out of range for an unsigned 32-bit integer";
      repeated ? reflection.AddUInt32(&message, &field, static_cast<uint32_t>(value))
               : reflection.SetUInt32(&message, &field, static_cast<uint32_t>(value));
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!ParseUint64(text, &value)) return "expected a non-negative 64-bit integer";
      repeated ? reflection.AddUInt64(&message, &field, value)
               : reflection.SetUInt64(&message, &field, value);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!ParseDouble(text, &value)) return "expected a number";
      repeated ? reflection.AddDouble(&message, &field, value)
               : reflection.SetDouble(&message, &field, value);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value;
      if (!ParseDouble(text, &value)) return "expected a number";
      if (std::isfinite(value) && std::fabs(value) > std::numeric_limits<float>::max()) {
        return "out of range for a float";
      }
      repeated ? reflection.AddFloat(&message, &field, static_cast<float>(value))
               : reflection.SetFloat(&message, &field, static_cast<float>(value));
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (!ParseBool(text, &value)) return "expected true or false";
      repeated ? reflection.AddBool(&message, &field, value) : reflection.SetBool(&message, &field, value);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumDescriptor& type = *field.enum_type();
      int number;
      if (const auto* value = FindEnumValue(type, text)) {
        number = value->number();
      } else {
        int64_t parsed;
        if (!ParseInt64(text, &parsed)) return "unknown enum value";
        if (parsed < std::numeric_limits<int32_t>::min() || parsed > std::numeric_limits<int32_t>::max()) {
          return "out of range for an enum";
        }
        number = static_cast<int>(parsed);
        if (type.FindValueByNumber(number) == nullptr &&
            field.file()->syntax() != google::protobuf::FileDescriptor::SYNTAX_PROTO3) {
          return "unknown enum value";
        }
      }
      repeated ? reflection.AddEnumValue(&message, &field, number)
               : reflection.SetEnumValue(&message, &field, number);
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value;
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        if (!DecodeBase64(text, &value)) return "expected base64";
      } else {
        if (!IsValidUtf8(text)) return "is not valid UTF-8";
        value.assign(text.data(), text.size());
      }
      repeated ? reflection.AddString(&message, &field, std::move(value))
               : reflection.SetString(&message, &field, std::move(value));
      return nullptr;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "cannot be given as text";
}

bool HasTextForm(const Descriptor& type) {
  switch (type.well_known_type()) {
    case Descriptor::WELLKNOWNTYPE_DOUBLEVALUE:
    case Descriptor::WELLKNOWNTYPE_FLOATVALUE:
    case Descriptor::WELLKNOWNTYPE_INT64VALUE:
    case Descriptor::WELLKNOWNTYPE_UINT64VALUE:
    case Descriptor::WELLKNOWNTYPE_INT32VALUE:
    case Descriptor::WELLKNOWNTYPE_UINT32VALUE:
    case Descriptor::WELLKNOWNTYPE_STRINGVALUE:
    case Descriptor::WELLKNOWNTYPE_BYTESVALUE:
    case Descriptor::WELLKNOWNTYPE_BOOLVALUE:
    case Descriptor::WELLKNOWNTYPE_FIELDMASK:
    case Descriptor::WELLKNOWNTYPE_DURATION:
    case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
      return true;
    default:
      return false;
  }
}

Problem SetWellKnownFromText(Message& message, absl::string_view text) {
  const Descriptor& type = *message.GetDescriptor();
  const Reflection& reflection = *message.GetReflection();
  switch (type.well_known_type()) {
    case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
    case Descriptor::WELLKNOWNTYPE_DURATION: {
      int64_t seconds;
      int32_t nanos;
      bool timestamp = type.well_known_type() == Descriptor::WELLKNOWNTYPE_TIMESTAMP;
      if (timestamp ? !ParseTimestamp(text, &seconds, &nanos) : !ParseDuration(text, &seconds, &nanos)) {
        return timestamp ? "expected an RFC 3339 timestamp such as 2024-05-01T09:30:00Z"
                         : "expected a duration in seconds such as 1.5s";
      }
      reflection.SetInt64(&message, type.FindFieldByNumber(1), seconds);
      reflection.SetInt32(&message, type.FindFieldByNumber(2), nanos);
      return nullptr;
    }
    case Descriptor::WELLKNOWNTYPE_FIELDMASK: {
      const FieldDescriptor* paths = type.FindFieldByNumber(1);
      reflection.ClearField(&message, paths);
      if (text.empty()) return nullptr;
      for (absl::string_view path : absl::StrSplit(text, ',')) {
        for (absl::string_view name : absl::StrSplit(path, '.')) {
          if (!IsFieldMaskName(name)) return "expected comma-separated field paths";
        }
        reflection.AddString(&message, paths, FieldMaskPathFromJson(path));
      }
      return nullptr;
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
      return SetScalarFromText(message, *type.FindFieldByNumber(1), text);
    default:
      return "cannot be given as text";
  }
}

std::string FieldMaskPathFromJson(absl::string_view path) {
  std::string result;
  result.reserve(path.size() + 4);
  for (char c : path) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      result.push_back('_');
      result.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else {
      result.push_back(c);
    }
  }
  return result;
}

}  // namespace tandem::gateway
