#ifndef TANDEM_SERVICES_REMINDERS_DISPATCH_DISPATCHER_H_
#define TANDEM_SERVICES_REMINDERS_DISPATCH_DISPATCHER_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/reminders/dispatch/due_index.h"
#include "services/reminders/dispatch/reconciler.h"
#include "services/reminders/domain/backoff.h"
#include "services/reminders/domain/channel.h"
#include "services/reminders/domain/channel_kind.h"
#include "services/reminders/domain/discretion.h"
#include "services/reminders/domain/reminder_store.h"

namespace tandem::reminders {

struct DispatcherOptions {
  // Unique per process: names the Redis consumer, and is recorded in each claim's lease (a lease belongs to
  // one claim, not to the process).
  std::string worker_id;
  int threads = 4;  // consumers, each sending one reminder at a time
  int batch = 16;   // stream entries read at once per consumer
  absl::Duration read_block = absl::Milliseconds(500);
  // How long a claim lasts: a worker that dies mid-send leaves its reminders to others after this. Longer
  // than the slowest channel's timeout.
  absl::Duration lease = absl::Seconds(60);
  absl::Duration move_interval = absl::Milliseconds(200);
  absl::Duration reclaim_interval = absl::Seconds(5);
  absl::Duration reconcile_interval = absl::Seconds(60);
  // Pause after Redis or the database failed, before trying again.
  absl::Duration error_pause = absl::Milliseconds(500);
};

// The sending half of the service: consumers read due reminder ids from the stream, claim each in the
// database (a conditional update with a lease, which is also the last check for cancellation), render it,
// send it through its channel and record the outcome; a housekeeping thread moves due ids into the stream,
// reclaims entries of dead consumers and runs the reconciler. Any number of processes may run one.
class Dispatcher {
 public:
  using Channels = absl::flat_hash_map<ChannelKind, Channel*>;

  Dispatcher(ReminderStore& store, DueIndex& index, Channels channels, const DiscretionPolicy& policy,
             const Backoff& backoff, const Clock& clock, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Reconciles once (a failure is logged, not fatal: Redis may come later) and starts the threads.
  void Start();
  // Stops reading and joins the threads; a send in progress completes and is recorded.
  void Stop();

  // One reminder named by a stream entry: claim, render, send, record. OK when the entry can be acknowledged
  // (including "someone else has it" and "cancelled"); an error leaves it pending, to be reclaimed.
  absl::Status Deliver(const std::string& reminder_id);
  // One pass of the housekeeping thread's work, for tests: move due ids, reclaim, reconcile.
  absl::Status MoveDueNow();
  absl::StatusOr<int> ReconcileNow();

 private:
  void ConsumeLoop(int index);
  void HousekeepingLoop();
  // Handles entries and acknowledges the ones that are done.
  void HandleEntries(const std::vector<DueEntry>& entries);
  void Record(const ClaimedReminder& claimed, const AttemptOutcome& outcome);
  bool Sleep(absl::Duration d);  // false when stopping

  ReminderStore& store_;
  DueIndex& index_;
  const Channels channels_;
  const DiscretionPolicy& policy_;
  const Backoff& backoff_;
  const Clock& clock_;
  const DispatcherOptions options_;
  Reconciler reconciler_;
  absl::Notification stopping_;
  std::vector<std::thread> threads_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DISPATCH_DISPATCHER_H_
