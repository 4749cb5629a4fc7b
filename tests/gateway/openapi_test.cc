#include "services/gateway/openapi.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/gateway/test_routes.h"

namespace tandem::gateway {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

// A fresh copy per use: non-const access to a missing key then yields null (and a failed expectation) instead
// of an assertion.
Json Document() {
  static const Json* const kDocument =
      new Json(Json::parse(OpenApiDocument(gateway_testing::TestTable(), "Tandem test API")));
  return *kDocument;
}

Json Schema(const std::string& name) { return Document()["components"]["schemas"][name]; }

// The parameter named `name` of an operation, or null.
Json Parameter(const Json& operation, const std::string& name) {
  for (const Json& parameter : operation.value("parameters", Json::array())) {
    if (parameter["name"] == name) return parameter;
  }
  return nullptr;
}

std::set<std::string> ParameterNames(const Json& operation, const std::string& in) {
  std::set<std::string> names;
  for (const Json& parameter : operation.value("parameters", Json::array())) {
    if (parameter["in"] == in) names.insert(parameter["name"].get<std::string>());
  }
  return names;
}

void CollectRefs(const Json& node, std::set<std::string>& refs) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "$ref") refs.insert(it.value().get<std::string>());
      CollectRefs(it.value(), refs);
    }
  } else if (node.is_array()) {
    for (const Json& element : node) CollectRefs(element, refs);
  }
}

TEST(OpenApiTest, IsAnOpenApi3DocumentWithEveryRoutedPathAndNoOther) {
  Json document = Document();
  EXPECT_EQ(document["openapi"], "3.0.3");
  EXPECT_EQ(document["info"]["title"], "Tandem test API");
  Json& paths = document["paths"];
  EXPECT_EQ(paths.size(), 7u);
  for (const auto& route : gateway_testing::TestTable().routes()) {
    std::string verb(route->verb_name());
    for (char& c : verb) c = static_cast<char>(c - 'A' + 'a');
    std::string path = route->template_text() == "/v1/test/goals/{goal.id}" ? "/v1/test/goals/{goal_id}"
                                                                            : route->template_text();
    ASSERT_TRUE(paths.contains(path)) << path;
    EXPECT_TRUE(paths[path].contains(verb)) << verb << " " << path;
    EXPECT_EQ(paths[path][verb]["x-tandem-grpc-method"], route->grpc_path);
  }
  // PATCH /v1/test/goals/{goal.id} has the shape of /v1/test/goals/{goal_id}: OpenAPI counts templated paths
  // that differ only in variable names as one, so it joins that path item under the first route's names.
  EXPECT_FALSE(paths.contains("/v1/test/goals/{goal.id}"));
  EXPECT_EQ(paths["/v1/test/goals/{goal_id}"].size(), 3u);
  std::string text = document.dump();
  EXPECT_THAT(text, Not(HasSubstr("InternalOnly")));
  EXPECT_THAT(text, Not(HasSubstr("GatewayCollisionService")));
}

