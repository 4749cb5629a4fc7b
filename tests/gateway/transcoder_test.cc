#include "services/gateway/transcoder.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/json_body.h"
#include "services/gateway/path_template.h"
#include "tandem/testing/v1/gateway_test.pb.h"
#include "tests/gateway/test_routes.h"

namespace tandem::gateway {
namespace {

using tandem::testing::v1::CreateGatewayTestGoalRequest;
using tandem::testing::v1::DeleteGatewayTestGoalRequest;
using tandem::testing::v1::GatewayTestGoal;
using tandem::testing::v1::GatewayTestScalars;
using tandem::testing::v1::GetGatewayTestChildRequest;
using tandem::testing::v1::GetGatewayTestGoalRequest;
using tandem::testing::v1::ListGatewayTestGoalsRequest;
using tandem::testing::v1::ReachGatewayTestMilestoneRequest;
using tandem::testing::v1::UpdateGatewayTestGoalRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;

using Violations = std::vector<std::pair<std::string, std::string>>;

// Routes `verb target` through the test table and transcodes it into `request`.
absl::Status Fill(absl::string_view verb, absl::string_view target, absl::string_view body,
                  google::protobuf::Message& request) {
  RequestTarget split = SplitRequestTarget(target);
  Lookup lookup = gateway_testing::TestTable().Match(verb, split.path);
  if (lookup.route == nullptr) return absl::NotFoundError("no route");
  return FillRequest(*lookup.route, lookup.bindings, split.query, body, request);
}

Violations ViolationsOf(const absl::Status& status) {
  Violations result;
  for (const auto& violation : GetFieldViolations(status)) {
    result.emplace_back(violation.field(), violation.description());
  }
  return result;
}

// Everything a client or a log could see of an error.
std::string Visible(const absl::Status& status) {
  std::string text(status.message());
  for (const auto& [field, description] : ViolationsOf(status)) {
    absl::StrAppend(&text, "|", field, "|", description);
  }
  return text;
}

TEST(FillRequestTest, GetWithOnePathVariable) {
  GetGatewayTestGoalRequest request;
  ASSERT_TRUE(Fill("GET", "/v1/test/goals/g%201", "", request).ok());
  EXPECT_EQ(request.goal_id(), "g 1");
}

TEST(FillRequestTest, NestedPathVariableAndASiblingFromTheQuery) {
  GetGatewayTestChildRequest request;
  absl::Status status = Fill("GET", "/v1/test/parents/p1?parent.label=first", "", request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.parent().child_id(), "p1");
  EXPECT_EQ(request.parent().label(), "first");

  GetGatewayTestChildRequest conflicting;
  status = Fill("GET", "/v1/test/parents/p1?parent.childId=p2", "", conflicting);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair("parent.childId", HasSubstr("bound by the URL path"))));
}

TEST(FillRequestTest, QueryParametersOfEveryKind) {
  ListGatewayTestGoalsRequest request;
  absl::Status status =
      Fill("GET",
           "/v1/test/clients/c1/goals?page_size=20&pageToken=t%2B1&tag=a+b&tag=c%26d"
           "&filter.kind=GATEWAY_TEST_KIND_ALPHA&filter.active=true&filter.words=x&filter.words=y"
           "&kind=2&includeClosed=true&min_version=9007199254740993"
           "&since=2024-05-01T09:30:00.25%2B02:00&reviewWindow=1.5s&maxScore=2.5"
           "&readMask=clientWords,milestones.reachedAt&versions=1&versions=-2&cursor=YWJj&&",
           "", request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.client_id(), "c1");
  EXPECT_EQ(request.page_size(), 20);
  EXPECT_EQ(request.page_token(), "t+1");
  EXPECT_THAT(request.tag(), ElementsAre("a b", "c&d"));
  EXPECT_EQ(request.filter().kind(), tandem::testing::v1::GATEWAY_TEST_KIND_ALPHA);
  EXPECT_TRUE(request.filter().active());
  EXPECT_THAT(request.filter().words(), ElementsAre("x", "y"));
  EXPECT_EQ(request.kind(), tandem::testing::v1::GATEWAY_TEST_KIND_BETA);
  EXPECT_TRUE(request.include_closed());
  EXPECT_EQ(request.min_version(), 9007199254740993);  // beyond a double's exact range
  EXPECT_EQ(request.since().seconds(), 1714548600);    // 2024-05-01T07:30:00Z
  EXPECT_EQ(request.since().nanos(), 250000000);
  EXPECT_EQ(request.review_window().seconds(), 1);
  EXPECT_EQ(request.review_window().nanos(), 500000000);
  EXPECT_TRUE(request.has_max_score());
  EXPECT_EQ(request.max_score().value(), 2.5);
  EXPECT_THAT(request.read_mask().paths(), ElementsAre("client_words", "milestones.reached_at"));
  EXPECT_THAT(request.versions(), ElementsAre(1, -2));
  EXPECT_EQ(request.cursor(), "abc");
}

