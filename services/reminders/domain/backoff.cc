#include "services/reminders/domain/backoff.h"

#include <algorithm>

namespace tandem::reminders {

double BitGenRandomSource::Uniform01() {
  absl::MutexLock lock(&mu_);
  return absl::Uniform<double>(gen_, 0.0, 1.0);
}

absl::StatusOr<Backoff> Backoff::Create(const BackoffPolicy& policy, RandomSource& random) {
  if (policy.base <= absl::ZeroDuration()) return absl::InvalidArgumentError("backoff base must be positive");
  if (policy.cap < policy.base) return absl::InvalidArgumentError("backoff cap must be at least the base");
  if (policy.max_attempts < 1) return absl::InvalidArgumentError("backoff max_attempts must be at least 1");
  return Backoff(policy, random);
}

absl::Duration Backoff::MaxDelay(int attempt) const {
  absl::Duration delay = policy_.base;
  // Doubling stops at the cap, so a large attempt count cannot overflow.
  for (int i = 1; i < attempt && delay < policy_.cap; ++i) delay *= 2;
  return std::min(delay, policy_.cap);
}

absl::Time Backoff::NextAttemptTime(int attempt, absl::Time now) const {
  const double fraction = std::clamp(random_->Uniform01(), 0.0, 1.0);
  return now + MaxDelay(attempt) * fraction;
}

}  // namespace tandem::reminders
