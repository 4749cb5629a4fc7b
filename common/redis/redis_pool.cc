#include "common/redis/redis_pool.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/redis/redis_errors.h"

namespace tandem::redis {
namespace {

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<void, ReplyDeleter>;

bool IsFiniteTimeout(absl::Duration d) { return d > absl::ZeroDuration() && d != absl::InfiniteDuration(); }

// False when an idle connection can no longer be used: hiredis saw an error, or the server closed it (a
// restarted or killed server leaves an EOF or reset pending). An idle RESP2 connection never has data to
// read.
bool IdleConnectionUsable(const redisContext* context) {
  if (context->err != 0) return false;
  struct pollfd pfd = {context->fd, POLLIN | POLLRDHUP, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, 0);
  } while (ready < 0 && errno == EINTR);
  return ready == 0;
}

// hiredis writes with write(2), so writing to a connection the server has reset raises SIGPIPE, whose default
// action ends the process. While a call runs, SIGPIPE is blocked for the calling thread, and a SIGPIPE the
// call raised is consumed before unblocking (as libpq does); the write itself just fails with EPIPE. The
// process's own SIGPIPE handling is left alone.
class ScopedSigpipeSuppression {
 public:
  ScopedSigpipeSuppression() {
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    blocked_ = pthread_sigmask(SIG_BLOCK, &block, &previous_) == 0;
  }

  ~ScopedSigpipeSuppression() {
    if (!blocked_) return;
    int saved_errno = errno;
    sigset_t pending;
    sigemptyset(&pending);
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t only_sigpipe;
      sigemptyset(&only_sigpipe);
      sigaddset(&only_sigpipe, SIGPIPE);
      struct timespec no_wait = {0, 0};
      while (sigtimedwait(&only_sigpipe, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    errno = saved_errno;
  }

  ScopedSigpipeSuppression(const ScopedSigpipeSuppression&) = delete;
  ScopedSigpipeSuppression& operator=(const ScopedSigpipeSuppression&) = delete;

 private:
  sigset_t previous_;
  bool was_pending_ = false;
  bool blocked_ = false;
};

// The argv arrays hiredis takes: pointers and lengths, so NUL bytes pass through.
struct RawArgv {
  explicit RawArgv(absl::Span<const absl::string_view> argv) {
    pointers.reserve(argv.size());
    lengths.reserve(argv.size());
    for (absl::string_view arg : argv) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  int argc() const { return static_cast<int>(pointers.size()); }

  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
};

}  // namespace

void RedisPool::ContextDeleter::operator()(redisContext* context) const { redisFree(context); }

RedisPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(context_), discard_);
}

RedisPool::RedisPool(RedisPoolOptions options)
    : options_(std::move(options)), unleased_(std::max(1, options_.pool_size)) {}

RedisPool::~RedisPool() = default;

absl::StatusOr<RedisPool::Lease> RedisPool::Acquire() {
  ContextPtr context;
  {
    absl::MutexLock lock(&mu_);
    bool available = mu_.AwaitWithTimeout(absl::Condition(
                                              +[](int* unleased) { return *unleased > 0; }, &unleased_),
                                          options_.acquire_timeout);
    if (!available) {
      return absl::ResourceExhaustedError(absl::StrCat("redis: all ", options_.pool_size,
                                                       " connections busy for ",
                                                       absl::FormatDuration(options_.acquire_timeout)));
    }
    --unleased_;
    if (!idle_.empty()) {
      context = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (context != nullptr && !IdleConnectionUsable(context.get())) context.reset();
  if (context == nullptr) {
    auto connected = Connect();
    if (!connected.ok()) {
      absl::MutexLock lock(&mu_);
      ++unleased_;
      return connected.status();
    }
    context = *std::move(connected);
  }
  return Lease(this, std::move(context));
}

void RedisPool::Release(ContextPtr context, bool discard) {
  // Closing happens outside the lock (the deleter runs when `context` goes out of scope).
  absl::MutexLock lock(&mu_);
  ++unleased_;
  if (context != nullptr && context->err == 0 && !discard) idle_.push_back(std::move(context));
}

absl::StatusOr<RedisPool::ContextPtr> RedisPool::Connect() const {
  ContextPtr context(IsFiniteTimeout(options_.connect_timeout)
                         ? redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                                   absl::ToTimeval(options_.connect_timeout))
                         : redisConnect(options_.host.c_str(), options_.port));
  if (context == nullptr) return absl::ResourceExhaustedError("redis: out of memory creating a connection");
  if (context->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("redis: cannot connect to ", options_.host, ":", options_.port, ": ", context->errstr));
  }
  struct timeval command_timeout = {0, 0};  // 0: no timeout
  if (IsFiniteTimeout(options_.command_timeout)) command_timeout = absl::ToTimeval(options_.command_timeout);
  if (redisSetTimeout(context.get(), command_timeout) != REDIS_OK) return IoError(context.get(), errno);
  // Keepalive lets an idle connection to a vanished host fail instead of hanging (best effort).
  (void)redisEnableKeepAlive(context.get());
  if (!options_.password.empty()) {
    auto reply = Send(context.get(), {"AUTH", options_.password});
    if (!reply.ok()) return reply.status();
    if (absl::Status auth = ErrorReplyStatus(*reply); !auth.ok()) return auth;
  }
  return context;
}

absl::Status RedisPool::IoError(const redisContext* context, int saved_errno) const {
  std::string where = absl::StrCat(options_.host, ":", options_.port);
  switch (context->err) {
    case REDIS_ERR_IO:
      // Both SO_RCVTIMEO and SO_SNDTIMEO (set by redisSetTimeout) surface as EAGAIN.
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) {
        return absl::DeadlineExceededError(absl::StrCat("redis: no reply from ", where, " within ",
                                                        absl::FormatDuration(options_.command_timeout)));
      }
      return absl::UnavailableError(absl::StrCat("redis: I/O error with ", where, ": ", context->errstr));
    case REDIS_ERR_EOF:
      return absl::UnavailableError(absl::StrCat("redis: connection to ", where, " closed by the server"));
    case REDIS_ERR_PROTOCOL:
      // hiredis's message quotes received bytes; they are left out.
      return absl::InternalError(absl::StrCat("redis: protocol error from ", where));
    case REDIS_ERR_OOM:
      return absl::ResourceExhaustedError("redis: out of memory");
    default:
      return absl::UnavailableError(absl::StrCat("redis: error with ", where, ": ", context->errstr));
  }
}

