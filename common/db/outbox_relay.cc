#include "common/db/outbox_relay.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace tandem::db {
namespace {

// Enqueue-to-delivery lag in seconds: from "delivered at once" to "the receiver was down for hours".
const std::vector<double>& LagBuckets() {
  static const auto* const kBuckets =
      new std::vector<double>{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400};
  return *kBuckets;
}

metrics::Registry& RegistryOf(const OutboxRelayOptions& options) {
  return options.registry != nullptr ? *options.registry : metrics::Registry::Default();
}

std::function<double()> DefaultRandom() {
  struct Generator {
    absl::Mutex mu;
    absl::BitGen bits ABSL_GUARDED_BY(mu);
  };
  auto generator = std::make_shared<Generator>();
  return [generator] {
    absl::MutexLock lock(&generator->mu);
    return absl::Uniform<double>(generator->bits, 0.0, 1.0);
  };
}

}  // namespace

bool IsPermanentOutboxError(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

absl::Duration OutboxBackoffCeiling(const OutboxRelayOptions& options, int attempt) {
  absl::Duration ceiling = options.backoff_base;
  for (int i = 1; i < attempt && ceiling < options.backoff_cap; ++i) ceiling *= 2;
  return std::min(ceiling, options.backoff_cap);
}

OutboxRelay::OutboxRelay(Database& db, OutboxSender& sender, OutboxRelayOptions options, const Clock& clock)
    : db_(db),
      sender_(sender),
      options_(std::move(options)),
      clock_(clock),
      outbox_(clock, options_.cipher),
      messages_(RegistryOf(options_).AddCounter("tandem_outbox_messages_total",
                                                "Outbox delivery attempts by outcome and status code",
                                                {"outcome", "code"})),
      lag_(RegistryOf(options_)
               .AddHistogram("tandem_outbox_delivery_lag_seconds",
                             "Time from enqueueing an outbox message to its delivery", {}, LagBuckets())
               .WithLabels({})) {
  if (!options_.random) options_.random = DefaultRandom();
}

OutboxRelay::~OutboxRelay() { Stop(); }

absl::Status OutboxRelay::Validate() const {
  if (options_.threads < 1) return absl::InvalidArgumentError("outbox relay needs at least one thread");
  if (options_.batch_size < 1) return absl::InvalidArgumentError("outbox batch size must be positive");
  if (options_.min_lease_left < absl::ZeroDuration() || options_.lease <= options_.min_lease_left) {
    return absl::InvalidArgumentError("outbox lease must be longer than min_lease_left");
  }
  if (options_.backoff_base <= absl::ZeroDuration() || options_.backoff_cap < options_.backoff_base) {
    return absl::InvalidArgumentError("outbox backoff needs 0 < base <= cap");
  }
  if (options_.poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("outbox poll interval must be positive");
  }
  if (options_.max_attempts < 0) {
    return absl::InvalidArgumentError("outbox max_attempts must not be negative");
  }
  return absl::OkStatus();
}

absl::Status OutboxRelay::Start() {
  RETURN_IF_ERROR(Validate());
  absl::MutexLock lock(&mu_);
  if (started_) return absl::FailedPreconditionError("outbox relay already started");
  started_ = true;
  stopping_ = false;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Loop(i); });
  return absl::OkStatus();
}

void OutboxRelay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  absl::MutexLock lock(&mu_);
  started_ = false;
}

bool OutboxRelay::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

absl::Duration OutboxRelay::RetryDelay(int attempt) {
  // Full jitter: anywhere between now and the ceiling.
  const double fraction = std::clamp(options_.random(), 0.0, 1.0);
  return OutboxBackoffCeiling(options_, attempt) * fraction;
}

absl::StatusOr<bool> OutboxRelay::SettleWithRetry(const std::function<absl::StatusOr<bool>()>& settle) {
  absl::Duration pause = absl::Milliseconds(20);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<bool> settled = settle();
    const bool busy = !settled.ok() && (settled.status().code() == absl::StatusCode::kAborted ||
                                        settled.status().code() == absl::StatusCode::kUnavailable);
    if (!busy || attempt == 5) return settled;
    absl::SleepFor(pause);
    pause *= 2;
  }
}