TEST(FillRequestTest, QueryProblemsAreReportedTogetherWithoutTheirValues) {
  ListGatewayTestGoalsRequest request;
  absl::Status status = Fill("GET",
                             "/v1/test/clients/c1/goals?nope=SECRETWORD&page_size=SECRETWORD&pageSize=3"
                             "&kind=SECRETWORD&include_closed=yes&since=yesterday&filter=x&clientId=c2"
                             "&tag=%zz&cursor=***&min_version=1.5&filter.nothing=1&my%20secret%20words=1",
                             "", request);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      ViolationsOf(status),
      ElementsAre(Pair("nope", "unknown query parameter"), Pair("page_size", "expected an integer"),
                  Pair("pageSize", HasSubstr("more than once")), Pair("kind", "unknown enum value"),
                  Pair("include_closed", "expected true or false"), Pair("since", HasSubstr("RFC 3339")),
                  Pair("filter", HasSubstr("cannot be given as a query parameter")),
                  Pair("clientId", HasSubstr("bound by the URL path")),
                  Pair("tag", "malformed percent-encoding"), Pair("cursor", "expected base64"),
                  Pair("min_version", "expected a 64-bit integer"),
                  Pair("filter.nothing", "unknown query parameter"), Pair("?", "unknown query parameter")));
  EXPECT_THAT(Visible(status), Not(HasSubstr("SECRETWORD")));
  EXPECT_THAT(Visible(status), Not(HasSubstr("secret")));
}

TEST(FillRequestTest, SensitiveFieldsAreRefusedInTheQueryStringByNameNeverByValue) {
  tandem::testing::v1::SearchGatewayTestGoalsRequest search;
  absl::Status status = Fill("GET", "/v1/test/goals/search?query=PANICWORD%20attacks", "", search);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair("query", HasSubstr("sensitive"))));
  EXPECT_EQ(search.query(), "");
  EXPECT_THAT(Visible(status), Not(HasSubstr("PANICWORD")));

  // Nested: a sensitive field inside a message the query may otherwise reach, by JSON or proto name.
  for (const char* name : {"goal.clientWords", "goal.client_words"}) {
    UpdateGatewayTestGoalRequest update;
    status = Fill("PATCH", absl::StrCat("/v1/test/goals/g1?", name, "=PANICWORD"), "{}", update);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair(name, HasSubstr("sensitive")))) << name;
    EXPECT_THAT(Visible(status), Not(HasSubstr("PANICWORD")));
  }
}

