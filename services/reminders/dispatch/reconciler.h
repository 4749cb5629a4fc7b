#ifndef TANDEM_SERVICES_REMINDERS_DISPATCH_RECONCILER_H_
#define TANDEM_SERVICES_REMINDERS_DISPATCH_RECONCILER_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/reminders/dispatch/due_index.h"
#include "services/reminders/domain/reminder_store.h"

namespace tandem::reminders {

// Rebuilds Redis's due index from the database: every reminder still to be sent (scheduled, queued, failed,
// or delivering under an expired lease) is added at its next attempt time. Adding an id that is already
// indexed or queued is harmless: the database claim lets only one worker send it. Run at start-up and
// periodically by every replica, so a Redis that restarts empty, or a lost ZADD, delays reminders by at most
// one period.
class Reconciler {
 public:
  Reconciler(ReminderStore& store, DueIndex& index, int page_size = 1000)
      : store_(store), index_(index), page_size_(page_size) {}

  // Returns how many reminders were (re-)indexed.
  absl::StatusOr<int> Reconcile(absl::Time now);

 private:
  ReminderStore& store_;
  DueIndex& index_;
  const int page_size_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DISPATCH_RECONCILER_H_
