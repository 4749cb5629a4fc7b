#include "common/grpc/server_host.h"

#include <csignal>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc/server_interceptors.h"
#include "common/log/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace tandem {
namespace {

// Linking gRPC's reflection library registers its plugin with every ServerBuilder in the process (a static
// initializer), so reflection is off only where this option takes the plugin back out of the builder.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
      return dynamic_cast<const grpc::reflection::ProtoServerReflectionPlugin*>(plugin.get()) != nullptr;
    });
  }
};

}  // namespace

ServerHost::ServerHost(ServerOptions options)
    : options_(std::move(options)),
      workers_(options_.service_name, options_.worker_threads, options_.worker_queue) {}

ServerHost::~ServerHost() { Shutdown(absl::ZeroDuration()); }

void ServerHost::AddService(grpc::Service* service) { services_.push_back(service); }

absl::Status ServerHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options_.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  std::string address = absl::StrCat(options_.address, ":", options_.port);
  // Plaintext inside the cluster: transport encryption is the service mesh's job (see docs); identity is
  // carried and verified per call by the bearer tokens.
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_time)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<RequestIdInterceptorFactory>());
  interceptors.push_back(std::make_unique<TelemetryInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || (options_.port != 0 && port_ != options_.port) || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  serving_ = true;
  if (options_.admin_port >= 0) {
    const std::string& admin_address =
        options_.admin_address.empty() ? options_.address : options_.admin_address;
    auto admin = metrics::AdminHttpServer::Start(admin_address, options_.admin_port,
                                                 metrics::Registry::Default(), [this] { return serving(); });
    if (!admin.ok()) return admin.status();
    admin_ = *std::move(admin);
  }
  log::Info("server_started", {{"port", port_}, {"admin_port", admin_port()}});
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> ServerHost::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void ServerHost::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  log::Info("server_draining", {{"grace_ms", absl::ToInt64Milliseconds(grace)}});
  serving_ = false;
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (options_.drain_delay > absl::ZeroDuration()) absl::SleepFor(options_.drain_delay);
  // Waits for in-flight calls until the deadline, then cancels what remains.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  workers_.Shutdown();
  if (admin_) admin_->Stop();
  log::Info("server_stopped");
}

void ServerHost::Wait() {
  if (server_ != nullptr) server_->Wait();
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

}  // namespace tandem