TEST(OpenApiTest, PathAndQueryParameters) {
  Json child = Document()["paths"]["/v1/test/parents/{parent.child_id}"]["get"];
  Json variable = Parameter(child, "parent.child_id");
  ASSERT_FALSE(variable.is_null());
  EXPECT_EQ(variable["in"], "path");
  EXPECT_EQ(variable["required"], true);
  EXPECT_EQ(variable["schema"]["type"], "string");
  EXPECT_EQ(ParameterNames(child, "query"), std::set<std::string>({"parent.label"}));

  Json list = Document()["paths"]["/v1/test/clients/{client_id}/goals"]["get"];
  EXPECT_EQ(ParameterNames(list, "path"), std::set<std::string>({"client_id"}));
  EXPECT_EQ(ParameterNames(list, "query"),
            std::set<std::string>({"pageSize", "pageToken", "tag", "filter.kind", "filter.active",
                                   "filter.words", "kind", "includeClosed", "minVersion", "since",
                                   "reviewWindow", "maxScore", "readMask", "versions", "cursor"}));
  EXPECT_EQ(Parameter(list, "tag")["schema"]["type"], "array");
  EXPECT_EQ(Parameter(list, "minVersion")["schema"]["type"], "string");
  EXPECT_EQ(Parameter(list, "minVersion")["schema"]["format"], "int64");
  EXPECT_EQ(Parameter(list, "since")["schema"]["format"], "date-time");
  EXPECT_EQ(Parameter(list, "kind")["schema"]["$ref"],
            "#/components/schemas/tandem.testing.v1.GatewayTestKind");
  EXPECT_EQ(Parameter(list, "maxScore")["schema"]["nullable"], true);

  // Clinical text is refused in a query string, so none is offered there.
  EXPECT_EQ(ParameterNames(Document()["paths"]["/v1/test/goals/search"]["get"], "query"),
            std::set<std::string>());
}

