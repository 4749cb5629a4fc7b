#ifndef TANDEM_COMMON_GRPC_WORKER_POOL_H_
#define TANDEM_COMMON_GRPC_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/metrics.h"

namespace tandem {

// A fixed set of threads with a bounded queue for blocking work (SQL, hiredis), so that gRPC's callback
// threads never block. When the queue is full TrySubmit refuses at once: the caller answers
// RESOURCE_EXHAUSTED instead of letting latency grow without bound under overload.
class WorkerPool {
 public:
  // `name` labels the pool's metrics (tandem_worker_pool_queue_depth{pool=...}).
  WorkerPool(std::string name, int threads, size_t max_queue);
  ~WorkerPool();  // runs every task already accepted, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is shutting down; the task is then not run.
  [[nodiscard]] bool TrySubmit(absl::AnyInvocable<void() &&> task);

  // Stops accepting work, finishes what was accepted, joins the threads. Idempotent.
  void Shutdown();

  size_t queue_depth() const;
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Run();

  const std::string name_;
  const size_t max_queue_;
  mutable absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
  absl::Mutex join_mu_;  // serialises concurrent Shutdown calls
  metrics::Gauge* depth_gauge_ = nullptr;
  metrics::Counter* rejected_ = nullptr;
};

}  // namespace tandem

#endif  // TANDEM_COMMON_GRPC_WORKER_POOL_H_