TEST(FillRequestTest, WholeBodyWithPathVariable) {
  CreateGatewayTestGoalRequest request;
  absl::Status status = Fill("POST", "/v1/test/clients/c1/goals", R"({
      "goal": {
        "clientWords": "sleep through the night",
        "kind": "GATEWAY_TEST_KIND_BETA",
        "milestones": [{"title": "first week", "reached": true, "reachedAt": "2024-05-01T09:30:00Z"}],
        "version": "7",
        "labels": {"area": "sleep"},
        "milestonesByRank": {"2": {"title": "second"}},
        "reviewEvery": "604800s",
        "targetSessions": 12,
        "subGoals": [{"id": "sub", "subGoals": [{"id": "subsub"}]}],
        "dueNote": "after the holidays",
        "extra": {"a": [1, "two", null, true, {"b": 2.5}]}
      },
      "idempotency_key": "k1",
      "clientId": "c1"
    })",
                             request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.client_id(), "c1");
  EXPECT_EQ(request.idempotency_key(), "k1");
  const GatewayTestGoal& goal = request.goal();
  EXPECT_EQ(goal.client_words(), "sleep through the night");
  EXPECT_EQ(goal.kind(), tandem::testing::v1::GATEWAY_TEST_KIND_BETA);
  ASSERT_EQ(goal.milestones_size(), 1);
  EXPECT_EQ(goal.milestones(0).title(), "first week");
  EXPECT_TRUE(goal.milestones(0).reached());
  EXPECT_EQ(goal.milestones(0).reached_at().seconds(), 1714555800);
  EXPECT_EQ(goal.version(), 7);
  EXPECT_EQ(goal.labels().at("area"), "sleep");
  EXPECT_EQ(goal.milestones_by_rank().at(2).title(), "second");
  EXPECT_EQ(goal.review_every().seconds(), 604800);
  EXPECT_EQ(goal.target_sessions().value(), 12);
  ASSERT_EQ(goal.sub_goals_size(), 1);
  EXPECT_EQ(goal.sub_goals(0).sub_goals(0).id(), "subsub");
  EXPECT_EQ(goal.due_note(), "after the holidays");
  const auto& extra = goal.extra().fields().at("a").list_value();
  ASSERT_EQ(extra.values_size(), 5);
  EXPECT_EQ(extra.values(0).number_value(), 1);
  EXPECT_EQ(extra.values(1).string_value(), "two");
  EXPECT_TRUE(extra.values(2).has_null_value());
  EXPECT_TRUE(extra.values(3).bool_value());
  EXPECT_EQ(extra.values(4).struct_value().fields().at("b").number_value(), 2.5);
}

TEST(FillRequestTest, WholeBodyRejectsQueryParametersAndContradictingThePath) {
  CreateGatewayTestGoalRequest request;
  absl::Status status =
      Fill("POST", "/v1/test/clients/c1/goals?idempotencyKey=k", R"({"clientId": "c2"})", request);
  EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair("client_id", HasSubstr("differs")),
                                                Pair("idempotencyKey", HasSubstr("from the body"))));
}

TEST(FillRequestTest, BlankBodyOnABodyRouteIsAnEmptyMessage) {
  CreateGatewayTestGoalRequest request;
  ASSERT_TRUE(Fill("POST", "/v1/test/clients/c1/goals", " \r\n", request).ok());
  EXPECT_EQ(request.client_id(), "c1");
  EXPECT_FALSE(request.has_goal());
}

TEST(FillRequestTest, PatchWithBodyFieldAndQuery) {
  UpdateGatewayTestGoalRequest request;
  absl::Status status = Fill("PATCH", "/v1/test/goals/g1?updateMask=clientWords,kind&etag=e1",
                             R"({"clientWords": "calmer mornings", "kind": 1, "id": "g1"})", request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.goal().id(), "g1");
  EXPECT_EQ(request.goal().client_words(), "calmer mornings");
  EXPECT_EQ(request.goal().kind(), tandem::testing::v1::GATEWAY_TEST_KIND_ALPHA);
  EXPECT_THAT(request.update_mask().paths(), ElementsAre("client_words", "kind"));
  EXPECT_EQ(request.etag(), "e1");
}

TEST(FillRequestTest, PatchViolationsArePrefixedWithTheBodyField) {
  UpdateGatewayTestGoalRequest request;
  absl::Status status = Fill("PATCH", "/v1/test/goals/g1?goal.kind=1",
                             R"({"milestones": [{"title": "ok"}, {"title": 5}], "id": "g2"})", request);
  EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair("goal.milestones[1].title", "expected a string"),
                                                Pair("goal.id", HasSubstr("differs")),
                                                Pair("goal.kind", "is set by the request body")));
}

TEST(FillRequestTest, DeleteWithQueryAndNoBody) {
  DeleteGatewayTestGoalRequest request;
  ASSERT_TRUE(Fill("DELETE", "/v1/test/goals/g1?etag=e%3D1", "", request).ok());
  EXPECT_EQ(request.goal_id(), "g1");
  EXPECT_EQ(request.etag(), "e=1");

  DeleteGatewayTestGoalRequest with_body;
  absl::Status status = Fill("DELETE", "/v1/test/goals/g1", "{}", with_body);
  EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair("", "this route takes no request body")));
}

TEST(FillRequestTest, CustomVerb) {
  ReachGatewayTestMilestoneRequest request;
  absl::Status status =
      Fill("POST", "/v1/test/goals/g1:reach", R"({"rank": 2, "reflection": "proud"})", request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.goal_id(), "g1");
  EXPECT_EQ(request.rank(), 2);
  EXPECT_EQ(request.reflection(), "proud");
}

