#include "services/gateway/route_table.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/gateway/path_template.h"
#include "services/gateway/transcoder.h"
#include "tandem/api/v1/annotations.pb.h"
#include "tandem/testing/v1/gateway_test.pb.h"
#include "tests/gateway/test_routes.h"

namespace tandem::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

constexpr char kTestService[] = "tandem.testing.v1.GatewayTestService";

using gateway_testing::CollisionService;
using gateway_testing::TestService;
using gateway_testing::TestTable;

// (field path, value) pairs, for readable expectations.
std::vector<std::pair<std::string, std::string>> Pairs(const Bindings& bindings) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const Binding& binding : bindings) result.emplace_back(std::string(binding.field_path), binding.value);
  return result;
}

std::string MethodOf(const Lookup& lookup) {
  return lookup.route == nullptr ? "<none>" : lookup.route->method->full_name();
}

// Rules the test proto must not contain (they fail to build) are described here, one file each, in a pool of
// their own that resolves imports from the generated pool.
class DynamicServices {
 public:
  DynamicServices()
      : generated_(*google::protobuf::DescriptorPool::generated_pool()),
        merged_(&generated_, &files_),
        pool_(&merged_) {
    tandem::api::v1::HttpRule::descriptor();  // makes the option's extension known to the text parser
  }

  // `methods` is the text of the service's `method { ... }` entries; the request message has a string `id`,
  // a message `inner` (with string `leaf`, a repeated `leaves` and a sensitive `hidden`), a repeated `ids`,
  // an int64 `count`, a sensitive string `secret` and a sensitive message `sealed` (an Inner).
  const google::protobuf::ServiceDescriptor* Service(const std::string& methods) {
    std::string name = "dynamic" + std::to_string(++counter_);
    std::string text = R"pb(
      name: "NAME.proto"
      package: "NAME"
      dependency: "tandem/api/v1/annotations.proto"
      message_type {
        name: "Inner"
        field { name: "leaf" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
        field { name: "leaves" number: 2 type: TYPE_STRING label: LABEL_REPEATED }
        field {
          name: "hidden"
          number: 3
          type: TYPE_STRING
          label: LABEL_OPTIONAL
          options {
            [tandem.api.v1.sensitive]: true
          }
        }
      }
      message_type {
        name: "Req"
        field { name: "id" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
        field { name: "inner" number: 2 type: TYPE_MESSAGE type_name: ".NAME.Inner" label: LABEL_OPTIONAL }
        field { name: "ids" number: 3 type: TYPE_STRING label: LABEL_REPEATED }
        field { name: "count" number: 4 type: TYPE_INT64 label: LABEL_OPTIONAL }
        field {
          name: "secret"
          number: 5
          type: TYPE_STRING
          label: LABEL_OPTIONAL
          options {
            [tandem.api.v1.sensitive]: true
          }
        }
        field {
          name: "sealed"
          number: 6
          type: TYPE_MESSAGE
          type_name: ".NAME.Inner"
          label: LABEL_OPTIONAL
          options {
            [tandem.api.v1.sensitive]: true
          }
        }
      }
      service { name: "Svc" METHODS }
      syntax: "proto3"
    )pb";
    text = ReplaceAll(text, "NAME", name);
    text = ReplaceAll(text, "METHODS", ReplaceAll(methods, "NAME", name));
    google::protobuf::FileDescriptorProto file;
    if (!google::protobuf::TextFormat::ParseFromString(text, &file)) {
      ADD_FAILURE() << "bad descriptor text";
      return nullptr;
    }
    if (!files_.Add(file)) {
      ADD_FAILURE() << "descriptor not added";
      return nullptr;
    }
    const google::protobuf::FileDescriptor* built = pool_.FindFileByName(file.name());
    if (built == nullptr) {
      ADD_FAILURE() << "descriptor did not build";
      return nullptr;
    }
    return built->service(0);
  }

  // One method M(Req) returns (Req) with the given rule text (`get: "/v1/x"`).
  const google::protobuf::ServiceDescriptor* WithRule(const std::string& rule) {
    return Service(R"pb(method { name: "M" input_type: ".NAME.Req" output_type: ".NAME.Req"
                                 options {
                                   [tandem.api.v1.http] {)pb" +
                   rule + "} } }");
  }

 private:
  static std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
      text.replace(pos, from.size(), to);
    }
    return text;
  }

