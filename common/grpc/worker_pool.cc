#include "common/grpc/worker_pool.h"

#include <utility>

#include "common/metrics/metrics.h"

namespace tandem {
namespace {

metrics::CounterFamily& RejectedFamily() {
  static auto& family = metrics::Registry::Default().AddCounter(
      "tandem_worker_pool_rejected_total", "Tasks refused because the worker pool queue was full.", {"pool"});
  return family;
}

}  // namespace

WorkerPool::WorkerPool(std::string name, int threads, size_t max_queue)
    : name_(std::move(name)), max_queue_(max_queue) {
  depth_gauge_ =
      &metrics::Registry::Default()
           .AddGauge("tandem_worker_pool_queue_depth", "Tasks waiting for a worker thread.", {"pool"})
           .WithLabels({name_});
  rejected_ = &RejectedFamily().WithLabels({name_});
  if (threads < 1) threads = 1;
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::TrySubmit(absl::AnyInvocable<void() &&> task) {
  size_t depth;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || queue_.size() >= max_queue_) {
      rejected_->Increment();
      return false;
    }
    queue_.push_back(std::move(task));
    depth = queue_.size();
  }
  depth_gauge_->Set(static_cast<double>(depth));
  return true;
}

void WorkerPool::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  absl::MutexLock join_lock(&join_mu_);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

size_t WorkerPool::queue_depth() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Run() {
  while (true) {
    absl::AnyInvocable<void() &&> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* pool)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) { return pool->stopping_ || !pool->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      depth_gauge_->Set(static_cast<double>(queue_.size()));
    }
    std::move(task)();
  }
}

}  // namespace tandem
