#ifndef TANDEM_COMMON_METRICS_ADMIN_HTTP_SERVER_H_
#define TANDEM_COMMON_METRICS_ADMIN_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace tandem::metrics {

// The admin port every service exposes to the cluster (never to browsers): GET /metrics (Prometheus text),
// /healthz (process alive) and /readyz (200 while `ready()` is true, 503 while draining). Requests are answered one
// at a time on one thread with a short socket timeout: scrapes and probes are small and rare, and keeping this off
// the gRPC and worker threads means a stuck probe cannot slow a clinical request.
class AdminHttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(const std::string& address, int port,
                                                                Registry& registry,
                                                                std::function<bool()> ready);
  ~AdminHttpServer();
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  AdminHttpServer(Registry& registry, std::function<bool()> ready);
  void Serve();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  Registry& registry_;
  std::function<bool()> ready_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tandem::metrics

#endif  // TANDEM_COMMON_METRICS_ADMIN_HTTP_SERVER_H_
