#include "common/db/postgres_codec.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tandem::db::postgres {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

EncodedParam EncodeParam(const Value& value) {
  EncodedParam p;
  switch (value.type()) {
    case ValueType::kNull:
      p.is_null = true;
      break;
    case ValueType::kInt64:
      p.type_oid = kInt8Oid;
      p.data = absl::StrCat(*value.AsInt64());
      break;
    case ValueType::kDouble: {
      p.type_oid = kFloat8Oid;
      const double d = *value.AsDouble();
      if (std::isnan(d)) {
        p.data = "NaN";
      } else if (std::isinf(d)) {
        p.data = d > 0 ? "Infinity" : "-Infinity";
      } else {
        p.data = absl::StrFormat("%.17g", d);
      }
      break;
    }
    case ValueType::kText:
      p.data = *value.AsText();
      break;
    case ValueType::kBytes:
      p.type_oid = kByteaOid;
      p.binary = true;  // Raw bytes, NUL included: bytea's binary form is the bytes themselves.
      p.data = value.AsBytes()->data;
      break;
    case ValueType::kBool:
      p.type_oid = kBoolOid;
      p.data = *value.AsBool() ? "t" : "f";
      break;
    case ValueType::kTime:
      p.type_oid = kTimestamptzOid;
      p.data = FormatTimestamp(*value.AsTime());
      break;
  }
  return p;
}

std::string FormatTimestamp(absl::Time time) {
  if (time == absl::InfiniteFuture()) return "infinity";
  if (time == absl::InfinitePast()) return "-infinity";
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", time, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text) {
  if (text == "infinity") return absl::InfiniteFuture();
  if (text == "-infinity") return absl::InfinitePast();
  // The offset, when present, follows the seconds: the last '+' or '-' after the date's own dashes.
  absl::string_view main = text;
  int offset_seconds = 0;
  const size_t sign = text.find_last_of("+-");
  if (sign != absl::string_view::npos && sign > 10) {
    main = text.substr(0, sign);
    absl::string_view offset = text.substr(sign + 1);
    int parts[3] = {0, 0, 0};
    int n = 0;
    while (!offset.empty() && n < 3) {
      size_t colon = offset.find(':');
      absl::string_view part = offset.substr(0, colon);
      if (part.size() != 2 || !absl::SimpleAtoi(part, &parts[n])) {
        return absl::InternalError("unparsable timestamp offset from PostgreSQL");
      }
      ++n;
      offset = colon == absl::string_view::npos ? absl::string_view() : offset.substr(colon + 1);
    }
    if (n == 0) return absl::InternalError("unparsable timestamp offset from PostgreSQL");
    offset_seconds = (parts[0] * 3600 + parts[1] * 60 + parts[2]) * (text[sign] == '-' ? -1 : 1);
  }
  absl::Time local;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S", main, absl::UTCTimeZone(), &local, &error)) {
    return absl::InternalError("unparsable timestamp from PostgreSQL");
  }
  return local - absl::Seconds(offset_seconds);
}

absl::StatusOr<std::string> DecodeByteaHex(absl::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    return absl::InternalError("bytea is not in hex output format");
  }
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i < text.size(); i += 2) {
    const int hi = HexDigit(text[i]);
    const int lo = HexDigit(text[i + 1]);
    if (hi < 0 || lo < 0) return absl::InternalError("bad hex digit in bytea");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

absl::StatusOr<Value> DecodeText(uint32_t type_oid, absl::string_view text) {
  switch (type_oid) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return absl::InternalError("unparsable integer from PostgreSQL");
      return Value(v);
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return absl::InternalError("unparsable number from PostgreSQL");
      return Value(v);
    }
    case kBoolOid:
      return Value(text == "t");
    case kByteaOid: {
      absl::StatusOr<std::string> bytes = DecodeByteaHex(text);
      if (!bytes.ok()) return bytes.status();
      return Value(Bytes{*std::move(bytes)});
    }
    case kTimestampOid:
    case kTimestamptzOid: {
      absl::StatusOr<absl::Time> time = ParseTimestamp(text);
      if (!time.ok()) return time.status();
      return Value(*time);
    }
    default:
      return Value(std::string(text));
  }
}

}  // namespace tandem::db::postgres
