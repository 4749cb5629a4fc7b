#ifndef TANDEM_COMMON_DB_POSTGRES_CODEC_H_
#define TANDEM_COMMON_DB_POSTGRES_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/db/value.h"

namespace tandem::db::postgres {

// Type OIDs from pg_type.dat (stable across PostgreSQL versions).
inline constexpr uint32_t kBoolOid = 16;
inline constexpr uint32_t kByteaOid = 17;
inline constexpr uint32_t kInt8Oid = 20;
inline constexpr uint32_t kInt2Oid = 21;
inline constexpr uint32_t kInt4Oid = 23;
inline constexpr uint32_t kOidOid = 26;
inline constexpr uint32_t kFloat4Oid = 700;
inline constexpr uint32_t kFloat8Oid = 701;
inline constexpr uint32_t kTimestampOid = 1114;
inline constexpr uint32_t kTimestamptzOid = 1184;
inline constexpr uint32_t kNumericOid = 1700;

// How one parameter travels: its declared type (0 lets the server infer it from the statement, which is what
// text needs so that it can fill uuid, date, enum or jsonb columns), format (0 text, 1 binary) and bytes.
struct EncodedParam {
  uint32_t type_oid = 0;
  bool is_null = false;
  bool binary = false;
  std::string data;
};
EncodedParam EncodeParam(const Value& value);

// Converts one text-format result cell of the given column type: integers to int64, floats and numeric to
// double, bool, bytea (hex output) to Bytes, timestamp[tz] to time, and everything else to text.
absl::StatusOr<Value> DecodeText(uint32_t type_oid, absl::string_view text);

// "2026-01-01 09:30:00.25+00" and the like (DateStyle ISO, any offset), plus "infinity"/"-infinity".
absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text);
std::string FormatTimestamp(absl::Time time);

// bytea's hex output format: "\x0001ff".
absl::StatusOr<std::string> DecodeByteaHex(absl::string_view text);

}  // namespace tandem::db::postgres

#endif  // TANDEM_COMMON_DB_POSTGRES_CODEC_H_
