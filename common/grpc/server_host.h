#ifndef TANDEM_COMMON_GRPC_SERVER_HOST_H_
#define TANDEM_COMMON_GRPC_SERVER_HOST_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/grpc/worker_pool.h"
#include "common/metrics/admin_http_server.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_callback.h"

namespace tandem {

struct ServerOptions {
  std::string service_name = "tandem";
  std::string address = "0.0.0.0";
  int port = 0;  // 0 picks a free port (tests); port() tells which
  // Admin HTTP port for /metrics, /healthz, /readyz; -1 disables it, 0 picks a free one.
  int admin_port = -1;
  // Where the admin port listens; empty: `address`. Loopback keeps it from the network where probes and
  // scrapes come from the same host (a sidecar or node agent).
  std::string admin_address;
  // gRPC server reflection describes every service and message to whoever asks: for local runs and tools, off
  // in production, where callers have the protos.
  bool reflection = false;
  int worker_threads = 8;
  size_t worker_queue = 256;
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  int max_receive_message_bytes = 4 << 20;
  // Time between turning health NOT_SERVING and refusing new calls, so load balancers stop routing first.
  absl::Duration drain_delay = absl::ZeroDuration();
};

// Owns one grpc::Server with what every Tandem service needs: the callback API, gRPC health (per service and
// overall), reflection when asked for, keepalive, the request-id and telemetry interceptors, a worker pool
// for blocking work, and the admin HTTP port. Shutdown drains: health turns NOT_SERVING, in-flight calls get
// until the deadline to finish, then the rest are cancelled and the worker pool is joined.
class ServerHost {
 public:
  explicit ServerHost(ServerOptions options);
  ~ServerHost();
  ServerHost(const ServerHost&) = delete;
  ServerHost& operator=(const ServerHost&) = delete;

  // Services must outlive the host. Register all before Start.
  void AddService(grpc::Service* service);

  absl::Status Start();
  int port() const { return port_; }
  int admin_port() const { return admin_ ? admin_->port() : -1; }
  WorkerPool& workers() { return workers_; }
  bool serving() const { return serving_.load(); }

  // A channel to this server that skips the network (tests, and a service calling itself).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Graceful stop; safe to call from any thread and more than once.
  void Shutdown(absl::Duration grace);
  // Blocks until the server has shut down.
  void Wait();

 private:
  ServerOptions options_;
  WorkerPool workers_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<metrics::AdminHttpServer> admin_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

// For main(): blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards (call it
// first), then WaitForTerminationSignal() returns the signal number once one arrives.
void BlockTerminationSignals();
int WaitForTerminationSignal();

}  // namespace tandem

#endif  // TANDEM_COMMON_GRPC_SERVER_HOST_H_