TEST(FillRequestTest, JsonTypeMapping) {
  GatewayTestScalars request;
  absl::Status status = Fill("PUT", "/v1/test/scalars/s1", R"({
      "stringValue": "s1",
      "int32Value": -2147483648,
      "int64Value": "-9223372036854775808",
      "uint32Value": 4294967295,
      "uint64Value": "18446744073709551615",
      "sint32Value": 1e3,
      "sint64Value": -5,
      "fixed32Value": "7",
      "fixed64Value": 8,
      "sfixed32Value": -9,
      "sfixed64Value": "-10",
      "floatValue": 1.5,
      "doubleValue": "-Infinity",
      "boolValue": true,
      "bytesValue": "aGVsbG8",
      "kind": "GATEWAY_TEST_KIND_BETA",
      "int64List": ["1", 2, -3],
      "kinds": [1, "GATEWAY_TEST_KIND_BETA", 42],
      "boolMap": {"true": "yes", "false": "no"},
      "int64Map": {"-5": "minus five"},
      "timestamp": "1970-01-01T00:00:01.000000001Z",
      "duration": "-1.5s",
      "stringWrapper": "",
      "boolWrapper": false,
      "int64Wrapper": "5",
      "doubleWrapper": null,
      "bytesWrapper": "_-8=",
      "fieldMask": "a.bC,d",
      "anyValue": null,
      "listValue": [1, "x"],
      "empty": {},
      "optionalInt32": 0
    })",
                             request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.int32_value(), -2147483648);
  EXPECT_EQ(request.int64_value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(request.uint32_value(), 4294967295u);
  EXPECT_EQ(request.uint64_value(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(request.sint32_value(), 1000);
  EXPECT_EQ(request.sint64_value(), -5);
  EXPECT_EQ(request.fixed32_value(), 7u);
  EXPECT_EQ(request.fixed64_value(), 8u);
  EXPECT_EQ(request.sfixed32_value(), -9);
  EXPECT_EQ(request.sfixed64_value(), -10);
  EXPECT_EQ(request.float_value(), 1.5f);
  EXPECT_TRUE(std::isinf(request.double_value()) && request.double_value() < 0);
  EXPECT_TRUE(request.bool_value());
  EXPECT_EQ(request.bytes_value(), "hello");
  EXPECT_EQ(request.kind(), tandem::testing::v1::GATEWAY_TEST_KIND_BETA);
  EXPECT_THAT(request.int64_list(), ElementsAre(1, 2, -3));
  EXPECT_THAT(request.kinds(), ElementsAre(1, 2, 42));  // proto3 enums are open
  EXPECT_EQ(request.bool_map().at(true), "yes");
  EXPECT_EQ(request.bool_map().at(false), "no");
  EXPECT_EQ(request.int64_map().at(-5), "minus five");
  EXPECT_EQ(request.timestamp().seconds(), 1);
  EXPECT_EQ(request.timestamp().nanos(), 1);
  EXPECT_EQ(request.duration().seconds(), -1);
  EXPECT_EQ(request.duration().nanos(), -500000000);
  EXPECT_TRUE(request.has_string_wrapper());
  EXPECT_TRUE(request.has_bool_wrapper());
  EXPECT_FALSE(request.bool_wrapper().value());
  EXPECT_EQ(request.int64_wrapper().value(), 5);
  EXPECT_FALSE(request.has_double_wrapper());
  EXPECT_EQ(request.bytes_wrapper().value(), "\xff\xef");
  EXPECT_THAT(request.field_mask().paths(), ElementsAre("a.b_c", "d"));
  EXPECT_TRUE(request.any_value().has_null_value());
  EXPECT_EQ(request.list_value().values(1).string_value(), "x");
  EXPECT_TRUE(request.has_empty());
  EXPECT_TRUE(request.has_optional_int32());
}

TEST(FillRequestTest, TypeErrorsAtTheirJsonPaths) {
  GatewayTestScalars request;
  absl::Status status = Fill("PUT", "/v1/test/scalars/s1", R"({
      "int32Value": 2147483648,
      "int64Value": 1.5,
      "uint32Value": -1,
      "uint64Value": "1e3",
      "floatValue": 1e39,
      "doubleValue": "fast",
      "boolValue": "true",
      "bytesValue": "!!",
      "kind": "GATEWAY_TEST_KIND_GAMMA",
      "int64List": [1, null, {}],
      "int64Map": {"five": "x"},
      "timestamp": "2024-02-30T00:00:00Z",
      "duration": "5m",
      "stringWrapper": 5,
      "fieldMask": ["a"],
      "listValue": {},
      "empty": {"x": 1},
      "stringValue": ["s1"]
    })",
                             request);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // Object members come in key order.
  EXPECT_THAT(
      ViolationsOf(status),
      ElementsAre(Pair("boolValue", "expected true or false"), Pair("bytesValue", "expected base64"),
                  Pair("doubleValue", "expected a number"), Pair("duration", HasSubstr("duration")),
                  Pair("empty.x", "unknown field"), Pair("fieldMask", HasSubstr("field paths")),
                  Pair("floatValue", "out of range for a float"),
                  Pair("int32Value", "out of range for a 32-bit integer"),
                  Pair("int64List[1]", "null is not allowed in a list"),
                  Pair("int64List[2]", "expected an integer"),
                  Pair("int64Map[\"?\"]", HasSubstr("invalid map key")),
                  Pair("int64Value", "expected an integer, not a fraction"),
                  Pair("kind", "unknown enum value"), Pair("listValue", "expected a JSON array"),
                  Pair("stringValue", "expected a string"), Pair("stringWrapper", "expected a string"),
                  Pair("timestamp", HasSubstr("RFC 3339")), Pair("uint32Value", "must not be negative"),
                  Pair("uint64Value", "expected a non-negative 64-bit integer")));
}

