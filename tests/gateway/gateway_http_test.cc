// The gateway end to end over real HTTP: an in-process gateway in front of a real gRPC backend implementing
// the test-only GatewayTestService, driven over loopback with the test kit's HTTP client and, for what a
// well-behaved client never sends, raw bytes.
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc/server_host.h"
#include "common/log/log.h"
#include "common/status/error_details.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/gateway_handler.h"
#include "services/gateway/gateway_server.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tandem/testing/v1/gateway_test.grpc.pb.h"
#include "tests/fixtures/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/test_tokens.h"

namespace tandem::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using tandem::testing::HttpReply;
using tandem::testing::PersonToken;
using tandem::testing::ServiceToken;
using tandem::testing::v1::GatewayTestGoal;
using tandem::testing::v1::GatewayTestService;
using ::testing::HasSubstr;
using ::testing::Not;

// The backend: answers from the request so the test sees what the gateway sent, and turns magic ids into
// errors
// ("err-<grpc code>") or slowness ("slow").
class Backend final : public GatewayTestService::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetGoal(grpc::CallbackServerContext* context,
                                    const tandem::testing::v1::GetGatewayTestGoalRequest* request,
                                    GatewayTestGoal* response) override {
    calls.fetch_add(1);
    auto* reactor = context->DefaultReactor();
    const std::string& id = request->goal_id();
    if (id.rfind("err-", 0) == 0) {
      auto code = static_cast<grpc::StatusCode>(std::stoi(id.substr(4)));
      if (code == grpc::StatusCode::INVALID_ARGUMENT) {
        FieldViolations violations;
        violations.Add("goal_id", "must name an existing goal");
        reactor->Finish(ToGrpcStatus(violations.ToStatus()));
      } else if (code == grpc::StatusCode::ALREADY_EXISTS) {
        // A conflict that names what it conflicts with, as a booking will.
        reactor->Finish(ToGrpcStatus(ConflictError(absl::StatusCode::kAlreadyExists, "the slot is taken",
                                                   "appointment", "appt-42", "SLOT_TAKEN")));
      } else {
        reactor->Finish(grpc::Status(code, "backend says no"));
      }
      return reactor;
    }
    if (id == "slow") absl::SleepFor(absl::Milliseconds(400));
    response->set_id(id);
    response->set_version(7);
    auto request_id = context->client_metadata().find("x-request-id");
    if (request_id != context->client_metadata().end()) {
      (*response->mutable_labels())["request_id"] =
          std::string(request_id->second.data(), request_id->second.size());
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* ListGoals(grpc::CallbackServerContext* context,
                                      const tandem::testing::v1::ListGatewayTestGoalsRequest* request,
                                      tandem::testing::v1::ListGatewayTestGoalsResponse* response) override {
    calls.fetch_add(1);
    {
      absl::MutexLock lock(&mu);
      last_list = *request;
    }
    response->set_next_page_token("next");
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* CreateGoal(grpc::CallbackServerContext* context,
                                       const tandem::testing::v1::CreateGatewayTestGoalRequest* request,
                                       GatewayTestGoal* response) override {
    calls.fetch_add(1);
    *response = request->goal();
    response->set_id("created-for-" + request->client_id());
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  // A calendar feed: the token is checked here, as a real service would; "bad-type-<n>" calendars answer
  // with the n-th unusable content type.
  grpc::ServerUnaryReactor* GetFeed(grpc::CallbackServerContext* context,
                                    const tandem::testing::v1::GetGatewayTestFeedRequest* request,
                                    tandem::api::v1::HttpBody* response) override {
    calls.fetch_add(1);
    if (context->client_metadata().count("authorization") > 0) feeds_with_authorization.fetch_add(1);
    auto* reactor = context->DefaultReactor();
    if (request->token() != kFeedToken) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown feed token"));
      return reactor;
    }
    const std::string& calendar = request->calendar_id();
    if (calendar.rfind("bad-type-", 0) == 0) {
      response->set_content_type(kBadContentTypes[std::stoul(calendar.substr(9))]);
    } else {
      response->set_content_type("text/calendar; charset=utf-8");
    }
    response->set_data(absl::StrCat("BEGIN:VCALENDAR\r\nX-WR-CALNAME:", calendar, "\r\nEND:VCALENDAR\r\n"));
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  static constexpr char kFeedToken[] = "feed-s3cret-7f1c";
  static constexpr const char* kBadContentTypes[] = {
      "",
      "text/calendar\r\nSet-Cookie: a=b",
      "text/calendar\nX-Evil: 1",
      "calendar",
      "text/",
      "text/cal endar",
      "text/calendar; charset",
      "t\xC3\xABxt/calendar",
  };

  std::atomic<int> calls{0};
  std::atomic<int> feeds_with_authorization{0};
  absl::Mutex mu;
  tandem::testing::v1::ListGatewayTestGoalsRequest last_list ABSL_GUARDED_BY(mu);
};

class GatewayHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.address = "127.0.0.1";
    backend_host_ = std::make_unique<ServerHost>(options);
    backend_host_->AddService(&backend_);
    ASSERT_OK(backend_host_->Start());
    StartGateway(absl::StrCat("127.0.0.1:", backend_host_->port()));
  }

  void StartGateway(const std::string& backend_target) {
    GatewayConfig config;
    config.http.address = "127.0.0.1";
    config.http.request_timeout = absl::Milliseconds(500);
    config.http.idle_timeout = absl::Seconds(5);
    config.backends.push_back({GatewayTestService::service_full_name(), backend_target});
    auto gateway = GatewayServer::Create(std::move(config), testing::TestVerifier());
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    ASSERT_OK(gateway_->Start());
  }

  void TearDown() override {
    if (gateway_) gateway_->Shutdown(absl::Seconds(1));
    if (backend_host_) backend_host_->Shutdown(absl::Seconds(1));
  }

  // The caller of most tests: a clinician of clinic c1.
  static std::string Token() { return PersonToken("clinician"); }

  HttpReply Call(http::verb verb, const std::string& target, const std::string& body = "",
                 std::vector<std::pair<std::string, std::string>> headers = {}, bool with_token = true) {
    return testing::HttpCall(gateway_->port(),
                             {verb, target, body, with_token ? Token() : std::string(), std::move(headers)});
  }

  // Sends raw bytes and returns everything the server sends back until it closes (or `timeout`).
  std::string Raw(const std::string& bytes, absl::Duration timeout = absl::Seconds(3)) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(gateway_->port())});
    asio::write(socket, asio::buffer(bytes));
    timeval tv{static_cast<time_t>(absl::ToInt64Seconds(timeout)), 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char chunk[4096];
    while (true) {
      ssize_t n = ::recv(socket.native_handle(), chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      out.append(chunk, static_cast<size_t>(n));
    }
    return out;
  }

  Backend backend_;
  std::unique_ptr<ServerHost> backend_host_;
  std::unique_ptr<GatewayServer> gateway_;
};