absl::StatusOr<int> OutboxRelay::RunOnce() {
  RETURN_IF_ERROR(Validate());
  ASSIGN_OR_RETURN(std::vector<OutboxRow> claimed, outbox_.Claim(db_, options_.batch_size, options_.lease));
  int sent = 0;
  for (const OutboxRow& row : claimed) {
    // A send must end while the claim still holds, or another relay could deliver the message meanwhile
    // and this one would then deliver it again after a follower.
    if (stopping() ||
        clock_.Now() + options_.min_lease_left > row.lease_until.value_or(absl::InfinitePast())) {
      absl::StatusOr<bool> released = SettleWithRetry([&] { return outbox_.Release(db_, row); });
      if (!released.ok()) {
        log::Warn("outbox_release_failed",
                  {{"id", row.id}, {"code", absl::StatusCodeToString(released.status().code())}});
      }
      continue;
    }
    const absl::Status result = sender_.Send(row);
    ++sent;
    const std::string code = absl::StatusCodeToString(result.code());
    std::string outcome;
    absl::StatusOr<bool> settled;
    if (result.ok()) {
      outcome = "delivered";
      settled = SettleWithRetry([&] { return outbox_.MarkDelivered(db_, row); });
      if (settled.ok() && *settled) lag_.Observe(absl::ToDoubleSeconds(clock_.Now() - row.created_at));
    } else if (IsPermanentOutboxError(result.code()) ||
               (options_.max_attempts > 0 && row.attempts >= options_.max_attempts)) {
      outcome = "failed";
      settled = SettleWithRetry([&] { return outbox_.MarkFailed(db_, row, result); });
      // Ids, target and code only: the receiver's message may quote the request.
      log::Warn("outbox_message_failed",
                {{"id", row.id}, {"target", row.target}, {"code", code}, {"attempts", row.attempts}});
    } else {
      outcome = "retried";
      const absl::Time next = clock_.Now() + RetryDelay(row.attempts);
      settled = SettleWithRetry([&] { return outbox_.Retry(db_, row, next, result); });
      log::Info("outbox_message_retry",
                {{"id", row.id}, {"target", row.target}, {"code", code}, {"attempts", row.attempts}});
    }
    if (!settled.ok()) {
      // The lease runs out and the message is sent again: at least once.
      log::Warn("outbox_settle_failed",
                {{"id", row.id}, {"code", absl::StatusCodeToString(settled.status().code())}});
      continue;
    }
    if (!*settled) outcome = "lease_lost";
    messages_.WithLabels({outcome, code}).Increment();
  }
  return sent;
}

absl::StatusOr<int> OutboxRelay::Sweep() {
  int total = 0;
  constexpr int kChunk = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(int deleted, outbox_.DeleteDelivered(db_, options_.retention, kChunk));
    total += deleted;
    if (deleted < kChunk || stopping()) return total;
  }
}

void OutboxRelay::Loop(int index) {
  while (!stopping()) {
    if (index == 0 && options_.sweep_interval > absl::ZeroDuration()) {
      bool due = false;
      {
        absl::MutexLock lock(&mu_);
        const absl::Time now = clock_.Now();
        if (now >= next_sweep_) {
          next_sweep_ = now + options_.sweep_interval;
          due = true;
        }
      }
      if (due) {
        absl::StatusOr<int> swept = Sweep();
        if (!swept.ok()) {
          log::Warn("outbox_sweep_failed", {{"code", absl::StatusCodeToString(swept.status().code())}});
        }
      }
    }
    absl::StatusOr<int> sent = RunOnce();
    if (!sent.ok()) {
      log::Warn("outbox_poll_failed", {{"code", absl::StatusCodeToString(sent.status().code())}});
    } else if (*sent > 0) {
      continue;  // The followers of what was just delivered may be due now.
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll_interval);
  }
}

}  // namespace tandem::db
