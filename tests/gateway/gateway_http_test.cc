// The gateway end to end over real HTTP: an in-process gateway in front of a real gRPC backend implementing
// the test-only GatewayTestService, driven over loopback with the test kit's HTTP client and, for what a
// well-behaved client never sends, raw bytes.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/grpc/server_host.h"
#include "common/log/log.h"
#include "common/status/error_details.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/backend_health.h"
#include "services/gateway/gateway_handler.h"
#include "services/gateway/gateway_server.h"
#include "spdlog/sinks/ostream_sink.h"
#include "tandem/testing/v1/gateway_test.grpc.pb.h"
#include "tests/fixtures/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/test_timing.h"
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
    config.http.io_threads = io_threads_;
    config.admin_port = 0;
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

  // GET on the gateway's admin port.
  HttpReply Admin(const std::string& target) { return testing::HttpGet(gateway_->admin_port(), target); }

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

  int io_threads_ = 2;
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

// An end-user assertion is made by a service for one call to another service; one captured downstream and
// presented at the public door as a bearer token is refused before anything is forwarded.
TEST_F(GatewayHttpTest, AnEndUserAssertionIsNoBearerTokenHere) {
  auto person = testing::TestVerifier()->Verify(Token());
  ASSERT_TRUE(person.ok()) << person.status();
  for (const char* audience : {"reminders", "gateway", "tandem"}) {
    auto assertion = testing::TestServiceIdentity("scheduling")->Assert(*person, audience);
    ASSERT_TRUE(assertion.ok()) << assertion.status();
    for (const char* target : {"/v1/test/goals/g-1", "/v1/session"}) {
      HttpReply refused =
          Call(http::verb::get, target, "", {{"authorization", "Bearer " + *assertion}}, false);
      EXPECT_EQ(refused.status, 401) << audience << " " << target;
      EXPECT_EQ(refused.json()["message"], "invalid token: an end-user assertion is not a bearer token")
          << refused.body;
    }
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
  HttpReply ready = Admin("/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(Admin("/healthz").status, 200);
}

TEST_F(GatewayHttpTest, MetricsAndProbesAreOnTheAdminPortOnly) {
  for (const char* target : {"/metrics", "/readyz"}) {
    EXPECT_EQ(Call(http::verb::get, target, "", {}, false).status, 404) << target;
    EXPECT_EQ(Call(http::verb::get, target).status, 404) << target << " with a token";
  }
  // Liveness stays on the public port too: it costs nothing and tells nothing.
  EXPECT_EQ(Call(http::verb::get, "/healthz", "", {}, false).status, 200);
  EXPECT_EQ(Admin("/healthz").status, 200);
  // Ready once the backend health round started at start-up has come back.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (Admin("/readyz").status != 200 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(Admin("/readyz").status, 200);
  Call(http::verb::get, "/v1/test/goals/g-1");
  HttpReply metrics = Admin("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("tandem_gateway_requests_total{route=\"/v1/test/goals/{goal_id}\""));
  EXPECT_EQ(Admin("/openapi.json").status, 404);
}

TEST_F(GatewayHttpTest, OpenApiIsPublic) {
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
  // Cut off without an answer: half a request is neither a malformed one (400) nor one to forward.
  EXPECT_EQ(out, "");
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
  std::ostringstream lines;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
  sink->set_pattern("%v");
  log::AddSink(sink);
  HttpReply reply =
      Call(http::verb::get, absl::StrCat("/v1/test/feeds/cal-log/", Backend::kFeedToken), "", {},
           /*with_token=*/false);
  log::RemoveSink(sink);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_THAT(lines.str(), HasSubstr(R"("route":"/v1/test/feeds/{calendar_id}/{token}")"));
  EXPECT_THAT(lines.str(), Not(HasSubstr(Backend::kFeedToken)));

  HttpReply metrics = Admin("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(tandem_gateway_requests_total{route="/v1/test/feeds/{calendar_id}/{token}")"));
  EXPECT_THAT(metrics.body, Not(HasSubstr(Backend::kFeedToken)));
}

TEST_F(GatewayHttpTest, RequestWithoutAValidTokenIsRefusedBeforeItsBodyIsRead) {
  // Expect: 100-continue and a body that is never sent: the answer must come from the header alone, at once,
  // without inviting the body.
  const std::string service_token = ServiceToken("scheduling", "gateway");
  for (const std::string& authorization :
       {std::string(), std::string("Authorization: Bearer not.a.token\r\n"),
        absl::StrCat("Authorization: Bearer ", service_token, "\r\n")}) {
    absl::Time start = absl::Now();
    std::string out =
        Raw(absl::StrCat("POST /v1/test/clients/cl-1/goals HTTP/1.1\r\nHost: x\r\n", authorization,
                         "Expect: 100-continue\r\nContent-Type: application/json\r\n"
                         "Content-Length: 1000\r\n\r\n"));
    EXPECT_EQ(out.rfind("HTTP/1.1 401", 0), 0u) << authorization << out;
    EXPECT_THAT(out, Not(HasSubstr("100 Continue")));
    EXPECT_THAT(out, HasSubstr("WWW-Authenticate: Bearer"));
    EXPECT_THAT(out, HasSubstr("Connection: close"));
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(400)) << "answered only at the request timeout";
  }
  // A large body sent whole without waiting: it is left unread, and the 401 still reaches the client before
  // the connection closes.
  HttpReply big = Call(http::verb::post, "/v1/test/clients/cl-1/goals", std::string(512 << 10, 'a'), {},
                       /*with_token=*/false);
  EXPECT_EQ(big.status, 401) << big.body;
  // No route: answered from the header too.
  std::string unknown =
      Raw("POST /v1/nothing HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
  EXPECT_EQ(unknown.rfind("HTTP/1.1 404", 0), 0u) << unknown;
  EXPECT_EQ(backend_.calls.load(), 0);

  HttpReply metrics = Admin("/metrics");
  EXPECT_THAT(metrics.body, HasSubstr(R"(tandem_gateway_unauthenticated_total{reason="missing"})"));
  EXPECT_THAT(metrics.body, HasSubstr(R"(tandem_gateway_unauthenticated_total{reason="invalid"})"));
  EXPECT_THAT(metrics.body, Not(HasSubstr("not.a.token")));
  EXPECT_THAT(metrics.body, Not(HasSubstr(service_token)));
}

TEST_F(GatewayHttpTest, ValidTokenWithExpectContinueGetsContinueThenTheAnswer) {
  const std::string body = R"({"goal": {"kind": "GATEWAY_TEST_KIND_ALPHA"}})";
  std::string out = Raw(absl::StrCat(
      "POST /v1/test/clients/cl-1/goals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", Token(),
      "\r\nExpect: 100-continue\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body));
  EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0), 0u) << out;
  EXPECT_THAT(out, HasSubstr("created-for-cl-1"));
  // Public and path-token routes need no bearer token before their body either.
  std::string feed = Raw(absl::StrCat("GET /v1/test/feeds/cal-1/", Backend::kFeedToken,
                                      " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(feed.rfind("HTTP/1.1 200", 0), 0u) << feed;
  std::string openapi = Raw("GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(openapi.rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(GatewayHttpTest, ClientsThatNeverReadCannotStopTheGateway) {
  // One I/O thread: if any write waits on a client, every connection waits.
  gateway_->Shutdown(absl::Seconds(1));
  io_threads_ = 1;
  StartGateway(absl::StrCat("127.0.0.1:", backend_host_->port()));

  // Each attacker pipelines requests that ask for 100 Continue (their bodies follow at once) and reads
  // nothing. A small receive buffer and segment size make the answers fill the socket buffers quickly; the
  // gateway's next write to that client then cannot complete. Many attackers, so that for some of them the
  // write that stalls is a 100 Continue rather than a response.
  const std::string request =
      absl::StrCat("GET /v1/session HTTP/1.1\r\nHost: x\r\nx-request-id: a\r\nAuthorization: Bearer ",
                   Token(), "\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}");
  std::string pipelined;
  for (int i = 0; i < 400; ++i) pipelined += request;
  // New attackers keep arriving while the probes run; each sends what the gateway takes, without waiting.
  std::atomic<bool> stop{false};
  std::thread attack([&] {
    asio::io_context io;
    std::vector<std::pair<std::unique_ptr<tcp::socket>, size_t>> attackers;  // with the bytes sent
    while (!stop.load()) {
      for (int i = 0; i < 8 && attackers.size() < 320; ++i) {
        auto socket = std::make_unique<tcp::socket>(io);
        socket->open(tcp::v4());
        int small = 1024;
        setsockopt(socket->native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
        int segment = 100;
        setsockopt(socket->native_handle(), IPPROTO_TCP, TCP_MAXSEG, &segment, sizeof(segment));
        boost::system::error_code ec;
        socket->connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(gateway_->port())}, ec);
        if (!ec) attackers.emplace_back(std::move(socket), 0);
      }
      for (auto& [socket, sent] : attackers) {
        if (sent >= pipelined.size()) continue;
        ssize_t n = ::send(socket->native_handle(), pipelined.data() + sent, pipelined.size() - sent,
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
          sent += static_cast<size_t>(n);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          sent = pipelined.size();  // cut off by the gateway
        }
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    // Closing the attackers releases a write that waits on them.
  });

  // While the gateway works through (and cuts off) the attackers, it keeps answering everyone else.
  bool answering = true;
  const absl::Duration answer_within = tandem::testing::ScaledForBuild(absl::Seconds(1));
  const absl::Time until = absl::Now() + absl::Seconds(4);
  while (answering && absl::Now() < until) {
    absl::Time start = absl::Now();
    std::string out =
        Raw("GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", answer_within);
    answering = out.rfind("HTTP/1.1 200", 0) == 0 && absl::Now() - start < answer_within;
    EXPECT_TRUE(answering) << "the gateway stopped answering: " << out.substr(0, 200);
    absl::SleepFor(absl::Milliseconds(100));
  }
  stop.store(true);
  attack.join();
}

TEST_F(GatewayHttpTest, SensitiveFieldInTheQueryIs400NamingTheParameterNotItsValue) {
  HttpReply reply = Call(http::verb::get, "/v1/test/goals/search?query=panic%20attacks");
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_THAT(reply.body, HasSubstr(R"("field":"query")"));
  EXPECT_THAT(reply.body, Not(HasSubstr("panic")));
  EXPECT_EQ(backend_.calls.load(), 0);
}

// A grpc.health.v1 backend that counts Check calls and holds each answer (SERVING) until released, so a test
// can see how many calls a burst of checks makes while a round is in flight.
class HeldHealthBackend final : public grpc::CallbackGenericService {
 public:
  HeldHealthBackend() {
    // The default health service would take the calls instead: ServerHost turns it on process-wide.
    grpc::EnableDefaultHealthCheckService(false);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterCallbackGenericService(this);
    server_ = builder.BuildAndStart();
    grpc::EnableDefaultHealthCheckService(true);
  }
  ~HeldHealthBackend() override {
    Release();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }

  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }

  void Release() {
    std::vector<grpc::ServerGenericBidiReactor*> held;
    {
      absl::MutexLock lock(&mu_);
      released_ = true;
      held.swap(held_);
    }
    for (auto* reactor : held) Answer(reactor);
  }

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
    if (context->method() == "/grpc.health.v1.Health/Check") calls.fetch_add(1);
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(HeldHealthBackend* owner) : owner_(owner) { StartRead(&request_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status(grpc::StatusCode::CANCELLED, "no request"));
          return;
        }
        owner_->Hold(this);
      }
      void OnDone() override { delete this; }

     private:
      HeldHealthBackend* owner_;
      grpc::ByteBuffer request_;
    };
    return new Reactor(this);
  }

  std::atomic<int> calls{0};

 private:
  void Hold(grpc::ServerGenericBidiReactor* reactor) {
    {
      absl::MutexLock lock(&mu_);
      if (!released_) {
        held_.push_back(reactor);
        return;
      }
    }
    Answer(reactor);
  }

  static void Answer(grpc::ServerGenericBidiReactor* reactor) {
    static const std::string kServing("\x08\x01", 2);
    static grpc::ByteBuffer* const kResponse = [] {
      grpc::Slice slice(kServing);
      return new grpc::ByteBuffer(&slice, 1);
    }();
    reactor->StartWriteAndFinish(kResponse, grpc::WriteOptions(), grpc::Status::OK);
  }

  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex mu_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<grpc::ServerGenericBidiReactor*> held_ ABSL_GUARDED_BY(mu_);
};

TEST(BackendHealthTest, ConcurrentChecksShareTheRoundInFlight) {
  HeldHealthBackend backend;
  // No result reuse: only the sharing of the round in flight keeps the calls down.
  BackendHealth health({{"tandem.testing.v1.GatewayTestService", backend.Channel()}}, absl::Seconds(5),
                       /*cache_for=*/absl::ZeroDuration());
  struct Results {
    std::atomic<int> answered{0};
    std::atomic<int> ready{0};
    absl::Notification all;
  };
  constexpr int kCallers = 50;
  auto results = std::make_shared<Results>();
  std::vector<std::thread> callers;
  callers.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&health, results] {
      health.Check([results](bool ready, const std::vector<std::string>& /*not_ready*/) {
        if (ready) results->ready.fetch_add(1);
        if (results->answered.fetch_add(1) + 1 == kCallers) results->all.Notify();
      });
    });
  }
  for (auto& caller : callers) caller.join();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (backend.calls.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  absl::SleepFor(absl::Milliseconds(200));  // time for any further call to arrive
  EXPECT_EQ(backend.calls.load(), 1);
  EXPECT_EQ(results->answered.load(), 0);
  backend.Release();
  ASSERT_TRUE(results->all.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(results->ready.load(), kCallers);

  // The probe's form never waits: it answers from the last round and starts the next when that one is stale.
  EXPECT_TRUE(health.Ready());
  deadline = absl::Now() + absl::Seconds(5);
  while (backend.calls.load() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(backend.calls.load(), 2);

  // A result younger than `cache_for` is reused; before the first result there is nothing to be ready on.
  BackendHealth cached({{"tandem.testing.v1.GatewayTestService", backend.Channel()}}, absl::Seconds(5),
                       /*cache_for=*/absl::Minutes(1));
  EXPECT_FALSE(cached.Ready());
  deadline = absl::Now() + absl::Seconds(5);
  while (!cached.Ready() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(cached.Ready());
  EXPECT_EQ(backend.calls.load(), 3);
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
