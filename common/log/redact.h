#ifndef TANDEM_COMMON_LOG_REDACT_H_
#define TANDEM_COMMON_LOG_REDACT_H_

#include "google/protobuf/descriptor.h"

namespace tandem::log {

// Reads the sensitive mark that encryption at rest and the cache go by. Logs need no redaction step: they
// never carry a message, only the ids, codes and numbers a call site names (see log.h), because a field that
// is not marked (a template's wording, an owner reference) can still tell who is in therapy.

// True when the field carries the (tandem.api.v1.sensitive) option: clinical free text.
bool IsSensitive(const google::protobuf::FieldDescriptor& field);

// True when the message or any message nested in it (at any depth) has a sensitive field.
bool HasSensitiveFields(const google::protobuf::Descriptor& descriptor);

}  // namespace tandem::log

#endif  // TANDEM_COMMON_LOG_REDACT_H_
