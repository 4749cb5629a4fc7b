#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "common/auth/jwt_signer.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/service_token_source.h"
#include "common/grpc/blocking_call.h"
#include "common/grpc/call_context.h"
#include "common/grpc/client_channel.h"
#include "common/grpc/server_host.h"
#include "common/metrics/metrics.h"
#include "common/testing/status_matchers.h"
#include "common/time/uuid.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.grpc.pb.h"
#include "tests/support/http_client.h"
#include "tests/support/test_tokens.h"

namespace tandem {
namespace {

using tandem::testing::HttpGet;
using tandem::testing::PersonToken;
using tandem::testing::StatusIs;
using tandem::testing::v1::EchoRequest;
using tandem::testing::v1::EchoResponse;
using tandem::testing::v1::EchoService;
using ::testing::HasSubstr;
using ::testing::Not;

// The test service: Echo answers on the gRPC thread; EchoBlocking runs on the worker pool and understands a
// few control messages ("block" waits for the test, "fail" returns an internal error, "relay" calls
// downstream).
class TestEchoService final : public EchoService::CallbackService {
 public:
  TestEchoService(WorkerPool*& pool, const auth::JwtVerifier& verifier) : pool_(pool), verifier_(verifier) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    auto* reactor = context->DefaultReactor();
    response->set_message(request->message());
    response->set_request_id(RequestIdOf(*context));
    auto principal = Authenticate(*context, verifier_, "echo");
    if (principal.ok()) {
      response->set_subject(principal->end_user ? principal->subject + "/" + principal->end_user->subject
                                                : principal->subject);
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* EchoBlocking(grpc::CallbackServerContext* context, const EchoRequest* request,
                                         EchoResponse* response) override {
    return RunBlocking(context, *pool_, [this, context, request, response]() -> absl::Status {
      if (request->message() == "block") {
        entered.Notify();
        release.WaitForNotification();
      }
      if (request->message() == "fail") return absl::InternalError("SELECT body FROM notes WHERE secret");
      if (request->message() == "relay") return Relay(context, response);
      response->set_message(request->message());
      response->set_request_id(RequestIdOf(*context));
      return absl::OkStatus();
    });
  }

  absl::Status Relay(grpc::CallbackServerContext* context, EchoResponse* response) {
    auto caller = Authenticate(*context, verifier_, "echo");
    if (!caller.ok()) return caller.status();
    grpc::ClientContext out;
    OutboundOptions options;
    options.audience = "echo";
    if (auto prepared = PrepareOutboundContext(out, context, &*caller, *identity, options); !prepared.ok()) {
      return prepared;
    }
    EchoRequest downstream_request;
    downstream_request.set_message("from-relay");
    grpc::Status status = downstream->Echo(&out, downstream_request, response);
    relayed_deadline = out.deadline();
    return status.ok() ? absl::OkStatus() : absl::UnavailableError("downstream failed");
  }

  absl::Notification entered;
  absl::Notification release;
  std::unique_ptr<EchoService::Stub> downstream;
  auth::ServiceTokenSource* identity = nullptr;
  std::chrono::system_clock::time_point relayed_deadline;

 private:
  WorkerPool*& pool_;
  const auth::JwtVerifier& verifier_;
};

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override { verifier_ = testing::TestVerifier(); }

  std::unique_ptr<ServerHost> StartServer(ServerOptions options, std::unique_ptr<TestEchoService>& service) {
    options.address = "127.0.0.1";
    auto host = std::make_unique<ServerHost>(options);
    pool_ = &host->workers();
    service = std::make_unique<TestEchoService>(pool_, *verifier_);
    host->AddService(service.get());
    EXPECT_OK(host->Start());
    return host;
  }

