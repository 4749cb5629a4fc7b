// RpcKit::UnaryWithRequestCredential: a method whose credential is a field of its request (a calendar feed's
// token) runs without a bearer token, ignores one sent anyway, and audits its success as whom the handler's
// credential names; a method whose rule is not marked so cannot be served that way, and a marked method
// cannot be reached with a bearer token through Unary.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/service/rpc_kit.h"
#include "common/service/runtime.h"
#include "common/status/status_macros.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.grpc.pb.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

namespace tandem::service {
namespace {

using tandem::testing::PersonToken;
using tandem::testing::ServiceFixture;
using tandem::testing::v1::EchoRequest;
using tandem::testing::v1::EchoResponse;
using tandem::testing::v1::EchoService;

constexpr char kSecret[] = "the-one-good-secret";
constexpr char kMistakenPath[] = "serve-me-without-a-token";

// EchoBlocking takes its credential in `message` (kSecret names credential 7 of clinic c1); Echo serves the
// same method's rule through the bearer path, to show a bearer token cannot reach it.
class CredentialService final : public EchoService::CallbackService {
 public:
  CredentialService(Runtime& runtime, AuthzTable rules)
      : kit_("echo", std::move(rules), runtime.verifier(), runtime.audit(), runtime.workers()) {}

  grpc::ServerUnaryReactor* EchoBlocking(grpc::CallbackServerContext* context, const EchoRequest* request,
                                         EchoResponse* response) override {
    return kit_.UnaryWithRequestCredential(context, "EchoBlocking",
                                           [request, response](const RequestCredentialCall& pending) {
                                             if (request->message() != kSecret) {
                                               return absl::NotFoundError("not found");
                                             }
                                             const Call call = pending.Admit("toy-credential/7", "c1");
                                             RETURN_IF_ERROR(call.AuditRead("thing-1"));
                                             response->set_subject(call.caller().subject);
                                             return absl::OkStatus();
                                           });
  }
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    // A handler that serves a bearer-token method through the request-credential path by mistake.
    if (request->message() == kMistakenPath) {
      return kit_.UnaryWithRequestCredential(
          context, "Echo", [response](const RequestCredentialCall& pending) {
            response->set_subject(pending.Admit("mistake", "c1").caller().subject);
            return absl::OkStatus();
          });
    }
    return kit_.Unary(context, "EchoBlocking", "c1", [response](const Call& call) {
      response->set_subject(call.caller().subject);
      return absl::OkStatus();
    });
  }
  const AuthzTable& rules() const { return kit_.table(); }

 private:
  RpcKit kit_;
};

struct CredentialParts final : ServiceParts {
  std::unique_ptr<CredentialService> service;
};

absl::StatusOr<std::unique_ptr<ServiceParts>> BuildCredentialService(Runtime& runtime) {
  RpcRule in_request{{}, {}, {}, "toy.read", "toy"};
  in_request.credential_in_request = true;
  absl::flat_hash_map<std::string, RpcRule> rules = {
      {"Echo", RpcRule{{auth::kRoleClinician}, {}, {}, "toy.echo", "toy"}}, {"EchoBlocking", in_request}};
  auto parts = std::make_unique<CredentialParts>();
  parts->service = std::make_unique<CredentialService>(
      runtime, AuthzTable(EchoService::service_full_name(), std::move(rules)));
  runtime.AddService(parts->service.get(), parts->service->rules());
  return parts;
}

class RequestCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fixture = ServiceFixture::Start({"echo", 0, -1, {}}, BuildCredentialService);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = *std::move(fixture);
    stub_ = EchoService::NewStub(fixture_->channel());
  }

  grpc::Status Call(bool blocking, const std::string& message, const std::string& token,
                    EchoResponse* response) {
    auto context = ServiceFixture::Context(token, "");
    context->AddMetadata("x-request-id", "req-credential");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    EchoRequest request;
    request.set_message(message);
    return blocking ? stub_->EchoBlocking(context.get(), request, response)
                    : stub_->Echo(context.get(), request, response);
  }

  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<EchoService::Stub> stub_;
};

TEST_F(RequestCredentialTest, TheRequestsCredentialAdmitsWithoutABearerTokenAndIsAudited) {
  EchoResponse response;
  grpc::Status status = Call(true, kSecret, "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.subject(), "toy-credential/7");
  const std::vector<audit::AuditEntry> rows = fixture_->AuditRows("c1");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor, "toy-credential/7");
  EXPECT_EQ(rows[0].action, "toy.read");
  EXPECT_EQ(rows[0].resource_type, "toy");
  EXPECT_EQ(rows[0].resource_id, "thing-1");
  EXPECT_EQ(rows[0].outcome, "ok");
  EXPECT_EQ(rows[0].request_id, "req-credential");
}

TEST_F(RequestCredentialTest, ABearerTokenSentAnywayIsIgnored) {
  EchoResponse response;
  // A valid one admits no one by itself, and neither an invalid one nor another clinic's refuses the call.
  for (const std::string& token :
       {PersonToken("admin", "u1", "c1"), std::string("not-a-token"), PersonToken("clinician", "u9", "c2")}) {
    EXPECT_EQ(Call(true, "wrong", token, &response).error_code(), grpc::StatusCode::NOT_FOUND);
    grpc::Status status = Call(true, kSecret, token, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.subject(), "toy-credential/7");
  }
}

TEST_F(RequestCredentialTest, ABadCredentialLeavesNoRow) {
  EchoResponse response;
  EXPECT_EQ(Call(true, "", "", &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(true, "wrong", "", &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(fixture_->AuditRows("c1").empty());
}

TEST_F(RequestCredentialTest, ABearerCallerCannotReachTheMethodThroughUnary) {
  EchoResponse response;
  EXPECT_EQ(Call(false, kSecret, PersonToken("clinician", "u1", "c1"), &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(response.subject().empty());
}

TEST_F(RequestCredentialTest, AMethodNotMarkedCannotBeServedThroughTheRequestCredentialPath) {
  EchoResponse response;
  EXPECT_EQ(Call(false, kMistakenPath, "", &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(response.subject().empty());
  EXPECT_TRUE(fixture_->AuditRows("c1").empty());
}

}  // namespace
}  // namespace tandem::service