  google::protobuf::DescriptorPoolDatabase generated_;
  google::protobuf::SimpleDescriptorDatabase files_;
  google::protobuf::MergedDescriptorDatabase merged_;
  google::protobuf::DescriptorPool pool_;
  int counter_ = 0;
};

TEST(PathTemplateTest, ParsesLiteralsVariablesAndVerb) {
  auto parsed = PathTemplate::Parse("/v1/clients/{client_id}/goals/{goal.id}:archive");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->verb(), "archive");
  EXPECT_EQ(parsed->variable_count(), 2u);
  ASSERT_THAT(parsed->segments(), SizeIs(5));
  EXPECT_FALSE(parsed->segments()[0].is_variable);
  EXPECT_EQ(parsed->segments()[0].text, "v1");
  EXPECT_TRUE(parsed->segments()[2].is_variable);
  EXPECT_EQ(parsed->segments()[2].text, "client_id");
  EXPECT_TRUE(parsed->segments()[4].is_variable);
  EXPECT_EQ(parsed->segments()[4].text, "goal.id");
  EXPECT_EQ(parsed->Shape(), "/v1/clients/{}/goals/{}:archive");

  auto literal_verb = PathTemplate::Parse("/v1/notes:batchGet");
  ASSERT_TRUE(literal_verb.ok()) << literal_verb.status();
  EXPECT_EQ(literal_verb->verb(), "batchGet");
  EXPECT_EQ(literal_verb->Shape(), "/v1/notes:batchGet");
}

TEST(PathTemplateTest, RejectsMalformedTemplatesWithAClearError) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must start with '/'"},
      {"v1/goals", "must start with '/'"},
      {"/", "empty segment"},
      {"/v1//goals", "empty segment"},
      {"/v1/goals/", "empty segment"},
      {"/v1/{goal_id", "unclosed '{'"},
      {"/v1/{name=goals/*}", "not supported"},
      {"/v1/*", "wildcards"},
      {"/v1/{}", "field path"},
      {"/v1/{1abc}", "field path"},
      {"/v1/{a..b}", "field path"},
      {"/v1/{a}{b}", "whole segment"},
      {"/v1/{a}x", "whole segment"},
      {"/v1/goals:", "empty custom verb"},
      {"/v1/goals:a/b", "custom verb"},
      {"/v1/{a}/{a}", "appears twice"},
      {"/v1/go als", "unexpected character"},
      {"/v1/go%20als", "unexpected character"},
  };
  for (const auto& [text, problem] : cases) {
    auto parsed = PathTemplate::Parse(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(problem)) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr("path template")) << text;
  }
  std::string long_template;
  for (size_t i = 0; i <= kMaxPathSegments; ++i) long_template += "/s";
  EXPECT_FALSE(PathTemplate::Parse(long_template).ok());
}

TEST(PathTemplateTest, MatchesAndPercentDecodesPerSegment) {
  auto parsed = PathTemplate::Parse("/v1/clients/{client_id}/goals/{goal.id}:archive");
  ASSERT_TRUE(parsed.ok());
  Bindings bindings;
  ASSERT_TRUE(parsed->Match("/v1/clients/c%2F1/goals/g%20%C3%A9+x:archive", &bindings));
  EXPECT_THAT(Pairs(bindings), ElementsAre(Pair("client_id", "c/1"), Pair("goal.id", "g \xC3\xA9+x")));
  EXPECT_TRUE(parsed->Match("/v1/%63lients/c/goals/g:archive", &bindings)) << "escaped literal";
  EXPECT_FALSE(parsed->Match("/v1/clients/c/goals/g", &bindings)) << "verb missing";
  EXPECT_FALSE(parsed->Match("/v1/clients/c/goals/:archive", &bindings)) << "empty value before the verb";
  EXPECT_FALSE(parsed->Match("/v1/clients/c/goals/g:other", &bindings));
  EXPECT_FALSE(parsed->Match("/v1/clients//goals/g:archive", &bindings)) << "empty segment";
  EXPECT_FALSE(parsed->Match("/v1/clients/c%2/goals/g:archive", &bindings)) << "truncated escape";
  EXPECT_FALSE(parsed->Match("/v1/clients/c%zz/goals/g:archive", &bindings)) << "bad escape";
  EXPECT_FALSE(parsed->Match("/v1/clients/c/goals/g:archive/", &bindings)) << "trailing slash";
  EXPECT_FALSE(parsed->Match("v1/clients/c/goals/g:archive", &bindings)) << "relative";
}

