#ifndef TANDEM_COMMON_DB_OUTBOX_RELAY_H_
#define TANDEM_COMMON_DB_OUTBOX_RELAY_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/database.h"
#include "common/db/outbox.h"
#include "common/metrics/metrics.h"
#include "common/time/clock.h"

namespace tandem::db {

// Delivers one outbox message. Implementations send row.payload to row.target with row.id as the idempotency
// key, and return the receiver's status: OK settles the message as delivered, a permanent error
// (IsPermanentOutboxError) as failed, anything else is retried later. Called from the relay's threads, so
// it must be thread-safe; it may block, but should give up within the relay's lease.
class OutboxSender {
 public:
  virtual ~OutboxSender() = default;
  virtual absl::Status Send(const OutboxRow& row) = 0;
};

// The codes a retry cannot change (the request itself is wrong, or was already carried out):
// INVALID_ARGUMENT, FAILED_PRECONDITION and ALREADY_EXISTS. Everything else is transient: UNAUTHENTICATED and
// PERMISSION_DENIED while a new service key or rule is rolled out, NOT_FOUND while the receiver catches up,
// UNIMPLEMENTED while it does not serve the method yet; max_attempts bounds them.
bool IsPermanentOutboxError(absl::StatusCode code);

struct OutboxRelayOptions {
  // The cipher the messages were enqueued with (see Outbox): payloads are opened just before they are sent.
  crypto::ClinicalCipher* cipher = nullptr;
  int threads = 2;
  // Messages one thread claims at a time (at most one per ordering key).
  int batch_size = 16;
  // How long a claim is held. A message whose relay died is claimed again once its lease has run out, so
  // this bounds the extra delay after a crash; it must be longer than a send takes (the sender's deadline),
  // and a claimed message with less than `min_lease_left` remaining is given back unsent.
  absl::Duration lease = absl::Seconds(60);
  absl::Duration min_lease_left = absl::Seconds(15);
  // Pause between polls when nothing was due (a thread that found work polls again at once).
  absl::Duration poll_interval = absl::Milliseconds(500);
  // Retries: exponential backoff with full jitter. The delay after the n-th failed attempt is uniform in
  // [0, min(backoff_cap, backoff_base * 2^(n-1))], so relays do not all hit a recovering receiver at once.
  absl::Duration backoff_base = absl::Seconds(1);
  absl::Duration backoff_cap = absl::Minutes(5);
  // Attempts after which a message that still fails transiently is settled as failed; 0 retries forever
  // (the message and its followers wait until the receiver accepts it).
  int max_attempts = 0;
  // Delivered messages are deleted this long after delivery (failed ones are kept), checked every
  // `sweep_interval`; a zero interval turns the sweep off.
  absl::Duration retention = absl::Hours(24 * 7);
  absl::Duration sweep_interval = absl::Hours(1);
  // A uniformly distributed number in [0, 1), called from several threads; empty means a seeded generator.
  std::function<double()> random;
  // Where the outbox metrics go; nullptr means the process-wide registry.
  metrics::Registry* registry = nullptr;
};

// The ceiling of the retry delay after `attempt` failed attempts (smaller than 1 counts as 1).
absl::Duration OutboxBackoffCeiling(const OutboxRelayOptions& options, int attempt);

// Background threads that deliver the outbox (outbox.h) through an OutboxSender: each thread claims a batch
// of due messages under a lease, sends them, and settles each as delivered, failed or due again later.
// Several relays, in one process or many, may share a database: claims are conditional updates, and within
// an ordering key only the head is ever claimable, so messages of one key arrive in order, each first
// arrival after every earlier message of that key was settled. Delivery is at least once: a relay killed
// between sending and settling leaves the lease to run out, and the message is sent again.
//
// Metrics: tandem_outbox_messages_total{outcome="delivered|failed|retried|lease_lost", code} and
// tandem_outbox_delivery_lag_seconds (enqueue to delivery). The Database, sender and Clock must outlive the
// relay.
class OutboxRelay {
 public:
  OutboxRelay(Database& db, OutboxSender& sender, OutboxRelayOptions options = {},
              const Clock& clock = Clock::Real());
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // Starts the threads. INVALID_ARGUMENT for unusable options, FAILED_PRECONDITION when already started.
  absl::Status Start();
  // Lets in-flight sends finish, gives unsent claims back and joins the threads. Safe to call more than once.
  void Stop();

  // One pass on the calling thread: claims a batch, delivers it and settles it; returns how many messages
  // were sent. The threads run this in a loop; tests may call it directly for deterministic steps.
  absl::StatusOr<int> RunOnce();

  // Deletes delivered messages older than the retention; returns how many.
  absl::StatusOr<int> Sweep();

 private:
  absl::Status Validate() const;
  void Loop(int index);
  absl::Duration RetryDelay(int attempt);
  bool stopping() const;
  // Settling retries briefly on a busy database so that a delivered message is not sent twice for nothing.
  absl::StatusOr<bool> SettleWithRetry(const std::function<absl::StatusOr<bool>()>& settle);

  Database& db_;
  OutboxSender& sender_;
  OutboxRelayOptions options_;
  const Clock& clock_;
  Outbox outbox_;
  metrics::CounterFamily& messages_;
  metrics::Histogram& lag_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<std::thread> threads_;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_OUTBOX_RELAY_H_
