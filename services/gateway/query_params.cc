#include "services/gateway/query_params.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_split.h"
#include "services/gateway/field_values.h"
#include "services/gateway/json_to_message.h"
#include "tandem/api/v1/annotations.pb.h"

namespace tandem::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: %XX escapes and '+' as space.
bool QueryDecode(absl::string_view raw, std::string* out) {
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= raw.size()) return false;
      int high = HexValue(raw[i + 1]);
      int low = HexValue(raw[i + 2]);
      if (high < 0 || low < 0) return false;
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

// A parameter name is echoed in a violation only when it looks like a field path.
absl::string_view DisplayName(absl::string_view name) {
  if (name.empty() || name.size() > 128) return "?";
  for (absl::string_view part : absl::StrSplit(name, '.')) {
    if (!IsPlainName(part)) return "?";
  }
  return name;
}

// Resolves `filter.kind` against the request type; returns the problem, or null with `chain` filled.
Problem ResolveParameter(const Descriptor& request_type, const std::string& name, FieldPath* chain) {
  const Descriptor* type = &request_type;
  std::string part;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    part.assign(name, start, dot == std::string::npos ? std::string::npos : dot - start);
    if (type == nullptr) return "unknown query parameter";
    const FieldDescriptor* field = FindFieldByJsonKey(*type, part);
    if (field == nullptr) return "unknown query parameter";
    // Query strings are kept by proxies, access logs and browser history: clinical text must travel in a
    // body.
    if (field->options().GetExtension(tandem::api::v1::sensitive)) {
      return "is sensitive and cannot be sent in a URL; send it in the request body";
    }
    chain->push_back(field);
    bool last = dot == std::string::npos;
    if (last) {
      if (field->is_map()) return "a map cannot be given as a query parameter";
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !HasTextForm(*field->message_type())) {
        return "a message cannot be given as a query parameter; name one of its fields";
      }
      return nullptr;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || HasTextForm(*field->message_type())) {
      return "unknown query parameter";
    }
    if (field->is_repeated()) return "fields inside a repeated field cannot be given as query parameters";
    type = field->message_type();
    start = dot + 1;
  }
}

}  // namespace

void ApplyQueryParameters(const Route& route, absl::string_view query, Message& request,
                          ViolationList& violations) {
  if (query.empty()) return;
  std::string name;
  std::string value;
  FieldPath chain;
  // Singular fields already set by an earlier parameter: (message, field).
  absl::InlinedVector<std::pair<const Message*, const FieldDescriptor*>, 8> seen;
  for (absl::string_view piece : absl::StrSplit(query, '&')) {
    if (violations.full()) return;
    if (piece.empty()) continue;
    size_t equals = piece.find('=');
    absl::string_view raw_name = piece.substr(0, equals);
    absl::string_view raw_value =
        equals == absl::string_view::npos ? absl::string_view() : piece.substr(equals + 1);
    if (!QueryDecode(raw_name, &name)) {
      violations.Add("?", "malformed percent-encoding in a query parameter name");
      continue;
    }
    absl::string_view display = DisplayName(name);
    if (route.body == "*") {
      violations.Add(display,
                     "query parameters are not accepted: this route takes every field from the body");
      continue;
    }
    chain.clear();
    if (Problem problem = ResolveParameter(*request.GetDescriptor(), name, &chain)) {
      violations.Add(display, problem);
      continue;
    }
    if (route.body_field != nullptr && chain[0] == route.body_field) {
      violations.Add(display, "is set by the request body");
      continue;
    }
    if (std::any_of(route.variable_fields.begin(), route.variable_fields.end(),
                    [&](const FieldPath& bound) { return bound == chain; })) {
      violations.Add(display, "is bound by the URL path");
      continue;
    }
    if (!QueryDecode(raw_value, &value)) {
      violations.Add(display, "malformed percent-encoding");
      continue;
    }
    Message* target = &request;
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      target = target->GetReflection()->MutableMessage(target, chain[i]);
    }
    const FieldDescriptor& field = *chain.back();
    if (!field.is_repeated()) {
      std::pair<const Message*, const FieldDescriptor*> key(target, &field);
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        violations.Add(display, "is given more than once but is not repeated");
        continue;
      }
      seen.push_back(key);
    }
    Problem problem;
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const auto& reflection = *target->GetReflection();
      Message* sub = field.is_repeated() ? reflection.AddMessage(target, &field)
                                         : reflection.MutableMessage(target, &field);
      problem = SetWellKnownFromText(*sub, value);
    } else {
      problem = SetScalarFromText(*target, field, value);
    }
    if (problem != nullptr) violations.Add(display, problem);
  }
}

}  // namespace tandem::gateway
