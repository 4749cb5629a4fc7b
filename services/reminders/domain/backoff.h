#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_BACKOFF_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_BACKOFF_H_

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tandem::reminders {

// Where the jitter comes from, so tests can pin it.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniformly distributed number in [0, 1).
  virtual double Uniform01() = 0;
};

// absl::BitGen behind a mutex: thread-safe, for production.
class BitGenRandomSource final : public RandomSource {
 public:
  double Uniform01() override;

 private:
  absl::Mutex mu_;
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
};

struct BackoffPolicy {
  absl::Duration base = absl::Seconds(30);  // ceiling of the first retry's delay
  absl::Duration cap = absl::Hours(1);      // no delay is ever longer
  int max_attempts = 8;                     // attempts in all, the first included
};

// The retry schedule of one reminder: exponential backoff with full jitter (the delay after the n-th failed
// attempt is uniform in [0, min(cap, base * 2^(n-1))]), so receivers that recover are not hit by every
// worker at the same instant. After max_attempts failed attempts the reminder goes to the dead letters.
// Thread-safe if the RandomSource is.
class Backoff {
 public:
  // INVALID_ARGUMENT unless 0 < base <= cap and max_attempts >= 1. `random` must outlive the Backoff.
  static absl::StatusOr<Backoff> Create(const BackoffPolicy& policy, RandomSource& random);

  // The ceiling of the delay after `attempt` failed attempts (attempt >= 1; smaller counts as 1).
  absl::Duration MaxDelay(int attempt) const;

  // When to try again after `attempt` failed attempts, the last one ending at `now`.
  absl::Time NextAttemptTime(int attempt, absl::Time now) const;

  // True once `attempt` failed attempts exhaust the policy.
  bool ShouldDeadLetter(int attempt) const { return attempt >= policy_.max_attempts; }

  const BackoffPolicy& policy() const { return policy_; }

 private:
  Backoff(const BackoffPolicy& policy, RandomSource& random) : policy_(policy), random_(&random) {}

  BackoffPolicy policy_;
  RandomSource* random_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_BACKOFF_H_
