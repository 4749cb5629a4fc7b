// The service kit's authorization helper writes the audit row of a denial, for any service: a toy service on
// the real runtime (SQLite) with one rule for each of its methods, one handled on the worker pool (Unary) and
// one on the gRPC thread (UnaryAsync). Every authenticated caller the rule refuses leaves exactly one
// `denied` row naming the caller, the action and the request; a call without a valid token leaves none; and a
// trail that cannot be written refuses reads (UNAVAILABLE) but never turns a refusal into something else.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/service/rpc_kit.h"
#include "common/service/runtime.h"
#include "common/status/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.grpc.pb.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

namespace tandem::service {
namespace {

using tandem::testing::EndUserAssertion;
using tandem::testing::PersonToken;
using tandem::testing::ServiceFixture;
using tandem::testing::v1::EchoRequest;
using tandem::testing::v1::EchoResponse;
using tandem::testing::v1::EchoService;

// The request's message names the clinic. Echo answers on the gRPC thread; EchoBlocking audits a read on the
// worker pool.
class ToyService final : public EchoService::CallbackService {
 public:
  ToyService(Runtime& runtime, AuthzTable rules)
      : kit_("echo", std::move(rules), runtime.verifier(), runtime.audit(), runtime.workers()) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    return kit_.UnaryAsync(context, "Echo", request->message(),
                           [response](const std::shared_ptr<const Call>& call, const RpcKit::Finish& finish) {
                             response->set_subject(call->caller().subject);
                             finish(absl::OkStatus());
                           });
  }
  grpc::ServerUnaryReactor* EchoBlocking(grpc::CallbackServerContext* context, const EchoRequest* request,
                                         EchoResponse* response) override {
    return kit_.Unary(context, "EchoBlocking", request->message(), [response](const Call& call) {
      RETURN_IF_ERROR(call.AuditRead("thing-1"));
      response->set_subject(call.caller().subject);
      return absl::OkStatus();
    });
  }
  const AuthzTable& rules() const { return kit_.table(); }

 private:
  RpcKit kit_;
};

const google::protobuf::ServiceDescriptor* EchoDescriptor() {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      std::string(EchoService::service_full_name()));
}

constexpr char kAction[] = "toy.read";
constexpr char kResourceType[] = "toy";

struct ToyParts final : ServiceParts {
  std::unique_ptr<ToyService> service;
};

// One rule per method of the descriptor: clinicians of the clinic, and the scheduling service.
absl::StatusOr<std::unique_ptr<ServiceParts>> BuildToy(Runtime& runtime) {
  const RpcRule rule{{auth::kRoleClinician}, {"scheduling"}, {}, kAction, kResourceType};
  absl::flat_hash_map<std::string, RpcRule> rules;
  const google::protobuf::ServiceDescriptor* service = EchoDescriptor();
  for (int i = 0; i < service->method_count(); ++i) rules[service->method(i)->name()] = rule;
  auto parts = std::make_unique<ToyParts>();
  parts->service =
      std::make_unique<ToyService>(runtime, AuthzTable(EchoService::service_full_name(), std::move(rules)));
  runtime.AddService(parts->service.get(), parts->service->rules());
  return parts;
}

class AuthzAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fixture = ServiceFixture::Start({"echo", 0, -1, {}}, BuildToy);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = *std::move(fixture);
    stub_ = EchoService::NewStub(fixture_->channel());
  }

  // Calls `method` naming clinic c1, with `token` (none when empty) and an end user's assertion.
  grpc::Status Call(const std::string& method, const std::string& token, const std::string& end_user,
                    const std::string& request_id, EchoResponse* response) {
    auto context = ServiceFixture::Context(token, end_user);
    if (!request_id.empty()) context->AddMetadata("x-request-id", request_id);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    EchoRequest request;
    request.set_message("c1");
    if (method == "Echo") return stub_->Echo(context.get(), request, response);
    if (method == "EchoBlocking") return stub_->EchoBlocking(context.get(), request, response);
    ADD_FAILURE() << "no call for " << method;
    return grpc::Status::CANCELLED;
  }

  static std::vector<std::string> Methods() {
    std::vector<std::string> methods;
    const google::protobuf::ServiceDescriptor* service = EchoDescriptor();
    methods.reserve(service->method_count());
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i)->name());
    return methods;
  }

  size_t Rows(const std::string& clinic) { return fixture_->AuditRows(clinic).size(); }

  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<EchoService::Stub> stub_;
};