  static std::unique_ptr<EchoService::Stub> Connect(int port) {
    return EchoService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<auth::JwtVerifier> verifier_;
  WorkerPool* pool_ = nullptr;
};

TEST_F(GrpcServerTest, BindsPortZeroAndReportsHealth) {
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer({}, service);
  ASSERT_GT(host->port(), 0);
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(host->port()), grpc::InsecureChannelCredentials());
  grpc::ByteBuffer request_bytes;
  // Health via the generic path, so the test needs no generated health stubs.
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  grpc::ByteBuffer response_bytes;
  std::string empty_request;  // HealthCheckRequest{service: ""}: overall health
  grpc::Slice slice(empty_request);
  grpc::ByteBuffer buffer(&slice, 1);
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &buffer, &response_bytes,
                    [&](grpc::Status s) {
                      status = std::move(s);
                      done.Notify();
                    });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response_bytes.Dump(&slices).ok());
  std::string serialized;
  for (auto& s : slices) serialized.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(serialized, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(GrpcServerTest, EchoesCallerRequestIdAndGeneratesMissingOnes) {
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer({}, service);
  auto stub = Connect(host->port());
  EchoRequest request;
  request.set_message("hi");
  {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "req-123");
    EchoResponse response;
    ASSERT_TRUE(stub->Echo(&context, request, &response).ok());
    EXPECT_EQ(response.request_id(), "req-123");
    auto echoed = context.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
    EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "req-123");
  }
  for (const std::string& unsafe :
       {std::string(), std::string("has space"), std::string(200, 'a'), std::string("a\"}")}) {
    grpc::ClientContext context;
    if (!unsafe.empty()) context.AddMetadata("x-request-id", unsafe);
    EchoResponse response;
    ASSERT_TRUE(stub->EchoBlocking(&context, request, &response).ok());
    EXPECT_TRUE(IsSafeRequestId(response.request_id()));
    EXPECT_EQ(response.request_id().size(), 36u);  // a generated UUIDv7
  }
  // Two ids, whatever they hold: neither is trusted (a second copy must not slip past the check into logs and
  // audit rows), a fresh one replaces both.
  for (const auto& [first, second] : std::vector<std::pair<std::string, std::string>>{
           {"req-1", std::string(300, 'x')}, {std::string(300, 'x'), "req-1"}, {"req-1", "req-2"}}) {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", first);
    context.AddMetadata("x-request-id", second);
    EchoResponse response;
    ASSERT_TRUE(stub->EchoBlocking(&context, request, &response).ok());
    EXPECT_EQ(response.request_id().size(), 36u) << first.size() << "/" << second.size();
  }
}

TEST_F(GrpcServerTest, CountsRequestsByRpcAndCode) {
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer({}, service);
  auto stub = Connect(host->port());
  grpc::ClientContext context;
  EchoResponse response;
  ASSERT_TRUE(stub->Echo(&context, EchoRequest(), &response).ok());
  EXPECT_THAT(
      metrics::Registry::Default().Render(),
      HasSubstr("tandem_grpc_requests_total{rpc=\"/tandem.testing.v1.EchoService/Echo\",code=\"OK\"}"));
}