TEST(FillRequestTest, ValuesWithoutALosslessJsonFormAreRefused) {
  GatewayTestScalars request;
  // Numbers beyond a double are refused by the parser itself.
  absl::Status status = Fill("PUT", "/v1/test/scalars/s1", R"({"anyValue": {"big": [1e999]}})", request);
  EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair("", "malformed JSON at byte 26 (in anyValue.big[0])")));
  for (const char* mask : {"Upper", "a_B", "a_1", "b_", "a..b", "a,,b", "a-b"}) {
    GatewayTestScalars bad_mask;
    status = Fill("PUT", "/v1/test/scalars/s1", absl::StrCat(R"({"fieldMask": ")", mask, R"("})"), bad_mask);
    EXPECT_THAT(ViolationsOf(status), ElementsAre(Pair("fieldMask", HasSubstr("field paths")))) << mask;
  }
  GatewayTestScalars mask;
  ASSERT_TRUE(Fill("PUT", "/v1/test/scalars/s1", R"({"fieldMask": "ok_name,okName.x2"})", mask).ok());
  EXPECT_THAT(mask.field_mask().paths(), ElementsAre("ok_name", "ok_name.x2"));
}

TEST(FillRequestTest, UnknownFieldsNamedByJsonPath) {
  CreateGatewayTestGoalRequest request;
  absl::Status status = Fill("POST", "/v1/test/clients/c1/goals", R"({
      "goal": {"milestones": [{"title": "x"}, {"titel": "y"}], "bogus": 1, "my private words": 2},
      "extra": true
    })",
                             request);
  EXPECT_THAT(ViolationsOf(status),
              ElementsAre(Pair("extra", "unknown field"), Pair("goal.bogus", "unknown field"),
                          Pair("goal.milestones[1].titel", "unknown field"),
                          Pair("goal[\"?\"]", "unknown field (name not shown)")));
  EXPECT_THAT(Visible(status), Not(HasSubstr("private")));
}

