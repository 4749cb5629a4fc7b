#ifndef TANDEM_COMMON_REDIS_REDIS_POOL_H_
#define TANDEM_COMMON_REDIS_REDIS_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/redis/lua_script.h"
#include "common/redis/redis_reply.h"

struct redisContext;  // hiredis

namespace tandem::redis {

struct RedisPoolOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Most connections open at once; also the most calls in flight at once (at least 1).
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  // Longest wait for one reply (or one pipeline's replies, each). Blocking commands (BLPOP, XREADGROUP BLOCK)
  // must block for less than this.
  absl::Duration command_timeout = absl::Seconds(1);
  // Longest wait for a free connection when all pool_size are busy.
  absl::Duration acquire_timeout = absl::Milliseconds(500);
  // Sent with AUTH on every new connection when not empty.
  std::string password;
};

// One argv-style command; elements are binary safe (they may hold NUL bytes) and must outlive the call.
using RedisArgv = std::vector<absl::string_view>;

// A thread-safe client for one Redis server over hiredis's synchronous API. A redisContext is not
// thread-safe, so each call borrows one connection from the pool for its duration and returns it after.
// Connections are opened lazily; one whose I/O failed is closed rather than returned, and an idle one the
// server has closed is noticed before use, so after Redis restarts the next call reconnects: no process
// restart is needed.
//
// Errors: could not connect, I/O error, connection closed -> UNAVAILABLE; no reply within command_timeout ->
// DEADLINE_EXCEEDED (the command may still have run: as for a gRPC deadline, the outcome is unknown, and the
// code tells callers and dashboards "Redis is slow" apart from "Redis is down"); all pool_size connections
// busy for acquire_timeout -> RESOURCE_EXHAUSTED; an error reply -> ErrorReplyStatus (redis_errors.h), naming
// only the error kind. Statuses never contain keys or arguments, and nothing here logs them. A connection
// reset by the server does not raise SIGPIPE in the calling process.
//
// Calls block the calling thread (up to acquire + connect + command timeouts): run them on a worker pool,
// never on a gRPC or other I/O thread.
class RedisPool {
 public:
  explicit RedisPool(RedisPoolOptions options);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // Sends one command, e.g. Command({"SET", key, value}). An error reply becomes an error status.
  absl::StatusOr<RedisReply> Command(absl::Span<const absl::string_view> argv);

  // Sends all commands on one connection, then reads their replies: one round trip. An error reply is a
  // RedisReply of kind error in its place, not a failed pipeline; an I/O failure or timeout fails the whole
  // pipeline (some commands may have run). For atomicity, wrap the commands in MULTI ... EXEC.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(absl::Span<const RedisArgv> commands);

  // Runs `script` with EVALSHA; when the server does not know it (NOSCRIPT: after a restart or SCRIPT FLUSH),
  // loads it with SCRIPT LOAD and retries once. An error reply (including one raised by the script) becomes
  // an error status.
  absl::StatusOr<RedisReply> EvalSha(const RedisScript& script, absl::Span<const absl::string_view> keys,
                                     absl::Span<const absl::string_view> args);

  const RedisPoolOptions& options() const { return options_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  // Exclusive use of one connection for one call. Gives it back to the pool on destruction, unless its I/O
  // failed or Discard() was called: then it is closed, and its slot is free for a new connection.
  class Lease {
   public:
    Lease(RedisPool* pool, ContextPtr context) : pool_(pool), context_(std::move(context)) {}
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), context_(std::move(other.context_)), discard_(other.discard_) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    redisContext* get() const { return context_.get(); }
    // For a connection left out of step with the server (e.g. replies still unread).
    void Discard() { discard_ = true; }

   private:
    RedisPool* pool_;
    ContextPtr context_;
    bool discard_ = false;
  };

  absl::StatusOr<Lease> Acquire();
  absl::StatusOr<ContextPtr> Connect() const;
  void Release(ContextPtr context, bool discard);

  // Sends argv on `context` and reads the reply, mapping I/O failures (not error replies) to a status.
  absl::StatusOr<RedisReply> Send(redisContext* context, absl::Span<const absl::string_view> argv) const;
  // The status for a failed hiredis call on `context`; `saved_errno` is errno right after the call.
  absl::Status IoError(const redisContext* context, int saved_errno) const;

  const RedisPoolOptions options_;
  absl::Mutex mu_;
  std::vector<ContextPtr> idle_ ABSL_GUARDED_BY(mu_);
  // pool_size minus the connections leased or being opened (idle ones count as unleased). Acquire waits for
  // it to be positive.
  int unleased_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_REDIS_POOL_H_