TEST_F(GatewayHttpTest, GetWithPathVariableReturnsProtoJsonAndRequestId) {
  HttpReply reply = Call(http::verb::get, "/v1/test/goals/g-1", "", {{"x-request-id", "trace-1"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  nlohmann::json json = reply.json();
  EXPECT_EQ(json["id"], "g-1");
  EXPECT_EQ(json["version"], "7");  // int64 as a string, per proto3 JSON
  EXPECT_EQ(json["labels"]["request_id"], "trace-1");
  EXPECT_EQ(reply.headers["x-request-id"], "trace-1");
  EXPECT_EQ(reply.headers[http::field::content_type], "application/json");

  HttpReply generated = Call(http::verb::get, "/v1/test/goals/g-2");
  EXPECT_EQ(generated.json()["labels"]["request_id"].get<std::string>().size(), 36u);
}

TEST_F(GatewayHttpTest, MissingOrBadTokenIs401AndNothingIsForwarded) {
  HttpReply missing = Call(http::verb::get, "/v1/test/goals/g-1", "", {}, /*with_token=*/false);
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(std::string(missing.headers[http::field::www_authenticate]), HasSubstr("Bearer"));
  HttpReply bad =
      Call(http::verb::get, "/v1/test/goals/g-1", "", {{"authorization", "Bearer not.a.token"}}, false);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.json()["code"], 16);
  // A valid service token is no ticket through the public door either.
  const std::string service_token = ServiceToken("scheduling", "gateway");
  for (const char* target : {"/v1/test/goals/g-1", "/v1/session"}) {
    HttpReply refused =
        Call(http::verb::get, target, "", {{"authorization", "Bearer " + service_token}}, false);
    EXPECT_EQ(refused.status, 401) << target;
  }
  EXPECT_EQ(backend_.calls.load(), 0);
}

TEST_F(GatewayHttpTest, SessionDescribesTheVerifiedCaller) {
  HttpReply reply = Call(http::verb::get, "/v1/session");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["subject"], "u1");
  EXPECT_EQ(reply.json()["clinicId"], "c1");
  EXPECT_EQ(reply.json()["roles"], nlohmann::json::array({"clinician"}));
  EXPECT_EQ(Call(http::verb::get, "/v1/session", "", {}, false).status, 401);
}

TEST_F(GatewayHttpTest, UnknownRouteIs404AndWrongVerbIs405WithAllow) {
  EXPECT_EQ(Call(http::verb::get, "/v1/nothing/here").status, 404);
  HttpReply wrong = Call(http::verb::put, "/v1/test/goals/g-1", "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_THAT(std::string(wrong.headers[http::field::allow]), HasSubstr("GET"));
  EXPECT_THAT(std::string(wrong.headers[http::field::allow]), HasSubstr("DELETE"));
}

TEST_F(GatewayHttpTest, QueryParametersMapToRepeatedNestedAndTypedFields) {
  HttpReply reply =
      Call(http::verb::get,
           "/v1/test/clients/cl-9/goals?pageSize=25&tag=a&tag=b&filter.kind=GATEWAY_TEST_KIND_BETA"
           "&includeClosed=true&minVersion=12&since=2026-01-02T03:04:05Z");
  ASSERT_EQ(reply.status, 200) << reply.body;
  absl::MutexLock lock(&backend_.mu);
  const auto& seen = backend_.last_list;
  EXPECT_EQ(seen.client_id(), "cl-9");
  EXPECT_EQ(seen.page_size(), 25);
  ASSERT_EQ(seen.tag_size(), 2);
  EXPECT_EQ(seen.tag(1), "b");
  EXPECT_EQ(seen.filter().kind(), tandem::testing::v1::GATEWAY_TEST_KIND_BETA);
  EXPECT_TRUE(seen.include_closed());
  EXPECT_EQ(seen.min_version(), 12);
  EXPECT_EQ(seen.since().seconds(), 1767323045);
}

TEST_F(GatewayHttpTest, PostBodyBecomesTheRequest) {
  HttpReply reply =
      Call(http::verb::post, "/v1/test/clients/cl-1/goals",
           R"({"goal": {"clientWords": "sleep through the night", "kind": "GATEWAY_TEST_KIND_ALPHA"}})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["id"], "created-for-cl-1");
  EXPECT_EQ(reply.json()["clientWords"], "sleep through the night");
}

TEST_F(GatewayHttpTest, MalformedJsonIs400WithPositionAndNoBodyText) {
  HttpReply reply =
      Call(http::verb::post, "/v1/test/clients/cl-1/goals", R"({"goal": {"clientWords": "nightmares" )");
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, Not(HasSubstr("nightmares")));
  EXPECT_THAT(reply.body, HasSubstr("byte"));
  EXPECT_EQ(backend_.calls.load(), 0);
}

TEST_F(GatewayHttpTest, UnknownJsonFieldIs400NamingItsPath) {
  HttpReply reply = Call(http::verb::post, "/v1/test/clients/cl-1/goals", R"({"goal": {"mood": "anxious"}})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("goal.mood"));
  EXPECT_THAT(reply.body, Not(HasSubstr("anxious")));
}

TEST_F(GatewayHttpTest, BackendCodesMapToHttpStatusesWithDetails) {
  struct Case {
    int grpc_code;
    int http_status;
  };
  for (Case c :
       {Case{3, 400}, Case{16, 401}, Case{7, 403}, Case{5, 404}, Case{6, 409}, Case{9, 409}, Case{10, 412},
        Case{8, 429}, Case{14, 503}, Case{4, 504}, Case{13, 500}, Case{2, 500}, Case{12, 500}}) {
    HttpReply reply = Call(http::verb::get, absl::StrCat("/v1/test/goals/err-", c.grpc_code));
    EXPECT_EQ(reply.status, c.http_status) << "grpc code " << c.grpc_code << ": " << reply.body;
    nlohmann::json json = reply.json();
    EXPECT_EQ(json["code"], c.grpc_code);
    EXPECT_TRUE(json.contains("message"));
    EXPECT_TRUE(json["details"].is_array());
    if (c.grpc_code == 3) {
      EXPECT_THAT(reply.body, HasSubstr("goal_id"));
      EXPECT_THAT(reply.body, HasSubstr("must name an existing goal"));
    }
    if (c.grpc_code == 6) {
      // The error details cross gRPC, the gateway and JSON intact.
      bool resource = false, reason = false;
      for (const nlohmann::json& detail : json["details"]) {
        if (detail["@type"] == "type.googleapis.com/google.rpc.ResourceInfo") {
          resource = detail["resourceType"] == "appointment" && detail["resourceName"] == "appt-42";
        }
        if (detail["@type"] == "type.googleapis.com/google.rpc.ErrorInfo") {
          reason = detail["reason"] == "SLOT_TAKEN";
        }
      }
      EXPECT_TRUE(resource) << reply.body;
      EXPECT_TRUE(reason) << reply.body;
    }
  }
}

TEST_F(GatewayHttpTest, SlowBackendIs504) {
  HttpReply reply = Call(http::verb::get, "/v1/test/goals/slow", "", {{"grpc-timeout", "100m"}});
  EXPECT_EQ(reply.status, 504);
}

TEST_F(GatewayHttpTest, BackendDownIs503AndNotReady) {
  gateway_->Shutdown(absl::Seconds(1));
  StartGateway(absl::StrCat("127.0.0.1:", *testing::FreeLoopbackPort()));
  HttpReply reply = Call(http::verb::get, "/v1/test/goals/g-1", "", {{"grpc-timeout", "2S"}});
  EXPECT_EQ(reply.status, 503) << reply.body;
  HttpReply ready = Call(http::verb::get, "/readyz", "", {}, false);
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(Call(http::verb::get, "/healthz", "", {}, false).status, 200);
}

TEST_F(GatewayHttpTest, OperationalRoutesArePublic) {
  EXPECT_EQ(Call(http::verb::get, "/healthz", "", {}, false).status, 200);
  EXPECT_EQ(Call(http::verb::get, "/readyz", "", {}, false).status, 200);
  Call(http::verb::get, "/v1/test/goals/g-1");
  HttpReply metrics = Call(http::verb::get, "/metrics", "", {}, false);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("tandem_gateway_requests_total{route=\"/v1/test/goals/{goal_id}\""));
  HttpReply openapi = Call(http::verb::get, "/openapi.json", "", {}, false);
  ASSERT_EQ(openapi.status, 200);
  nlohmann::json doc = openapi.json();
  EXPECT_TRUE(doc["paths"].contains("/v1/test/goals/{goal_id}"));
}

TEST_F(GatewayHttpTest, OversizedBodyIs413AndOversizedHeadersAre431) {
  std::string big(2 << 20, 'a');
  HttpReply body = Call(http::verb::post, "/v1/test/clients/cl-1/goals", big);
  EXPECT_EQ(body.status, 413);
  HttpReply headers =
      Call(http::verb::get, "/v1/test/goals/g-1", "", {{"x-padding", std::string(16 << 10, 'h')}});
  EXPECT_EQ(headers.status, 431);
  EXPECT_EQ(backend_.calls.load(), 0);
}

TEST_F(GatewayHttpTest, SlowClientIsCutOff) {
  absl::Time start = absl::Now();
  // Headers promise a body that never arrives.
  std::string out =
      Raw(absl::StrCat("POST /v1/test/clients/cl-1/goals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
                       Token(), "\r\nContent-Length: 100\r\n\r\n{\"goal\":"),
          absl::Seconds(5));
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));  // closed by the 500 ms request timeout, not by us
  EXPECT_EQ(backend_.calls.load(), 0);
}