TEST(FillRequestTest, MalformedJsonReportsTheByteAndNeverTheBody) {
  struct Case {
    std::string body;
    size_t byte;
    std::string where;
  };
  const std::string prefix = R"({"goal": {"clientWords": "I feel ANXIOUSWORD today",)";
  const std::vector<Case> cases = {
      {prefix + "}}", prefix.size(), " (in goal)"},
      {R"({"goal": {"clientWords": "ANXIOUSWORD)", 37, " (in goal.clientWords)"},  // end of input
      {R"({"goal": {"clientWords": ANXIOUSWORD}})", 25, " (in goal.clientWords)"},
      {R"({"goal": {"milestones": [{"title": "ANXIOUSWORD"}, ]}})", 51, " (in goal.milestones[1])"},
      {"{\"goal\": {\"clientWords\": \"ANXIOUSWORD \xff\"}}", 38, " (in goal.clientWords)"},
      {R"({"goal": {}} ANXIOUSWORD)", 13, ""},
      {"ANXIOUSWORD", 0, ""},
  };
  for (const Case& c : cases) {
    CreateGatewayTestGoalRequest request;
    absl::Status status = Fill("POST", "/v1/test/clients/c1/goals", c.body, request);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(ViolationsOf(status),
                ElementsAre(Pair("", "malformed JSON at byte " + std::to_string(c.byte) + c.where)))
        << c.body;
    EXPECT_THAT(Visible(status), Not(HasSubstr("ANXIOUS"))) << c.body;
    EXPECT_THAT(Visible(status), Not(HasSubstr("feel"))) << c.body;
  }
}

TEST(FillRequestTest, StructuralLimits) {
  // Nesting: 64 levels are accepted, 65 are not.
  auto nested = [](int depth) {
    std::string body;
    for (int i = 0; i < depth - 3; ++i) body += "[";
    for (int i = 0; i < depth - 3; ++i) body += "]";
    return R"({"goal": {"extra": {"deep": )" + body + "}}}";
  };
  CreateGatewayTestGoalRequest ok_request;
  EXPECT_TRUE(Fill("POST", "/v1/test/clients/c1/goals", nested(64), ok_request).ok());
  CreateGatewayTestGoalRequest deep_request;
  absl::Status status = Fill("POST", "/v1/test/clients/c1/goals", nested(65), deep_request);
  ASSERT_THAT(ViolationsOf(status), SizeIs(1));
  EXPECT_THAT(ViolationsOf(status)[0].first, HasSubstr("goal.extra.deep[0][0]"));
  EXPECT_THAT(ViolationsOf(status)[0].second, HasSubstr("nested deeper than 64"));
  std::string very_deep(100000, '[');
  CreateGatewayTestGoalRequest very_deep_request;
  EXPECT_EQ(Fill("POST", "/v1/test/clients/c1/goals", very_deep, very_deep_request).code(),
            absl::StatusCode::kInvalidArgument);

  CreateGatewayTestGoalRequest duplicate;
  EXPECT_THAT(ViolationsOf(Fill("POST", "/v1/test/clients/c1/goals", R"({"goal": {"id": "a", "id": "b"}})",
                                duplicate)),
              ElementsAre(Pair("goal.id", "duplicate key")));

  CreateGatewayTestGoalRequest twice;
  EXPECT_THAT(ViolationsOf(Fill("POST", "/v1/test/clients/c1/goals",
                                R"({"idempotencyKey": "a", "idempotency_key": "b"})", twice)),
              ElementsAre(Pair("idempotency_key", HasSubstr("given twice"))));

  CreateGatewayTestGoalRequest oneof;
  EXPECT_THAT(ViolationsOf(Fill("POST", "/v1/test/clients/c1/goals",
                                R"({"goal": {"dueAt": "2024-05-01T00:00:00Z", "dueNote": "x"}})", oneof)),
              ElementsAre(Pair("goal.dueNote", HasSubstr("only one field of \"due\""))));

  CreateGatewayTestGoalRequest not_object;
  EXPECT_THAT(ViolationsOf(Fill("POST", "/v1/test/clients/c1/goals", "[1]", not_object)),
              ElementsAre(Pair("", "the request body must be a JSON object")));

  // A flood of problems is capped.
  std::string flood = "{";
  for (int i = 0; i < 100; ++i) {
    absl::StrAppend(&flood, i > 0 ? "," : "", "\"unknown", i, "\": 1");
  }
  flood += "}";
  CreateGatewayTestGoalRequest flooded;
  Violations violations = ViolationsOf(Fill("POST", "/v1/test/clients/c1/goals", flood, flooded));
  ASSERT_THAT(violations, SizeIs(33));
  EXPECT_THAT(violations.back(), Pair("", "further violations omitted"));
}