// A unary call to any path with a raw request body, whether or not a service defines it.
grpc::Status CallGeneric(int port, const std::string& method, const std::string& request) {
  grpc::GenericStub generic(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice slice(request);
  grpc::ByteBuffer buffer(&slice, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &buffer, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return status;
}

TEST_F(GrpcServerTest, UnknownMethodsShareOneMetricLabel) {
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer({}, service);
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(CallGeneric(host->port(), "/x/" + NewUuidV7(), ""),
                StatusIs(grpc::StatusCode::UNIMPLEMENTED));
  }
  const std::string text = metrics::Registry::Default().Render();
  EXPECT_FALSE(absl::StrContains(text, "/x/"));  // not HasSubstr: its failure would print every series
  EXPECT_THAT(text, HasSubstr("tandem_grpc_requests_total{rpc=\"unknown\",code=\"UNIMPLEMENTED\"}"));
  EXPECT_THAT(text, HasSubstr("tandem_grpc_request_duration_seconds_count{rpc=\"unknown\"}"));
}

// Asks the server's reflection service for its services (ServerReflectionRequest{list_services: "*"}) over
// the bidirectional stream, with no generated reflection stubs; `response` gets the raw first answer.
grpc::Status ListServicesByReflection(int port, std::string& response) {
  grpc::GenericStub generic(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue queue;
  auto call =
      generic.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  auto next = [&queue] {
    void* tag = nullptr;
    bool ok = false;
    return queue.Next(&tag, &ok) && ok;
  };
  int tag = 0;
  call->StartCall(&tag);
  next();
  grpc::Slice slice(std::string("\x3a\x01*", 3));  // field 7 (list_services), length 1, "*"
  grpc::ByteBuffer request(&slice, 1);
  call->WriteLast(request, grpc::WriteOptions(), &tag);
  next();
  grpc::ByteBuffer reply;
  call->Read(&reply, &tag);
  if (next()) {
    std::vector<grpc::Slice> slices;
    if (reply.Dump(&slices).ok()) {
      for (const auto& s : slices) response.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  grpc::Status status;
  call->Finish(&status, &tag);
  next();
  queue.Shutdown();
  void* ignored_tag = nullptr;
  bool ignored_ok = false;
  while (queue.Next(&ignored_tag, &ignored_ok)) {
  }
  return status;
}

TEST_F(GrpcServerTest, ReflectionIsOffUnlessAskedFor) {
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer({}, service);
  std::string response;
  EXPECT_THAT(ListServicesByReflection(host->port(), response), StatusIs(grpc::StatusCode::UNIMPLEMENTED));
  EXPECT_THAT(response, Not(HasSubstr("EchoService")));
}

TEST_F(GrpcServerTest, ReflectionListsServicesWhenOn) {
  ServerOptions options;
  options.reflection = true;
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer(options, service);
  std::string response;
  grpc::Status status = ListServicesByReflection(host->port(), response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response, HasSubstr("tandem.testing.v1.EchoService"));
}

TEST_F(GrpcServerTest, AdminPortListensOnItsOwnAddress) {
  ServerOptions options;
  options.admin_port = 0;
  options.admin_address = "127.0.0.2";  // gRPC stays on 127.0.0.1
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer(options, service);
  ASSERT_GT(host->admin_port(), 0);
  EXPECT_EQ(HttpGet(host->admin_port(), "/healthz").status, 0);  // nothing on 127.0.0.1
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.2"), static_cast<uint16_t>(host->admin_port())}, ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST_F(GrpcServerTest, FullWorkerPoolAnswersResourceExhaustedAtOnce) {
  ServerOptions options;
  options.worker_threads = 1;
  options.worker_queue = 1;
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer(options, service);
  auto stub = Connect(host->port());

  EchoRequest block;
  block.set_message("block");
  grpc::ClientContext first_context, second_context;
  EchoResponse first_response, second_response;
  absl::Notification first_done, second_done;
  grpc::Status first_status, second_status;
  stub->async()->EchoBlocking(&first_context, &block, &first_response, [&](grpc::Status s) {
    first_status = std::move(s);
    first_done.Notify();
  });
  service->entered.WaitForNotification();  // the only worker is now busy
  EchoRequest queued;
  queued.set_message("queued");
  stub->async()->EchoBlocking(&second_context, &queued, &second_response, [&](grpc::Status s) {
    second_status = std::move(s);
    second_done.Notify();
  });
  while (host->workers().queue_depth() < 1) absl::SleepFor(absl::Milliseconds(1));

  grpc::ClientContext third_context;
  EchoResponse third_response;
  absl::Time start = absl::Now();
  grpc::Status third = stub->EchoBlocking(&third_context, queued, &third_response);
  EXPECT_THAT(third, StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(third.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), "type.googleapis.com/google.rpc.RetryInfo");
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));  // refused, not queued behind the blocked call

  service->release.Notify();
  first_done.WaitForNotification();
  second_done.WaitForNotification();
  EXPECT_TRUE(first_status.ok());
  EXPECT_TRUE(second_status.ok());
  EXPECT_EQ(second_response.message(), "queued");
}

TEST_F(GrpcServerTest, InternalErrorsAreGenericForTheCaller) {
  std::unique_ptr<TestEchoService> service;
  auto host = StartServer({}, service);
  auto stub = Connect(host->port());
  EchoRequest request;
  request.set_message("fail");
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-fail-1");
  EchoResponse response;
  grpc::Status status = stub->EchoBlocking(&context, request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::INTERNAL));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("SELECT")));
  EXPECT_THAT(status.error_message(), HasSubstr("req-fail-1"));
}

