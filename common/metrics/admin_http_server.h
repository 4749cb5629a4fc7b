#ifndef TANDEM_COMMON_METRICS_ADMIN_HTTP_SERVER_H_
#define TANDEM_COMMON_METRICS_ADMIN_HTTP_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace tandem::metrics {

// The admin port every service exposes to the cluster (never to browsers): GET /metrics (Prometheus text),
// /healthz (process alive) and /readyz (200 while `ready()` is true, 503 while draining). One thread of its
// own serves every connection asynchronously, so a slow or stuck client cannot hold up the kubelet's probes,
// and keeping this off the gRPC and worker threads means a probe cannot slow a clinical request.
class AdminHttpServer {
 public:
  struct Options {
    // Time a connection has for its whole request, however it trickles in, and again for taking the answer;
    // then it is closed.
    std::chrono::milliseconds request_timeout{3000};
    // Connections open at once. One more arriving closes the oldest, which has had the longest to finish, so
    // a probe is never turned away by connections that stay open.
    size_t max_connections = 16;
  };

  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(const std::string& address, int port,
                                                                Registry& registry,
                                                                std::function<bool()> ready);
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(const std::string& address, int port,
                                                                Registry& registry,
                                                                std::function<bool()> ready,
                                                                const Options& options);
  ~AdminHttpServer();
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  AdminHttpServer() = default;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tandem::metrics

#endif  // TANDEM_COMMON_METRICS_ADMIN_HTTP_SERVER_H_