TEST(PathTemplateTest, SplitsRequestTargets) {
  RequestTarget target = SplitRequestTarget("/v1/goals?tag=a&tag=b#frag");
  EXPECT_EQ(target.path, "/v1/goals");
  EXPECT_EQ(target.query, "tag=a&tag=b");
  target = SplitRequestTarget("/v1/goals");
  EXPECT_EQ(target.path, "/v1/goals");
  EXPECT_EQ(target.query, "");
}

TEST(RouteTableTest, RoutesEveryMethodWithARuleAndNoOther) {
  const RouteTable& table = TestTable();
  EXPECT_THAT(table.routes(), SizeIs(10));
  EXPECT_EQ(table.FindByMethod(std::string(kTestService) + ".InternalOnly"), nullptr);
  const Route* update = table.FindByMethod(std::string(kTestService) + ".UpdateGoal");
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->verb, HttpVerb::kPatch);
  EXPECT_EQ(update->verb_name(), "PATCH");
  EXPECT_EQ(update->template_text(), "/v1/test/goals/{goal.id}");
  EXPECT_EQ(update->grpc_path, "/tandem.testing.v1.GatewayTestService/UpdateGoal");
  EXPECT_EQ(update->body, "goal");
  ASSERT_NE(update->body_field, nullptr);
  EXPECT_EQ(update->body_field->name(), "goal");
  ASSERT_THAT(update->variable_fields, SizeIs(1));
  ASSERT_THAT(update->variable_fields[0], SizeIs(2));
  EXPECT_EQ(update->variable_fields[0][0]->name(), "goal");
  EXPECT_EQ(update->variable_fields[0][1]->name(), "id");

  const Route* create = table.FindByMethod(std::string(kTestService) + ".CreateGoal");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->body, "*");
  EXPECT_EQ(create->body_field, nullptr);
  EXPECT_EQ(create->path_token, "");
  EXPECT_FALSE(create->raw_response);

  const Route* feed = table.FindByMethod(std::string(kTestService) + ".GetFeed");
  ASSERT_NE(feed, nullptr);
  EXPECT_EQ(feed->path_token, "token");
  EXPECT_TRUE(feed->raw_response);
}

TEST(RouteTableTest, MatchesEachMappingCase) {
  const RouteTable& table = TestTable();
  struct Case {
    const char* verb;
    const char* path;
    const char* method;
    std::vector<std::pair<std::string, std::string>> bindings;
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/test/goals/g1", "GetGoal", {{"goal_id", "g1"}}},
      {"GET", "/v1/test/goals/search", "SearchGoals", {}},
      {"GET", "/v1/test/goals/searc%68", "SearchGoals", {}},
      {"GET", "/v1/test/parents/p%2F1", "GetChild", {{"parent.child_id", "p/1"}}},
      {"GET", "/v1/test/clients/c1/goals", "ListGoals", {{"client_id", "c1"}}},
      {"POST", "/v1/test/clients/c1/goals", "CreateGoal", {{"client_id", "c1"}}},
      {"PATCH", "/v1/test/goals/g1", "UpdateGoal", {{"goal.id", "g1"}}},
      {"DELETE", "/v1/test/goals/g1", "DeleteGoal", {{"goal_id", "g1"}}},
      {"POST", "/v1/test/goals/g1:reach", "ReachMilestone", {{"goal_id", "g1"}}},
      {"POST", "/v1/test/goals/a:b:reach", "ReachMilestone", {{"goal_id", "a:b"}}},
      // Without a route for the verb, the colon is part of the value.
      {"GET", "/v1/test/goals/g1:reach", "GetGoal", {{"goal_id", "g1:reach"}}},
      // An encoded colon is never a verb separator.
      {"POST", "/v1/test/goals/g1%3Areach", "", {}},
      {"PUT", "/v1/test/scalars/s%20t", "PutScalars", {{"string_value", "s t"}}},
      {"GET", "/v1/test/feeds/cal-1/t%2Bk", "GetFeed", {{"calendar_id", "cal-1"}, {"token", "t+k"}}},
  };
  for (const Case& c : cases) {
    Lookup lookup = table.Match(c.verb, c.path);
    std::string expected = *c.method == '\0' ? "<none>" : std::string(kTestService) + "." + c.method;
    EXPECT_EQ(MethodOf(lookup), expected) << c.verb << " " << c.path;
    if (lookup.route != nullptr) {
      EXPECT_EQ(Pairs(lookup.bindings), c.bindings) << c.path;
    }
  }
}