TEST(OpenApiTest, BodiesAndResponses) {
  Json create = Document()["paths"]["/v1/test/clients/{client_id}/goals"]["post"];
  EXPECT_EQ(ParameterNames(create, "query"), std::set<std::string>());  // a `*` body takes every field
  EXPECT_EQ(create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/tandem.testing.v1.CreateGatewayTestGoalRequest");
  EXPECT_EQ(create["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/tandem.testing.v1.GatewayTestGoal");
  EXPECT_EQ(create["responses"]["4XX"]["$ref"], "#/components/responses/Error");
  EXPECT_EQ(create["responses"]["5XX"]["$ref"], "#/components/responses/Error");

  Json update = Document()["paths"]["/v1/test/goals/{goal_id}"]["patch"];
  EXPECT_EQ(update["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/tandem.testing.v1.GatewayTestGoal");
  EXPECT_EQ(ParameterNames(update, "query"), std::set<std::string>({"updateMask", "etag"}));
  EXPECT_EQ(ParameterNames(update, "path"), std::set<std::string>({"goal_id"}));
  EXPECT_EQ(Parameter(update, "goal_id")["x-tandem-field"], "goal.id");

  Json remove = Document()["paths"]["/v1/test/goals/{goal_id}"]["delete"];
  EXPECT_FALSE(remove.contains("requestBody"));
  EXPECT_EQ(remove["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/google.protobuf.Empty");
  EXPECT_EQ(Schema("google.protobuf.Empty")["type"], "object");
}

TEST(OpenApiTest, SchemasFollowTheProto3JsonMapping) {
  Json goal = Schema("tandem.testing.v1.GatewayTestGoal");
  ASSERT_TRUE(goal.is_object());
  Json& properties = goal["properties"];
  EXPECT_EQ(properties["clientWords"]["type"], "string");
  EXPECT_EQ(properties["clientWords"]["x-tandem-sensitive"], true);
  EXPECT_FALSE(properties["id"].contains("x-tandem-sensitive"));
  EXPECT_EQ(properties["version"], Json::parse(R"({"type": "string", "format": "int64"})"));
  EXPECT_EQ(properties["kind"]["$ref"], "#/components/schemas/tandem.testing.v1.GatewayTestKind");
  EXPECT_EQ(properties["milestones"]["items"]["$ref"],
            "#/components/schemas/tandem.testing.v1.GatewayTestMilestone");
  EXPECT_EQ(properties["subGoals"]["items"]["$ref"],
            "#/components/schemas/tandem.testing.v1.GatewayTestGoal");
  EXPECT_EQ(properties["labels"]["additionalProperties"]["type"], "string");
  EXPECT_EQ(properties["dueAt"]["format"], "date-time");
  EXPECT_EQ(properties["targetSessions"]["nullable"], true);
  EXPECT_EQ(properties["extra"]["type"], "object");
  EXPECT_EQ(Schema("tandem.testing.v1.GatewayTestMilestone")["properties"]["title"]["x-tandem-sensitive"],
            true);
  EXPECT_EQ(
      Schema("tandem.testing.v1.GatewayTestKind"),
      Json::parse(R"({"type": "string", "enum": ["GATEWAY_TEST_KIND_UNSPECIFIED", "GATEWAY_TEST_KIND_ALPHA",
                                                       "GATEWAY_TEST_KIND_BETA"]})"));
  Json scalars = Schema("tandem.testing.v1.GatewayTestScalars")["properties"];
  EXPECT_EQ(scalars["uint64Value"]["type"], "string");
  EXPECT_EQ(scalars["int32Value"]["type"], "integer");
  EXPECT_EQ(scalars["bytesValue"]["format"], "byte");
  EXPECT_EQ(scalars["doubleValue"]["type"], "number");
  EXPECT_EQ(scalars["boolMap"]["type"], "object");
  EXPECT_EQ(scalars["kinds"]["items"]["$ref"], "#/components/schemas/tandem.testing.v1.GatewayTestKind");
  // Well-known types are inline, never components.
  EXPECT_FALSE(Document()["components"]["schemas"].contains("google.protobuf.Timestamp"));
}

TEST(OpenApiTest, EveryReferenceResolvesAndSecurityIsDeclared) {
  Json document = Document();
  std::set<std::string> refs;
  CollectRefs(document, refs);
  EXPECT_THAT(refs, Contains("#/components/schemas/tandem.gateway.Error"));
  for (const std::string& ref : refs) {
    ASSERT_EQ(ref.rfind("#/components/", 0), 0u) << ref;
    Json::json_pointer pointer(ref.substr(1));
    // Component names contain dots, not slashes, so the pointer is the path.
    EXPECT_TRUE(document.contains(pointer)) << ref;
  }
  Json error = Schema("tandem.gateway.Error");
  EXPECT_TRUE(error["properties"].contains("code"));
  EXPECT_TRUE(error["properties"].contains("message"));
  EXPECT_TRUE(error["properties"].contains("details"));
  EXPECT_EQ(document["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  EXPECT_EQ(document["security"][0].contains("bearerAuth"), true);
  // Operations inherit the bearer requirement unless they override it.
  EXPECT_FALSE(document["paths"]["/v1/test/goals/{goal_id}"]["get"].contains("security"));
}

TEST(OpenApiTest, PathTokenRouteNeedsNoBearerAndDescribesItsCredential) {
  Json feed = Document()["paths"]["/v1/test/feeds/{calendar_id}/{token}"]["get"];
  ASSERT_TRUE(feed.is_object());
  ASSERT_TRUE(feed.contains("security"));
  EXPECT_EQ(feed["security"], Json::array());
  Json token = Parameter(feed, "token");
  EXPECT_EQ(token["in"], "path");
  EXPECT_EQ(token["x-tandem-credential"], true);
  EXPECT_THAT(token["description"].get<std::string>(), HasSubstr("Credential"));
  EXPECT_FALSE(Parameter(feed, "calendar_id").contains("x-tandem-credential"));
}

TEST(OpenApiTest, HttpBodyResponseIsBinaryOfARunTimeType) {
  Json feed = Document()["paths"]["/v1/test/feeds/{calendar_id}/{token}"]["get"];
  Json content = feed["responses"]["200"]["content"];
  EXPECT_FALSE(content.contains("application/json"));
  EXPECT_EQ(content["*/*"]["schema"], Json::parse(R"({"type": "string", "format": "binary"})"));
  EXPECT_EQ(feed["responses"]["4XX"]["$ref"], "#/components/responses/Error");
  // The wrapper message itself is never shown as a JSON schema.
  EXPECT_FALSE(Document()["components"]["schemas"].contains("tandem.api.v1.HttpBody"));
}

}  // namespace
}  // namespace tandem::gateway