TEST(FillRequestTest, MismatchedRouteIsAnInternalError) {
  const Route* route =
      gateway_testing::TestTable().FindByMethod("tandem.testing.v1.GatewayTestService.GetGoal");
  ASSERT_NE(route, nullptr);
  CreateGatewayTestGoalRequest wrong_type;
  Bindings bindings;
  bindings.push_back(Binding{"goal_id", "g1"});
  EXPECT_EQ(FillRequest(*route, bindings, "", "", wrong_type).code(), absl::StatusCode::kInternal);
  GetGatewayTestGoalRequest right_type;
  EXPECT_EQ(FillRequest(*route, Bindings(), "", "", right_type).code(), absl::StatusCode::kInternal);
}

TEST(ToJsonTest, CanonicalProto3Json) {
  GatewayTestGoal goal;
  goal.set_id("g1");
  goal.set_version(5);
  goal.set_kind(tandem::testing::v1::GATEWAY_TEST_KIND_ALPHA);
  goal.mutable_due_at()->set_seconds(1714548600);
  auto json_text = ToJson(goal);
  ASSERT_TRUE(json_text.ok()) << json_text.status();
  nlohmann::json json = nlohmann::json::parse(*json_text);
  EXPECT_EQ(json["id"], "g1");
  EXPECT_EQ(json["version"], "5");
  EXPECT_EQ(json["kind"], "GATEWAY_TEST_KIND_ALPHA");
  EXPECT_EQ(json["dueAt"], "2024-05-01T07:30:00Z");
  EXPECT_EQ(json["clientWords"], "");  // primitives always printed
  EXPECT_EQ(json["milestones"], nlohmann::json::array());
  EXPECT_FALSE(json.contains("reviewEvery"));  // unset messages omitted
  EXPECT_FALSE(json.contains("client_words"));

  GatewayTestScalars unset_optional;
  auto scalars_json = nlohmann::json::parse(*ToJson(unset_optional));
  EXPECT_FALSE(scalars_json.contains("optionalInt32"));
}

TEST(ToJsonTest, RoundTripsThroughFillRequest) {
  GatewayTestScalars original;
  original.set_string_value("s1");
  original.set_int64_value(std::numeric_limits<int64_t>::min());
  original.set_uint64_value(std::numeric_limits<uint64_t>::max());
  original.set_float_value(0.25f);
  original.set_double_value(-1e300);
  original.set_bytes_value(std::string("\0\xff\x10", 3));
  original.set_kind(tandem::testing::v1::GATEWAY_TEST_KIND_BETA);
  original.add_int64_list(1);
  original.add_kinds(tandem::testing::v1::GATEWAY_TEST_KIND_ALPHA);
  (*original.mutable_bool_map())[true] = "t";
  (*original.mutable_int64_map())[-1] = "m";
  original.mutable_timestamp()->set_seconds(-62135596800);
  original.mutable_duration()->set_nanos(-1000);
  original.mutable_string_wrapper()->set_value("");
  original.mutable_bytes_wrapper()->set_value("b");
  original.mutable_field_mask()->add_paths("a.b_c");
  original.mutable_any_value()->mutable_struct_value();
  original.mutable_list_value();
  original.mutable_empty();
  original.set_optional_int32(0);
  auto json_text = ToJson(original);
  ASSERT_TRUE(json_text.ok());
  GatewayTestScalars parsed;
  absl::Status status = Fill("PUT", "/v1/test/scalars/s1", *json_text, parsed);
  ASSERT_TRUE(status.ok()) << status << "\n" << *json_text;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(original, parsed))
      << original.DebugString() << "\n"
      << parsed.DebugString();
}

TEST(JsonBodyTest, ParsesWithinLimits) {
  nlohmann::json out;
  EXPECT_FALSE(ParseJsonBody(R"({"a": [1, {"b": null}], "c": "\u00e9"})", &out).has_value());
  EXPECT_EQ(out["c"], "\xC3\xA9");
  auto error = ParseJsonBody(R"({"a": [1, {"b": nul}]})", &out);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->field, "");
  EXPECT_EQ(error->description, "malformed JSON at byte 19 (in a[1].b)");  // the "}" after "nul"
  EXPECT_TRUE(out.is_null());
  error = ParseJsonBody("", &out);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->description, "malformed JSON at byte 0");
  error = ParseJsonBody(R"("\ud800")", &out);  // a lone surrogate is not text
  ASSERT_TRUE(error.has_value());
}

}  // namespace
}  // namespace tandem::gateway
