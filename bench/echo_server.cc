// tandem_echo_server: a bare gRPC EchoService on the callback API, with nothing of Tandem's common code (no
// interceptors, auth, logging or worker pool). It is the baseline every service benchmark is compared to, so
// the ratio says what Tandem's layers cost on top of gRPC itself. Answers inline on gRPC's threads; delay_ms
// is ignored. Stops on SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tandem/testing/v1/echo.grpc.pb.h"

ABSL_FLAG(int, port, 0, "port to listen on; 0 picks a free one");
ABSL_FLAG(std::string, address, "127.0.0.1", "address to listen on");

namespace {

using tandem::testing::v1::EchoRequest;
using tandem::testing::v1::EchoResponse;

class BareEchoService final : public tandem::testing::v1::EchoService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    return Answer(context, *request, response);
  }

  // The bare server has no worker pool: both methods answer the same way.
  grpc::ServerUnaryReactor* EchoBlocking(grpc::CallbackServerContext* context, const EchoRequest* request,
                                         EchoResponse* response) override {
    return Answer(context, *request, response);
  }

 private:
  static grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const EchoRequest& request,
                                          EchoResponse* response) {
    response->set_message(request.message());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Bare gRPC echo server (benchmark baseline): tandem_echo_server [--port=0]");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "tandem_echo_server: unexpected argument '%s'\n", rest[1]);
    return 2;
  }
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "tandem_echo_server: --port must be in 0..65535\n");
    return 2;
  }
  std::string host = absl::GetFlag(FLAGS_address);
  if (absl::StrContains(host, ':') && !absl::StartsWith(host, "[")) host = absl::StrCat("[", host, "]");

  // Blocked before gRPC starts its threads, so they inherit the mask and only sigwait below sees the signal.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  BareEchoService service;
  int bound_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(host, ":", port), grpc::InsecureServerCredentials(), &bound_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    std::fprintf(stderr, "tandem_echo_server: cannot listen on %s:%d\n", host.c_str(), port);
    return 1;
  }
  std::printf("listening on %s:%d\n", host.c_str(), bound_port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  server->Wait();
  return 0;
}