TEST_F(GatewayHttpTest, PipelinedKeepAliveRequestsAreAnsweredInOrder) {
  std::string token = Token();
  std::string requests;
  for (const char* id : {"p-1", "slow", "p-3"}) {
    absl::StrAppend(&requests, "GET /v1/test/goals/", id, " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
                    token, "\r\n\r\n");
  }
  absl::StrAppend(&requests, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string out = Raw(requests);
  size_t first = out.find("\"p-1\"");
  size_t second = out.find("\"slow\"");
  size_t third = out.find("\"p-3\"");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  ASSERT_NE(third, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_NE(out.find("{\"status\":\"ok\"}", third), std::string::npos);
}

TEST_F(GatewayHttpTest, HttpBodyIsWrittenAsIsWithItsContentTypeAndNoBearerNeeded) {
  HttpReply reply = Call(http::verb::get, absl::StrCat("/v1/test/feeds/cal-1/", Backend::kFeedToken), "",
                         {{"x-request-id", "feed-1"}}, /*with_token=*/false);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, "BEGIN:VCALENDAR\r\nX-WR-CALNAME:cal-1\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ(reply.headers[http::field::content_type], "text/calendar; charset=utf-8");
  EXPECT_EQ(reply.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(reply.headers[http::field::cache_control], "no-store");
  EXPECT_EQ(reply.headers["x-request-id"], "feed-1");
  EXPECT_EQ(backend_.calls.load(), 1);
  EXPECT_EQ(backend_.feeds_with_authorization.load(), 0);
}

TEST_F(GatewayHttpTest, PathTokenRouteIgnoresAndNeverForwardsAnAuthorizationHeader) {
  const std::string target = absl::StrCat("/v1/test/feeds/cal-1/", Backend::kFeedToken);
  // A valid bearer token, a malformed one and a service token: none is checked, none reaches the service.
  const std::string service_token = ServiceToken("scheduling", "gateway");
  for (const std::string& header : {"Bearer " + Token(), std::string("Bearer not.a.token"),
                                    "Bearer " + service_token, std::string("Basic dTpw")}) {
    HttpReply reply = Call(http::verb::get, target, "", {{"authorization", header}}, /*with_token=*/false);
    EXPECT_EQ(reply.status, 200) << header << ": " << reply.body;
  }
  EXPECT_EQ(backend_.calls.load(), 4);
  EXPECT_EQ(backend_.feeds_with_authorization.load(), 0);
  // Other routes still demand a bearer token.
  EXPECT_EQ(Call(http::verb::get, "/v1/test/goals/g-1", "", {}, /*with_token=*/false).status, 401);
}

TEST_F(GatewayHttpTest, RawRouteErrorsStayJson) {
  HttpReply reply = Call(http::verb::get, "/v1/test/feeds/cal-1/wrong-token", "", {}, /*with_token=*/false);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.headers[http::field::content_type], "application/json");
  EXPECT_EQ(reply.json()["status"], "UNAUTHENTICATED");
  EXPECT_EQ(backend_.calls.load(), 1);
}

TEST_F(GatewayHttpTest, UnusableContentTypeFallsBackToOctetStream) {
  for (size_t i = 0; i < std::size(Backend::kBadContentTypes); ++i) {
    HttpReply reply =
        Call(http::verb::get, absl::StrCat("/v1/test/feeds/bad-type-", i, "/", Backend::kFeedToken), "", {},
             /*with_token=*/false);
    ASSERT_EQ(reply.status, 200) << i << ": " << reply.body;
    EXPECT_EQ(reply.headers[http::field::content_type], "application/octet-stream") << i;
    EXPECT_EQ(reply.headers[http::field::set_cookie], "") << i;
    EXPECT_EQ(reply.headers["x-evil"], "") << i;
    EXPECT_EQ(reply.headers["x-content-type-options"], "nosniff") << i;
    EXPECT_THAT(reply.body, HasSubstr("BEGIN:VCALENDAR")) << i;
  }
}

TEST_F(GatewayHttpTest, PathTokenNeverReachesLogsOrMetrics) {
  // Copies the gateway's log lines while the request runs; the gateway logs before it answers.
  log::Init("gateway_http_test");
  std::shared_ptr<spdlog::logger> logger = spdlog::get("tandem_json");
  ASSERT_NE(logger, nullptr);
  std::ostringstream lines;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
  sink->set_pattern("%v");
  logger->sinks().push_back(sink);
  HttpReply reply =
      Call(http::verb::get, absl::StrCat("/v1/test/feeds/cal-log/", Backend::kFeedToken), "", {},
           /*with_token=*/false);
  logger->sinks().pop_back();
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_THAT(lines.str(), HasSubstr(R"("route":"/v1/test/feeds/{calendar_id}/{token}")"));
  EXPECT_THAT(lines.str(), Not(HasSubstr(Backend::kFeedToken)));

  HttpReply metrics = Call(http::verb::get, "/metrics", "", {}, false);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(tandem_gateway_requests_total{route="/v1/test/feeds/{calendar_id}/{token}")"));
  EXPECT_THAT(metrics.body, Not(HasSubstr(Backend::kFeedToken)));
}

TEST(SafeContentTypeTest, KeepsMediaTypesAndReplacesAnythingElse) {
  for (const char* good : {"text/calendar", "text/calendar; charset=utf-8", "application/vnd.ms-excel",
                           "multipart/mixed;boundary=\"a b\\\"c\"", "text/plain ;\tcharset=\"utf-8\" "}) {
    EXPECT_EQ(SafeContentType(good), good);
  }
  for (const char* bad : {"", "text", "text/", "/plain", "text/plain/x", "text/plain;", "text/plain; a",
                          "text/plain; a=", "text/plain; a=\"x", "text/plain\r\nX: y", "text/plain; a=\"\r\"",
                          "text\t/plain", "text/\x01plain"}) {
    EXPECT_EQ(SafeContentType(bad), "application/octet-stream") << bad;
  }
  EXPECT_EQ(SafeContentType(absl::StrCat("text/", std::string(122, 'x'))).size(), 127u);
  EXPECT_EQ(SafeContentType(absl::StrCat("text/", std::string(123, 'x'))), "application/octet-stream");
}

}  // namespace
}  // namespace tandem::gateway
