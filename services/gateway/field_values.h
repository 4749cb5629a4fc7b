#ifndef TANDEM_SERVICES_GATEWAY_FIELD_VALUES_H_
#define TANDEM_SERVICES_GATEWAY_FIELD_VALUES_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace tandem::gateway {

// Text forms of proto3 JSON values, shared by path variables, query parameters and JSON strings. Each parser
// is strict (no surrounding spaces, no trailing garbage) and allocation-free.

// What is wrong with a value, as a fixed phrase that never quotes it; null means the value was accepted.
using Problem = const char*;

bool ParseInt64(absl::string_view text, int64_t* out);
bool ParseUint64(absl::string_view text, uint64_t* out);
// Decimal or exponent notation, or "NaN", "Infinity", "-Infinity".
bool ParseDouble(absl::string_view text, double* out);
bool ParseBool(absl::string_view text, bool* out);  // "true" or "false"

// RFC 3339 with 'Z' or a numeric offset, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
bool ParseTimestamp(absl::string_view text, int64_t* seconds, int32_t* nanos);
// "1.5s", "-0.000000001s": seconds with up to nine fractional digits, within +-315576000000s.
bool ParseDuration(absl::string_view text, int64_t* seconds, int32_t* nanos);
// Standard or URL-safe base64, padding optional.
bool DecodeBase64(absl::string_view text, std::string* out);

// Sets a scalar (non-message) field from text; a repeated field gets one more element. Enums take a value
// name or number; string values must be valid UTF-8.
Problem SetScalarFromText(google::protobuf::Message& message, const google::protobuf::FieldDescriptor& field,
                          absl::string_view text);

// Fills a well-known message that has a text form (Timestamp, Duration, FieldMask, the wrappers) from text.
// Returns "cannot be given as text" for any other message type.
Problem SetWellKnownFromText(google::protobuf::Message& message, absl::string_view text);

// True for message types SetWellKnownFromText accepts.
bool HasTextForm(const google::protobuf::Descriptor& type);

// A FieldMask path in JSON form ("goal.clientWords") in its proto form ("goal.client_words").
std::string FieldMaskPathFromJson(absl::string_view path);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_FIELD_VALUES_H_
