#ifndef TANDEM_SERVICES_GATEWAY_JSON_TO_MESSAGE_H_
#define TANDEM_SERVICES_GATEWAY_JSON_TO_MESSAGE_H_

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "services/gateway/violation_list.h"

namespace tandem::gateway {

// The proto3 JSON mapping, JSON -> message, by reflection (so it works for any request type, generated or
// dynamic): fields by lowerCamel JSON name or proto name; int64 kinds as numbers or strings; enums by name or
// number; bytes as base64; Timestamp, Duration and FieldMask as strings; wrappers as their bare value;
// Struct, Value and ListValue as any JSON; repeated fields as arrays; maps as objects; null as the field's
// default. google.protobuf.Any is not accepted.
//
// Every problem becomes a violation at the JSON path of the offending value (`path` holds the path of `value`
// on entry and is restored on return); the valid parts are still applied, but a request with violations must
// not be sent on. Unknown fields are violations. Descriptions never quote values.

// `value` must be a JSON object (anything else is a violation at `path`).
void JsonToMessage(const nlohmann::json& value, google::protobuf::Message& message, std::string& path,
                   ViolationList& violations);

// Sets `field` of `message` from its JSON value (an array for a repeated field, an object for a map).
void JsonToField(const nlohmann::json& value, google::protobuf::Message& message,
                 const google::protobuf::FieldDescriptor& field, std::string& path,
                 ViolationList& violations);

// The field a JSON key names: its JSON name (lowerCamel by default) or its proto name; null when none.
const google::protobuf::FieldDescriptor* FindFieldByJsonKey(const google::protobuf::Descriptor& type,
                                                            const std::string& key);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_JSON_TO_MESSAGE_H_
