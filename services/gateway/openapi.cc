#include "services/gateway/openapi.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "services/gateway/field_values.h"
#include "tandem/api/v1/annotations.pb.h"

namespace tandem::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using Json = nlohmann::ordered_json;

constexpr char kErrorSchemaName[] = "tandem.gateway.Error";
constexpr int kMaxQueryDepth = 8;

std::string SchemaRef(absl::string_view name) { return absl::StrCat("#/components/schemas/", name); }

bool IsSensitive(const FieldDescriptor& field) {
  return field.options().GetExtension(tandem::api::v1::sensitive);
}

// Collects the schemas of every message and enum it is asked to reference.
class SchemaBuilder {
 public:
  // The schema of one value of `field` (an element, for a repeated field).
  Json ValueSchema(const FieldDescriptor& field) {
    switch (field.type()) {
      case FieldDescriptor::TYPE_STRING:
        return {{"type", "string"}};
      case FieldDescriptor::TYPE_BYTES:
        return {{"type", "string"}, {"format", "byte"}};
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return {{"type", "integer"}, {"format", "int32"}};
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}, {"maximum", 4294967295u}};
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
        return {{"type", "string"}, {"format", "int64"}};
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return {{"type", "string"}, {"format", "uint64"}};
      case FieldDescriptor::TYPE_DOUBLE:
        return {{"type", "number"}, {"format", "double"}};
      case FieldDescriptor::TYPE_FLOAT:
        return {{"type", "number"}, {"format", "float"}};
      case FieldDescriptor::TYPE_BOOL:
        return {{"type", "boolean"}};
      case FieldDescriptor::TYPE_ENUM:
        return EnumRef(*field.enum_type());
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageSchema(*field.message_type());
    }
    return Json::object();
  }

  // The schema of the whole field: maps as objects, repeated fields as arrays, and the sensitive mark.
  Json FieldSchema(const FieldDescriptor& field) {
    Json schema;
    if (field.is_map()) {
      schema = {{"type", "object"},
                {"additionalProperties", ValueSchema(*field.message_type()->map_value())}};
    } else if (field.is_repeated()) {
      schema = {{"type", "array"}, {"items", ValueSchema(field)}};
    } else {
      schema = ValueSchema(field);
    }
    if (IsSensitive(field)) {
      // Siblings of a $ref are ignored in OpenAPI 3.0: wrap it.
      if (schema.contains("$ref")) schema = Json{{"allOf", Json::array({schema})}};
      schema["x-tandem-sensitive"] = true;
    }
    return schema;
  }

  // A reference to a message's component schema, or an inline schema for a well-known type.
  Json MessageSchema(const Descriptor& type) {
    switch (type.well_known_type()) {
      case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
        return {{"type", "string"}, {"format", "date-time"}};
      case Descriptor::WELLKNOWNTYPE_DURATION:
        return {{"type", "string"}, {"pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$"}, {"example", "1.5s"}};
      case Descriptor::WELLKNOWNTYPE_FIELDMASK:
        return {{"type", "string"}, {"description", "comma-separated field paths"}};
      case Descriptor::WELLKNOWNTYPE_DOUBLEVALUE:
      case Descriptor::WELLKNOWNTYPE_FLOATVALUE:
      case Descriptor::WELLKNOWNTYPE_INT64VALUE:
      case Descriptor::WELLKNOWNTYPE_UINT64VALUE:
      case Descriptor::WELLKNOWNTYPE_INT32VALUE:
      case Descriptor::WELLKNOWNTYPE_UINT32VALUE:
      case Descriptor::WELLKNOWNTYPE_STRINGVALUE:
      case Descriptor::WELLKNOWNTYPE_BYTESVALUE:
      case Descriptor::WELLKNOWNTYPE_BOOLVALUE: {
        Json schema = ValueSchema(*type.FindFieldByNumber(1));
        schema["nullable"] = true;
        return schema;
      }
      case Descriptor::WELLKNOWNTYPE_STRUCT:
        return {{"type", "object"}, {"additionalProperties", true}};
      case Descriptor::WELLKNOWNTYPE_VALUE:
        return {{"description", "any JSON value"}, {"nullable", true}};
      case Descriptor::WELLKNOWNTYPE_LISTVALUE:
        return {{"type", "array"}, {"items", Json::object()}};
      case Descriptor::WELLKNOWNTYPE_ANY:
        return {{"type", "object"},
                {"properties", {{"@type", {{"type", "string"}}}}},
                {"additionalProperties", true}};
      default:
        break;
    }
    if (!messages_.count(type.full_name())) {
      messages_[type.full_name()] = &type;
      pending_.push_back(&type);
    }
    return {{"$ref", SchemaRef(type.full_name())}};
  }

  Json EnumRef(const EnumDescriptor& type) {
    enums_[type.full_name()] = &type;
    return {{"$ref", SchemaRef(type.full_name())}};
  }

  // Every referenced schema, sorted by name.
  Json Components() {
    // Building a message's schema may reference more messages: drain the work list first.
    std::map<std::string, Json> built;
    while (!pending_.empty()) {
      const Descriptor* type = pending_.back();
      pending_.pop_back();
      Json properties = Json::object();
      for (int i = 0; i < type->field_count(); ++i) {
        const FieldDescriptor& field = *type->field(i);
        properties[field.json_name()] = FieldSchema(field);
      }
      built[type->full_name()] = {{"type", "object"}, {"properties", std::move(properties)}};
    }
    for (const auto& [name, type] : enums_) {
      Json values = Json::array();
      for (int i = 0; i < type->value_count(); ++i) values.push_back(type->value(i)->name());
      built[name] = {{"type", "string"}, {"enum", std::move(values)}};
    }
    Json schemas = Json::object();
    for (auto& [name, schema] : built) schemas[name] = std::move(schema);
    return schemas;
  }

 private:
  std::map<std::string, const Descriptor*> messages_;
  std::map<std::string, const EnumDescriptor*> enums_;
  std::vector<const Descriptor*> pending_;
};