absl::StatusOr<RedisReply> RedisPool::Send(redisContext* context,
                                           absl::Span<const absl::string_view> argv) const {
  if (argv.empty()) return absl::InvalidArgumentError("redis: empty command");
  RawArgv raw(argv);
  ReplyPtr reply(redisCommandArgv(context, raw.argc(), raw.pointers.data(), raw.lengths.data()));
  int saved_errno = errno;
  if (reply == nullptr) return IoError(context, saved_errno);
  return ConvertReply(static_cast<const redisReply*>(reply.get()));
}

absl::StatusOr<RedisReply> RedisPool::Command(absl::Span<const absl::string_view> argv) {
  if (argv.empty()) return absl::InvalidArgumentError("redis: empty command");
  ScopedSigpipeSuppression no_sigpipe;
  auto lease = Acquire();
  if (!lease.ok()) return lease.status();
  auto reply = Send(lease->get(), argv);
  if (!reply.ok()) return reply.status();
  if (absl::Status error = ErrorReplyStatus(*reply); !error.ok()) return error;
  return reply;
}

absl::StatusOr<std::vector<RedisReply>> RedisPool::Pipeline(absl::Span<const RedisArgv> commands) {
  for (const RedisArgv& argv : commands) {
    if (argv.empty()) return absl::InvalidArgumentError("redis: empty command in pipeline");
  }
  std::vector<RedisReply> replies;
  if (commands.empty()) return replies;
  ScopedSigpipeSuppression no_sigpipe;
  auto lease = Acquire();
  if (!lease.ok()) return lease.status();
  redisContext* context = lease->get();
  for (const RedisArgv& argv : commands) {
    RawArgv raw(argv);
    if (redisAppendCommandArgv(context, raw.argc(), raw.pointers.data(), raw.lengths.data()) != REDIS_OK) {
      lease->Discard();  // Part of the pipeline may be buffered.
      return absl::ResourceExhaustedError("redis: out of memory building a pipeline");
    }
  }
  replies.reserve(commands.size());
  absl::Status conversion = absl::OkStatus();
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw_reply = nullptr;
    if (redisGetReply(context, &raw_reply) != REDIS_OK) return IoError(context, errno);
    ReplyPtr reply(raw_reply);
    auto converted = ConvertReply(static_cast<const redisReply*>(reply.get()));
    if (!converted.ok()) {
      // Keep reading so the connection stays in step, then report.
      conversion.Update(converted.status());
      continue;
    }
    replies.push_back(*std::move(converted));
  }
  if (!conversion.ok()) return conversion;
  return replies;
}

absl::StatusOr<RedisReply> RedisPool::EvalSha(const RedisScript& script,
                                              absl::Span<const absl::string_view> keys,
                                              absl::Span<const absl::string_view> args) {
  std::string key_count = absl::StrCat(keys.size());
  RedisArgv argv;
  argv.reserve(3 + keys.size() + args.size());
  if (script.sha1().empty()) {
    argv = {"EVAL", script.source(), key_count};
  } else {
    argv = {"EVALSHA", script.sha1(), key_count};
  }
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());

  ScopedSigpipeSuppression no_sigpipe;
  auto lease = Acquire();
  if (!lease.ok()) return lease.status();
  auto reply = Send(lease->get(), argv);
  if (reply.ok() && reply->is_error() && reply->ErrorKind() == "NOSCRIPT") {
    auto loaded = Send(lease->get(), {"SCRIPT", "LOAD", script.source()});
    if (!loaded.ok()) return loaded.status();
    if (absl::Status error = ErrorReplyStatus(*loaded); !error.ok()) return error;
    if (loaded->str() != script.sha1()) {
      return absl::InternalError("redis: SCRIPT LOAD returned another SHA-1");
    }
    reply = Send(lease->get(), argv);
  }
  if (!reply.ok()) return reply.status();
  if (absl::Status error = ErrorReplyStatus(*reply); !error.ok()) return error;
  return reply;
}

}  // namespace tandem::redis