TEST_F(AuthzAuditTest, EachAuthenticatedCallerTheRuleRefusesLeavesExactlyOneDeniedRow) {
  struct Refused {
    std::string name;
    std::string token;
    std::string end_user;
    grpc::StatusCode code;
    std::string actor;
    std::string actor_role;
    std::string on_behalf_of;
  };
  const std::vector<Refused> refused = {
      {"wrong role", PersonToken("client", "k1", "c1"), "", grpc::StatusCode::PERMISSION_DENIED, "k1",
       "client", ""},
      {"service not listed", tandem::testing::ServiceToken("notes", "echo"), "",
       grpc::StatusCode::PERMISSION_DENIED, "notes", "service", ""},
      {"listed service acting for a refused role", tandem::testing::ServiceToken("scheduling", "echo"),
       EndUserAssertion("scheduling", "echo", "client", "k2", "c1"), grpc::StatusCode::PERMISSION_DENIED,
       "scheduling", "service", "k2"},
      // Only services act for others: a person's valid token with an assertion beside it is refused.
      {"person sending an end-user assertion", PersonToken("clinician", "u3", "c1"),
       EndUserAssertion("scheduling", "echo", "client", "k2", "c1"), grpc::StatusCode::PERMISSION_DENIED,
       "u3", "clinician", ""},
      // Another clinic's person: NOT_FOUND to them, and the clinic they asked about sees the attempt.
      {"another clinic", PersonToken("clinician", "u9", "c2"), "", grpc::StatusCode::NOT_FOUND, "u9",
       "clinician", ""},
  };
  for (const std::string& method : Methods()) {
    for (const Refused& r : refused) {
      SCOPED_TRACE(absl::StrCat(method, ": ", r.name));
      const size_t before = Rows("c1");
      const size_t other_before = Rows("c2");
      const std::string request_id = absl::StrCat("req-", absl::AsciiStrToLower(method), "-", before);
      EchoResponse response;
      grpc::Status status = Call(method, r.token, r.end_user, request_id, &response);
      EXPECT_EQ(status.error_code(), r.code) << status.error_message();
      EXPECT_TRUE(response.subject().empty());
      const std::vector<audit::AuditEntry> rows = fixture_->AuditRows("c1");
      ASSERT_EQ(rows.size(), before + 1);
      const audit::AuditEntry& row = rows.back();
      EXPECT_EQ(row.outcome, "denied");
      EXPECT_EQ(row.clinic_id, "c1");
      EXPECT_EQ(row.actor, r.actor);
      EXPECT_EQ(row.actor_role, r.actor_role);
      EXPECT_EQ(row.on_behalf_of, r.on_behalf_of);
      EXPECT_EQ(row.action, kAction);
      EXPECT_EQ(row.resource_type, kResourceType);
      EXPECT_EQ(row.request_id, request_id);
      EXPECT_FALSE(row.reason.empty());
      EXPECT_EQ(Rows("c2"), other_before);
    }
  }
}

TEST_F(AuthzAuditTest, ACallWithoutAValidTokenLeavesNoRow) {
  const std::string valid = PersonToken("clinician", "u1", "c1");
  const std::vector<std::pair<std::string, std::string>> unauthenticated = {
      {"", ""},
      {"not-a-token", ""},
      {valid + "x", ""},
      // A service token addressed to another service, and an assertion the caller did not make.
      {tandem::testing::ServiceToken("scheduling", "reminders"), ""},
      {tandem::testing::ServiceToken("scheduling", "echo"),
       EndUserAssertion("homework", "echo", "clinician")},
  };
  for (const std::string& method : Methods()) {
    for (const auto& [token, end_user] : unauthenticated) {
      SCOPED_TRACE(absl::StrCat(method, ": ", token.substr(0, 12)));
      EchoResponse response;
      EXPECT_EQ(Call(method, token, end_user, "", &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
  }
  EXPECT_EQ(Rows("c1"), 0u);
  EXPECT_EQ(Rows("c2"), 0u);
  // The same calls with a valid token are admitted: the refusals above were about the token alone.
  for (const std::string& method : Methods()) {
    EchoResponse response;
    EXPECT_TRUE(Call(method, valid, "", "", &response).ok()) << method;
    EXPECT_EQ(response.subject(), "u1");
  }
}

// With the trail refusing rows, a read is refused (UNAVAILABLE, saying nothing of the schema) and a refusal
// is still a refusal.
TEST_F(AuthzAuditTest, AnUnwritableTrailRefusesReadsAndKeepsRefusalsRefused) {
  ASSERT_TRUE(fixture_->runtime()
                  .database()
                  .RunInTransaction(db::TxMode::kWrite,
                                    [](db::Transaction& tx) {
                                      return tx.ExecuteScript(
                                          "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                                          "BEGIN SELECT RAISE(ABORT, 'audit trail down'); END;");
                                    })
                  .ok());
  EchoResponse response;
  grpc::Status read = Call("EchoBlocking", PersonToken("clinician", "u1", "c1"), "", "", &response);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::UNAVAILABLE) << read.error_message();
  EXPECT_EQ(absl::AsciiStrToLower(read.error_message()).find("audit_log"), std::string::npos);
  EXPECT_TRUE(response.subject().empty());
  for (const std::string& method : Methods()) {
    EXPECT_EQ(Call(method, PersonToken("client", "k1", "c1"), "", "", &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << method;
  }
  EXPECT_EQ(Rows("c1"), 0u);
}

}  // namespace
}  // namespace tandem::service