// Overall health from grpc.health.v1.Health/Check over the network, through the generic path so the test
// needs no generated health stubs: the serialized HealthCheckResponse ("\x08\x01" is SERVING, "\x08\x02"
// NOT_SERVING) or the call's error.
grpc::Status CheckHealth(grpc::GenericStub& stub, std::string* answer) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Slice empty_request("");  // HealthCheckRequest{service: ""}
  grpc::ByteBuffer request(&empty_request, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  answer->clear();
  std::vector<grpc::Slice> slices;
  if (status.ok() && response.Dump(&slices).ok()) {
    for (auto& slice : slices) answer->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return status;
}

TEST_F(GrpcServerTest, GracefulShutdownLetsInFlightCallFinish) {
  const std::string serving("\x08\x01", 2);
  const std::string not_serving("\x08\x02", 2);
  std::unique_ptr<TestEchoService> service;
  ServerOptions options;
  // Long enough for health checks to see NOT_SERVING before new calls are refused.
  options.drain_delay = absl::Seconds(1);
  auto host = StartServer(options, service);
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(host->port()), grpc::InsecureChannelCredentials());
  auto stub = EchoService::NewStub(channel);
  grpc::GenericStub health(channel);
  std::string answer;
  ASSERT_TRUE(CheckHealth(health, &answer).ok());
  ASSERT_EQ(answer, serving);

  EchoRequest block;
  block.set_message("block");
  grpc::ClientContext context;
  EchoResponse response;
  absl::Notification done;
  grpc::Status status;
  stub->async()->EchoBlocking(&context, &block, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  service->entered.WaitForNotification();

  std::thread shutdown([&] { host->Shutdown(absl::Seconds(10)); });
  // Draining: the health service answers NOT_SERVING (load balancers stop routing) ...
  grpc::Status checked;
  do {
    checked = CheckHealth(health, &answer);
  } while (checked.ok() && answer == serving);
  EXPECT_TRUE(checked.ok()) << "refused new calls without answering NOT_SERVING first: "
                            << checked.error_message();
  EXPECT_EQ(answer, not_serving);
  // ... then new calls are refused, while the in-flight call is still running and gets to finish.
  while (CheckHealth(health, &answer).ok()) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_FALSE(done.HasBeenNotified());
  service->release.Notify();
  done.WaitForNotification();
  shutdown.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.message(), "block");

  grpc::ClientContext late;
  late.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(stub->Echo(&late, block, &response).ok());
}

TEST_F(GrpcServerTest, OutboundCallCarriesDeadlineRequestIdAndIdentities) {
  std::unique_ptr<TestEchoService> downstream_service, relay_service;
  auto downstream = StartServer({}, downstream_service);
  auto relay = StartServer({}, relay_service);
  // The relay signs as the service "notes" with the test secret, so the downstream's verifier accepts it.
  auth::ServiceTokenSource identity(
      *auth::JwtSigner::FromHs256Secret(testing::kTestHs256Secret, testing::kTestIssuer), "notes");
  relay_service->identity = &identity;
  relay_service->downstream =
      EchoService::NewStub(MakeServiceChannel("127.0.0.1:" + std::to_string(downstream->port())));

  auto stub = Connect(relay->port());
  EchoRequest request;
  request.set_message("relay");
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "trace-77");
  context.AddMetadata("authorization", "Bearer " + PersonToken("clinician", "clinician-9"));
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(3);
  context.set_deadline(deadline);
  EchoResponse response;
  grpc::Status status = stub->EchoBlocking(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.message(), "from-relay");
  EXPECT_EQ(response.request_id(), "trace-77");
  // The downstream saw the calling service and, on whose behalf, the clinician.
  EXPECT_EQ(response.subject(), "notes/clinician-9");
  // The inbound 3 s budget, not the 5 s default (grpc-timeout is relative and rounded up, hence the slack).
  EXPECT_LE(relay_service->relayed_deadline, deadline + std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace tandem
