#include "services/gateway/transcoder.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "services/gateway/field_values.h"
#include "services/gateway/json_body.h"
#include "services/gateway/json_to_message.h"
#include "services/gateway/query_params.h"
#include "services/gateway/violation_list.h"

namespace tandem::gateway {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsBlank(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Whether the scalar `field` holds the same value in both messages.
bool SameScalar(const Message& a, const Message& b, const FieldDescriptor& field) {
  const Reflection& ra = *a.GetReflection();
  const Reflection& rb = *b.GetReflection();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return ra.GetInt32(a, &field) == rb.GetInt32(b, &field);
    case FieldDescriptor::CPPTYPE_INT64:
      return ra.GetInt64(a, &field) == rb.GetInt64(b, &field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return ra.GetUInt32(a, &field) == rb.GetUInt32(b, &field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return ra.GetUInt64(a, &field) == rb.GetUInt64(b, &field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return ra.GetDouble(a, &field) == rb.GetDouble(b, &field);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return ra.GetFloat(a, &field) == rb.GetFloat(b, &field);
    case FieldDescriptor::CPPTYPE_BOOL:
      return ra.GetBool(a, &field) == rb.GetBool(b, &field);
    case FieldDescriptor::CPPTYPE_ENUM:
      return ra.GetEnumValue(a, &field) == rb.GetEnumValue(b, &field);
    case FieldDescriptor::CPPTYPE_STRING:
      return ra.GetString(a, &field) == rb.GetString(b, &field);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return false;
}

void ApplyBinding(const Binding& binding, const FieldPath& chain, Message& request,
                  ViolationList& violations) {
  Message* target = &request;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    target = target->GetReflection()->MutableMessage(target, chain[i]);
  }
  const FieldDescriptor& field = *chain.back();
  if (target->GetReflection()->HasField(*target, &field)) {
    // The body set it too: it may repeat the path's value but not contradict it.
    std::unique_ptr<Message> from_path(target->New());
    if (Problem problem = SetScalarFromText(*from_path, field, binding.value)) {
      violations.Add(binding.field_path, problem);
    } else if (!SameScalar(*target, *from_path, field)) {
      violations.Add(binding.field_path, "the body's value differs from the one in the URL path");
    }
    return;
  }
  if (Problem problem = SetScalarFromText(*target, field, binding.value)) {
    violations.Add(binding.field_path, problem);
  }
}

}  // namespace

absl::Status FillRequest(const Route& route, const Bindings& bindings, absl::string_view query_string,
                         absl::string_view body, Message& request) {
  if (bindings.size() != route.variable_fields.size() ||
      request.GetDescriptor() != route.method->input_type()) {
    return absl::InternalError("request transcoding was given a mismatched route");
  }
  ViolationList violations;
  if (route.body.empty()) {
    if (!IsBlank(body)) violations.Add("", "this route takes no request body");
  } else if (!IsBlank(body)) {
    nlohmann::json document;
    if (auto error = ParseJsonBody(body, &document)) {
      violations.Add(error->field, error->description);
      return violations.ToStatus();
    }
    std::string path;
    if (route.body == "*") {
      if (document.is_object()) {
        JsonToMessage(document, request, path, violations);
      } else {
        violations.Add("", "the request body must be a JSON object");
      }
    } else {
      path = route.body;
      JsonToField(document, request, *route.body_field, path, violations);
    }
  }
  for (size_t i = 0; i < bindings.size(); ++i) {
    ApplyBinding(bindings[i], route.variable_fields[i], request, violations);
  }
  ApplyQueryParameters(route, query_string, request, violations);
  return violations.ToStatus();
}

absl::StatusOr<std::string> ToJson(const Message& response) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(response, &out, options).ok()) {
    // The printer's message may quote field contents: it is not passed on.
    return absl::InternalError("response could not be encoded as JSON");
  }
  return out;
}

}  // namespace tandem::gateway