TEST(RouteTableTest, DistinguishesNotFoundFromWrongVerb) {
  const RouteTable& table = TestTable();
  Lookup lookup = table.Match("PUT", "/v1/test/goals/g1");
  EXPECT_EQ(lookup.route, nullptr);
  EXPECT_THAT(lookup.allowed_verbs, ElementsAre("GET", "DELETE", "PATCH"));
  EXPECT_EQ(lookup.AllowHeader(), "GET, DELETE, PATCH");

  lookup = table.Match("DELETE", "/v1/test/clients/c1/goals");
  EXPECT_EQ(lookup.route, nullptr);
  EXPECT_EQ(lookup.AllowHeader(), "GET, POST");

  // Methods the gateway does not route at all, and HTTP's case-sensitive method names.
  EXPECT_EQ(table.Match("OPTIONS", "/v1/test/clients/c1/goals").AllowHeader(), "GET, POST");
  EXPECT_EQ(table.Match("get", "/v1/test/clients/c1/goals").AllowHeader(), "GET, POST");
  EXPECT_EQ(table.Match("get", "/v1/test/clients/c1/goals").route, nullptr);

  // The literal `search` wins for GET only; for other verbs `/goals/{goal_id}` is the one template that fits,
  // so Allow lists its verbs too.
  EXPECT_EQ(MethodOf(table.Match("DELETE", "/v1/test/goals/search")),
            std::string(kTestService) + ".DeleteGoal");
  EXPECT_EQ(table.Match("OPTIONS", "/v1/test/goals/search").AllowHeader(), "GET, DELETE, PATCH");

  for (const char* path : {"/v1/test/goals", "/v1/test/goals/", "/v1/test/goals/g1/x", "/v1/test//goals/g1",
                           "//v1/test/goals/g1", "/v1/test/goals/g%zz", "/v2/test/goals/g1", "", "/",
                           "/v1/test/clients/c1/goals/g1/milestones"}) {
    Lookup missing = table.Match("GET", path);
    EXPECT_EQ(missing.route, nullptr) << path;
    EXPECT_TRUE(missing.allowed_verbs.empty()) << path;
  }
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "/v1";
  EXPECT_EQ(table.Match("GET", deep).route, nullptr);
}

TEST(RouteTableTest, CollidingRulesAreAStartUpErrorNamingBoth) {
  auto table = RouteTable::Build({TestService(), CollisionService()});
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(), HasSubstr("tandem.testing.v1.GatewayTestService.GetGoal"));
  EXPECT_THAT(table.status().message(), HasSubstr("tandem.testing.v1.GatewayCollisionService.FetchGoal"));
  EXPECT_THAT(table.status().message(), HasSubstr("collide"));

  // The same service given twice is not a collision with itself.
  EXPECT_TRUE(RouteTable::Build({TestService(), TestService()}).ok());
  // Alone, the colliding service builds.
  EXPECT_TRUE(RouteTable::Build({CollisionService()}).ok());
}

