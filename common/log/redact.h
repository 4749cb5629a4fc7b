#ifndef TANDEM_COMMON_LOG_REDACT_H_
#define TANDEM_COMMON_LOG_REDACT_H_

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace tandem::log {

// True when the field carries the (tandem.api.v1.sensitive) option: clinical free text.
bool IsSensitive(const google::protobuf::FieldDescriptor& field);

// True when the message or any message nested in it (at any depth) has a sensitive field.
bool HasSensitiveFields(const google::protobuf::Descriptor& descriptor);

// Clears every sensitive field, at any depth, in place; a cleared string keeps a "[redacted]" marker so a
// reader can tell it was present.
void RedactInPlace(google::protobuf::Message& message);

// A one-line text form of `message` with every sensitive field redacted, for debug logs.
std::string RedactedDebugString(const google::protobuf::Message& message);

}  // namespace tandem::log

#endif  // TANDEM_COMMON_LOG_REDACT_H_
