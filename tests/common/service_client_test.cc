// Calling other services: a typed client attaches the deadline, the service's identity and an end-user
// assertion addressed to the called service; a fan-out answers with what arrived and names what did not
// (a service that is down, one past the deadline), holding no thread while they answer.
#include "common/service/service_client.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/grpc/call_context.h"
#include "common/grpc/server_host.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.grpc.pb.h"
#include "tests/fixtures/free_port.h"
#include "tests/support/test_tokens.h"

namespace tandem::service {
namespace {

using tandem::testing::v1::EchoRequest;
using tandem::testing::v1::EchoResponse;
using tandem::testing::v1::EchoService;

// Answers with who called and for whom; "slow" answers only after `release` (or never within a test's
// deadline).
class Downstream final : public EchoService::CallbackService {
 public:
  explicit Downstream(const auth::JwtVerifier& verifier) : verifier_(verifier) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<auth::Principal> caller = Authenticate(*context, verifier_, "echo");
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return reactor;
    }
    response->set_subject(caller->subject + "/" + (caller->end_user ? caller->end_user->subject : "-"));
    response->set_message(request->message());
    if (request->message() == "slow") {
      std::thread([this, reactor] {
        release.WaitForNotificationWithTimeout(absl::Seconds(5));
        reactor->Finish(grpc::Status::OK);
      }).detach();
      return reactor;
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  absl::Notification release;

 private:
  const auth::JwtVerifier& verifier_;
};

class ServiceClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    verifier_ = tandem::testing::TestVerifier();
    downstream_ = std::make_unique<Downstream>(*verifier_);
    ServerOptions options;
    options.address = "127.0.0.1";
    host_ = std::make_unique<ServerHost>(options);
    host_->AddService(downstream_.get());
    ASSERT_TRUE(host_->Start().ok());
    auto signer =
        auth::JwtSigner::FromHs256Secret(tandem::testing::kTestHs256Secret, tandem::testing::kTestIssuer);
    ASSERT_TRUE(signer.ok());
    identity_ = std::make_unique<auth::ServiceTokenSource>(*std::move(signer), "progress");
  }
  void TearDown() override {
    downstream_->release.Notify();
    host_->Shutdown(absl::Seconds(1));
  }

  std::unique_ptr<auth::JwtVerifier> verifier_;
  std::unique_ptr<Downstream> downstream_;
  std::unique_ptr<ServerHost> host_;
  std::unique_ptr<auth::ServiceTokenSource> identity_;
};

TEST_F(ServiceClientTest, ACallCarriesTheServiceAndAnAssertionOfThePersonNotTheirToken) {
  ServiceClient<EchoService> echo(MakeServiceChannel(absl::StrCat("127.0.0.1:", host_->port())), "echo",
                                  *identity_);
  auto person = verifier_->Verify(tandem::testing::PersonToken("client", "k1", "c1"));
  ASSERT_TRUE(person.ok());
  auto context = echo.NewContext(nullptr, &*person);
  ASSERT_TRUE(context.ok()) << context.status();
  EchoRequest request;
  request.set_message("hi");
  EchoResponse response;
  grpc::Status status = echo.stub().Echo(context->get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.subject(), "progress/k1");

  // The same assertion is refused by a service it was not addressed to.
  ServiceClient<EchoService> misaddressed(MakeServiceChannel(absl::StrCat("127.0.0.1:", host_->port())),
                                          "scheduling", *identity_);
  auto wrong = misaddressed.NewContext(nullptr, &*person);
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(misaddressed.stub().Echo(wrong->get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Background work sends the service identity alone.
  auto background = echo.NewContext(nullptr, nullptr);
  ASSERT_TRUE(echo.stub().Echo(background->get(), request, &response).ok());
  EXPECT_EQ(response.subject(), "progress/-");
}

TEST_F(ServiceClientTest, AFanOutReturnsWhatArrivedAndNamesWhatDidNot) {
  const std::string up = absl::StrCat("127.0.0.1:", host_->port());
  const int free_port = tandem::testing::FreeLoopbackPort().value_or(1);
  ServiceClient<EchoService> echo(MakeServiceChannel(up), "echo", *identity_, absl::Milliseconds(500));
  ServiceClient<EchoService> down(MakeServiceChannel(absl::StrCat("127.0.0.1:", free_port)), "echo",
                                  *identity_, absl::Milliseconds(500));
  struct Slot {
    std::unique_ptr<grpc::ClientContext> context;
    EchoRequest request;
    EchoResponse response;
  };
  auto slots = std::make_shared<std::vector<Slot>>(3);
  const char* messages[] = {"fast", "slow", "unreachable"};
  ServiceClient<EchoService>* clients[] = {&echo, &echo, &down};
  auto fan_out = std::make_shared<FanOut>();
  for (int i = 0; i < 3; ++i) {
    (*slots)[i].context = *clients[i]->NewContext(nullptr, nullptr);
    (*slots)[i].request.set_message(messages[i]);
    fan_out->Add(messages[i], [slots, i, client = clients[i]](FanOut::Done done) {
      Slot& slot = (*slots)[i];
      client->stub().async()->Echo(slot.context.get(), &slot.request, &slot.response, std::move(done));
    });
  }
  absl::Notification finished;
  FanOut::Result result;
  const absl::Time start = absl::Now();
  fan_out->Run([&](FanOut::Result r) {
    result = std::move(r);
    finished.Notify();
  });
  ASSERT_TRUE(finished.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));  // bounded by the deadline, not by the slow part
  EXPECT_EQ(result.arrived, std::vector<std::string>({"fast"}));
  EXPECT_EQ(result.missing, std::vector<std::string>({"slow", "unreachable"}));
  EXPECT_EQ(result.errors.at("slow").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ((*slots)[0].response.message(), "fast");

  // No parts: done at once.
  absl::Notification empty;
  std::make_shared<FanOut>()->Run([&](const FanOut::Result& r) {
    EXPECT_TRUE(r.missing.empty());
    empty.Notify();
  });
  EXPECT_TRUE(empty.HasBeenNotified());
}

}  // namespace
}  // namespace tandem::service