TEST(RouteTableTest, CollisionIgnoresVariableNamesButNotVerbsOrCustomVerbs) {
  DynamicServices services;
  auto methods = [](const std::string& a, const std::string& b) {
    return "method { name: \"A\" input_type: \".NAME.Req\" output_type: \".NAME.Req\" options { "
           "[tandem.api.v1.http] { " +
           a +
           " } } } method { name: \"B\" input_type: \".NAME.Req\" output_type: \".NAME.Req\" options { "
           "[tandem.api.v1.http] { " +
           b + " } } }";
  };
  auto same_shape =
      RouteTable::Build({services.Service(methods(R"(get: "/v1/x/{id}")", R"(get: "/v1/x/{count}")"))});
  ASSERT_FALSE(same_shape.ok());
  EXPECT_THAT(same_shape.status().message(), HasSubstr("Svc.A"));
  EXPECT_THAT(same_shape.status().message(), HasSubstr("Svc.B"));

  EXPECT_TRUE(
      RouteTable::Build({services.Service(methods(R"(get: "/v1/x/{id}")", R"(delete: "/v1/x/{id}")"))}).ok());
  EXPECT_TRUE(RouteTable::Build({services.Service(methods(R"(post: "/v1/x/{id}:a" body: "*")",
                                                          R"(post: "/v1/x/{id}:b" body: "*")"))})
                  .ok());
  EXPECT_TRUE(
      RouteTable::Build({services.Service(methods(R"(get: "/v1/x/{id}")", R"(get: "/v1/x/y")"))}).ok());
}

TEST(RouteTableTest, ValidatesRulesAgainstTheRequestMessage) {
  DynamicServices services;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(get: "/v1/x/{missing}")", "has no field \"missing\""},
      {R"(get: "/v1/x/{inner}")", "must name a scalar field"},
      {R"(get: "/v1/x/{ids}")", "is repeated"},
      {R"(get: "/v1/x/{inner.leaves}")", "is repeated"},
      {R"(get: "/v1/x/{inner.nope}")", "has no field \"nope\""},
      {R"(get: "/v1/x/{id.more}")", "is not a message"},
      {R"(post: "/v1/x" body: "nothing")", "body field \"nothing\""},
      {R"(post: "/v1/x" body: "inner.leaf")", "body field"},
      {R"(post: "/v1/x/{id}" body: "id")", "also bound by the path"},
      {R"(get: "/v1/x" body: "*")", "GET routes take no body"},
      {R"(delete: "/v1/x" body: "*")", "DELETE routes take no body"},
      {R"(get: "/v1/x//y")", "empty segment"},
      {R"(body: "*")", "names no verb"},
      {R"(post: "/v1/x/{id}" body: "*" path_token: "id")", "path_token is allowed on GET routes only"},
      {R"(delete: "/v1/x/{id}" path_token: "id")", "path_token is allowed on GET routes only"},
      {R"(get: "/v1/x/{id}" path_token: "count")", "path_token \"count\" names no variable"},
      {R"(get: "/v1/x/{inner.leaf}" path_token: "inner")", "path_token \"inner\" names no variable"},
      // Clinical text never goes into a URL, whatever the verb, at any depth.
      {R"(get: "/v1/x/{secret}")", "path variable {secret}: \"secret\" is marked (tandem.api.v1.sensitive)"},
      {R"(post: "/v1/x/{secret}" body: "inner")", "\"secret\" is marked (tandem.api.v1.sensitive)"},
      {R"(get: "/v1/x/{inner.hidden}")", "{inner.hidden}: \"hidden\" is marked (tandem.api.v1.sensitive)"},
      {R"(get: "/v1/x/{sealed.leaf}")", "{sealed.leaf}: \"sealed\" is marked (tandem.api.v1.sensitive)"},
      {R"(get: "/v1/x/{id}/{secret}" path_token: "secret")", "is marked (tandem.api.v1.sensitive)"},
  };
  for (const auto& [rule, problem] : cases) {
    const google::protobuf::ServiceDescriptor* service = services.WithRule(rule);
    ASSERT_NE(service, nullptr) << rule;
    auto table = RouteTable::Build({service});
    ASSERT_FALSE(table.ok()) << rule;
    EXPECT_THAT(table.status().message(), HasSubstr(problem)) << rule;
    EXPECT_THAT(table.status().message(), HasSubstr(".Svc.M")) << rule;
  }
  // And the valid forms of the same rules.
  for (const std::string rule : {R"(get: "/v1/x/{inner.leaf}")", R"(post: "/v1/x/{id}" body: "inner")",
                                 R"(patch: "/v1/x/{inner.leaf}" body: "inner")", R"(put: "/v1/x/{count}")",
                                 R"(get: "/v1/x/{id}/{inner.leaf}" path_token: "inner.leaf")"}) {
    auto table = RouteTable::Build({services.WithRule(rule)});
    EXPECT_TRUE(table.ok()) << rule << ": " << table.status();
  }
}

