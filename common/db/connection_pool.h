#ifndef TANDEM_COMMON_DB_CONNECTION_POOL_H_
#define TANDEM_COMMON_DB_CONNECTION_POOL_H_

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tandem::db {

// A bounded pool of connections of type Conn, created on demand by a factory. A Lease hands one connection to
// one user at a time and gives it back when destroyed, or drops it when the user found it broken. The pool's
// state is shared with its leases, so a lease outliving the pool is still safe. Thread-safe; leases may be
// released on any thread (unlike holding a mutex).
template <typename Conn>
class ConnectionPool {
  struct State;  // Declared before Lease names it.

 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Conn>>()>;

  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept
        : state_(std::move(other.state_)), conn_(std::move(other.conn_)), discard_(other.discard_) {}
    Lease& operator=(Lease&& other) noexcept {
      Release();
      state_ = std::move(other.state_);
      conn_ = std::move(other.conn_);
      discard_ = other.discard_;
      return *this;
    }
    ~Lease() { Release(); }

    Conn* get() const { return conn_.get(); }
    Conn* operator->() const { return conn_.get(); }
    Conn& operator*() const { return *conn_; }

    // The connection is not given back to the pool but closed, making room for a fresh one.
    void Discard() { discard_ = true; }

   private:
    friend class ConnectionPool;
    Lease(std::shared_ptr<State> state, std::unique_ptr<Conn> conn)
        : state_(std::move(state)), conn_(std::move(conn)) {}

    void Release() {
      if (state_ == nullptr || conn_ == nullptr) return;
      std::unique_ptr<Conn> closing;
      {
        absl::MutexLock lock(&state_->mu);
        if (discard_) {
          closing = std::move(conn_);
          --state_->open;
        } else {
          state_->idle.push_back(std::move(conn_));
        }
      }
      closing.reset();  // Closing may do I/O: outside the lock.
      state_.reset();
    }

    std::shared_ptr<State> state_;
    std::unique_ptr<Conn> conn_;
    bool discard_ = false;
  };

  ConnectionPool(int max_size, Factory factory)
      : state_(std::make_shared<State>()),
        max_size_(max_size < 1 ? 1 : max_size),
        factory_(std::move(factory)) {}

  // An idle connection (most recently used first), a new one while fewer than max_size are open, or else the
  // next one given back within `timeout`. On timeout: `timeout_status`.
  absl::StatusOr<Lease> Acquire(absl::Duration timeout, const absl::Status& timeout_status) {
    const absl::Time deadline = absl::Now() + timeout;
    {
      absl::MutexLock lock(&state_->mu);
      auto can_proceed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
        return !state_->idle.empty() || state_->open < max_size_;
      };
      if (!state_->mu.AwaitWithDeadline(absl::Condition(&can_proceed), deadline)) return timeout_status;
      if (!state_->idle.empty()) {
        std::unique_ptr<Conn> conn = std::move(state_->idle.back());
        state_->idle.pop_back();
        return Lease(state_, std::move(conn));
      }
      ++state_->open;  // Reserve the slot, then connect without holding the lock.
    }
    absl::StatusOr<std::unique_ptr<Conn>> conn = factory_();
    if (!conn.ok()) {
      absl::MutexLock lock(&state_->mu);
      --state_->open;
      return conn.status();
    }
    return Lease(state_, *std::move(conn));
  }

  int max_size() const { return max_size_; }

 private:
  struct State {
    absl::Mutex mu;
    std::vector<std::unique_ptr<Conn>> idle ABSL_GUARDED_BY(mu);
    int open ABSL_GUARDED_BY(mu) = 0;  // Idle plus leased.
  };

  std::shared_ptr<State> state_;
  const int max_size_;
  Factory factory_;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_CONNECTION_POOL_H_