Json ErrorSchema() {
  Json violation = {{"type", "object"},
                    {"properties", {{"field", {{"type", "string"}}}, {"description", {{"type", "string"}}}}}};
  Json detail = {{"type", "object"},
                 {"properties",
                  {{"@type", {{"type", "string"}}},
                   {"fieldViolations", {{"type", "array"}, {"items", violation}}},
                   {"retryDelay", {{"type", "string"}}}}}};
  return {{"type", "object"},
          {"required", Json::array({"code", "status", "message"})},
          {"properties",
           {{"code", {{"type", "integer"}, {"format", "int32"}, {"description", "gRPC status code"}}},
            {"status", {{"type", "string"}, {"example", "INVALID_ARGUMENT"}}},
            {"message", {{"type", "string"}}},
            {"details", {{"type", "array"}, {"items", detail}}}}}};
}

bool IsBound(const Route& route, const FieldPath& chain) {
  return std::any_of(route.variable_fields.begin(), route.variable_fields.end(),
                     [&](const FieldPath& bound) { return bound == chain; });
}

// Query parameters for the request fields a route takes from the query string, depth first, by JSON name.
void AddQueryParameters(const Route& route, const Descriptor& type, const std::string& prefix,
                        FieldPath& chain, std::vector<const Descriptor*>& visiting, SchemaBuilder& schemas,
                        Json& parameters) {
  if (visiting.size() > static_cast<size_t>(kMaxQueryDepth) ||
      std::find(visiting.begin(), visiting.end(), &type) != visiting.end()) {
    return;
  }
  visiting.push_back(&type);
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    chain.push_back(&field);
    std::string name = prefix.empty() ? field.json_name() : absl::StrCat(prefix, ".", field.json_name());
    bool in_body = chain.size() == 1 && route.body_field == &field;
    if (in_body || IsBound(route, chain) || field.is_map() || IsSensitive(field)) {
      // Not a query parameter (clinical text is refused in a URL).
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !HasTextForm(*field.message_type())) {
      // Fields of a singular (non well-known) message are named with dots: `filter.kind`.
      if (!field.is_repeated() &&
          field.message_type()->well_known_type() == Descriptor::WELLKNOWNTYPE_UNSPECIFIED) {
        AddQueryParameters(route, *field.message_type(), name, chain, visiting, schemas, parameters);
      }
    } else {
      parameters.push_back({{"name", name}, {"in", "query"}, {"schema", schemas.FieldSchema(field)}});
    }
    chain.pop_back();
  }
  visiting.pop_back();
}