TEST(RouteTableTest, RoutesCarryPrototypesOfTheirMessages) {
  const Route* get = TestTable().FindByMethod(std::string(kTestService) + ".GetGoal");
  ASSERT_NE(get, nullptr);
  ASSERT_NE(get->request_prototype, nullptr);
  EXPECT_EQ(get->request_prototype->GetDescriptor()->full_name(),
            "tandem.testing.v1.GetGatewayTestGoalRequest");
  EXPECT_NE(dynamic_cast<const tandem::testing::v1::GetGatewayTestGoalRequest*>(get->request_prototype),
            nullptr);
  EXPECT_EQ(get->response_prototype->GetDescriptor()->full_name(), "tandem.testing.v1.GatewayTestGoal");

  // Descriptors from elsewhere (a pool built at run time) get dynamic messages, which transcode the same way.
  DynamicServices services;
  auto table = RouteTable::Build({services.WithRule(R"(post: "/v1/x/{id}" body: "inner")")});
  ASSERT_TRUE(table.ok()) << table.status();
  Lookup lookup = table->Match("POST", "/v1/x/abc");
  ASSERT_NE(lookup.route, nullptr);
  ASSERT_NE(lookup.route->request_prototype, nullptr);
  std::unique_ptr<google::protobuf::Message> request(lookup.route->request_prototype->New());
  absl::Status status = FillRequest(*lookup.route, lookup.bindings, "count=5&ids=a&ids=b",
                                    R"({"leaf": "l", "leaves": ["x"]})", *request);
  ASSERT_TRUE(status.ok()) << status;
  auto json = ToJson(*request);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json,
            R"({"id":"abc","inner":{"leaf":"l","leaves":["x"],"hidden":""},"ids":["a","b"],"count":"5",)"
            R"("secret":""})");
}

TEST(RouteTableTest, HttpBodyResponsesAreRawInARunTimePoolToo) {
  DynamicServices services;
  auto table = RouteTable::Build({services.Service(
      R"pb(method {
             name: "Feed"
             input_type: ".NAME.Req"
             output_type: ".tandem.api.v1.HttpBody"
             options {
               [tandem.api.v1.http] { get: "/v1/feeds/{id}" path_token: "id" }
             }
           })pb")});
  ASSERT_TRUE(table.ok()) << table.status();
  Lookup lookup = table->Match("GET", "/v1/feeds/secret");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_TRUE(lookup.route->raw_response);
  EXPECT_EQ(lookup.route->path_token, "id");
  EXPECT_EQ(lookup.route->response_prototype->GetDescriptor()->full_name(), "tandem.api.v1.HttpBody");
}

TEST(RouteTableTest, ManyRoutesStillMatchTheMostSpecific) {
  DynamicServices services;
  std::string methods;
  for (int i = 0; i < 200; ++i) {
    methods +=
        "method { name: \"M" + std::to_string(i) +
        "\" input_type: \".NAME.Req\" output_type: \".NAME.Req\" options { [tandem.api.v1.http] { get: "
        "\"/v1/r" +
        std::to_string(i) + "/{id}/items/{inner.leaf}\" } } }";
  }
  methods +=
      "method { name: \"Literal\" input_type: \".NAME.Req\" output_type: \".NAME.Req\" options { "
      "[tandem.api.v1.http] { get: \"/v1/r7/{id}/items/latest\" } } }";
  auto table = RouteTable::Build({services.Service(methods)});
  ASSERT_TRUE(table.ok()) << table.status();
  Lookup lookup = table->Match("GET", "/v1/r150/a/items/b");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_EQ(lookup.route->method->name(), "M150");
  EXPECT_THAT(Pairs(lookup.bindings), ElementsAre(Pair("id", "a"), Pair("inner.leaf", "b")));
  EXPECT_EQ(table->Match("GET", "/v1/r7/a/items/latest").route->method->name(), "Literal");
  EXPECT_EQ(table->Match("GET", "/v1/r8/a/items/latest").route->method->name(), "M8");
}

}  // namespace
}  // namespace tandem::gateway