// `path` is the template the path item is filed under: the route's own, or that of an earlier route of the
// same shape, whose variable names the path parameters must use.
Json Operation(const Route& route, const PathTemplate& path, SchemaBuilder& schemas) {
  const Descriptor& input = *route.method->input_type();
  Json operation = {{"operationId", absl::StrReplaceAll(route.method->full_name(), {{".", "_"}})},
                    {"tags", Json::array({route.method->service()->full_name()})},
                    {"x-tandem-grpc-method", route.grpc_path}};
  Json parameters = Json::array();
  size_t variable = 0;
  for (size_t i = 0; i < route.path.segments().size(); ++i) {
    const PathTemplate::Segment& segment = route.path.segments()[i];
    if (!segment.is_variable) continue;
    const FieldDescriptor& field = *route.variable_fields[variable++].back();
    const std::string& name = path.segments()[i].text;
    Json parameter = {
        {"name", name}, {"in", "path"}, {"required", true}, {"schema", schemas.ValueSchema(field)}};
    if (name != segment.text) parameter["x-tandem-field"] = segment.text;
    if (segment.text == route.path_token) {
      parameter["description"] =
          "Credential for this resource, checked by the service: it travels in the path because the clients "
          "of this route cannot send an Authorization header. Keep it secret.";
      parameter["x-tandem-credential"] = true;
    }
    parameters.push_back(std::move(parameter));
  }
  if (route.body != "*") {
    FieldPath chain;
    std::vector<const Descriptor*> visiting;
    AddQueryParameters(route, input, "", chain, visiting, schemas, parameters);
  }
  if (!parameters.empty()) operation["parameters"] = std::move(parameters);
  if (!route.body.empty()) {
    Json schema = route.body == "*" ? schemas.MessageSchema(input) : schemas.FieldSchema(*route.body_field);
    operation["requestBody"] = {{"required", true},
                                {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
  }
  // A raw body's media type is chosen by the service per response, so it is known only at run time.
  Json content =
      route.raw_response
          ? Json{{"*/*", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}
          : Json{{"application/json", {{"schema", schemas.MessageSchema(*route.method->output_type())}}}};
  Json error = {{"$ref", "#/components/responses/Error"}};
  operation["responses"] = {
      {"200", {{"description", "OK"}, {"content", std::move(content)}}}, {"4XX", error}, {"5XX", error}};
  // The credential is the path variable above, not a bearer token.
  if (!route.path_token.empty()) operation["security"] = Json::array();
  return operation;
}

}  // namespace

std::string OpenApiDocument(const RouteTable& table, absl::string_view title) {
  SchemaBuilder schemas;
  // OpenAPI treats templated paths that differ only in variable names as one path, so routes are grouped by
  // shape and filed under the first one's template. Paths sorted by template; operations in verb order.
  std::map<std::string, const Route*> first_of_shape;
  std::map<std::string, std::map<int, const Route*>> by_path;
  for (const auto& route : table.routes()) {
    const Route* first = first_of_shape.emplace(route->path.Shape(), route.get()).first->second;
    by_path[first->template_text()][static_cast<int>(route->verb)] = route.get();
  }
  Json paths = Json::object();
  for (const auto& [path, routes] : by_path) {
    const PathTemplate& filed_under = first_of_shape.at(routes.begin()->second->path.Shape())->path;
    Json item = Json::object();
    for (const auto& [verb, route] : routes) {
      std::string method(route->verb_name());
      for (char& c : method) c = static_cast<char>(c - 'A' + 'a');
      item[method] = Operation(*route, filed_under, schemas);
    }
    paths[path] = std::move(item);
  }
  Json components_schemas = schemas.Components();
  components_schemas[kErrorSchemaName] = ErrorSchema();
  Json document = {
      {"openapi", "3.0.3"},
      {"info", {{"title", std::string(title)}, {"version", "v1"}}},
      {"paths", std::move(paths)},
      {"components",
       {{"schemas", std::move(components_schemas)},
        {"responses",
         {{"Error",
           {{"description", "An error: gRPC code, status name, message and details (field violations)"},
            {"content", {{"application/json", {{"schema", {{"$ref", SchemaRef(kErrorSchemaName)}}}}}}}}}}},
        {"securitySchemes",
         {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}},
      {"security", Json::array({{{"bearerAuth", Json::array()}}})}};
  return document.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace tandem::gateway
