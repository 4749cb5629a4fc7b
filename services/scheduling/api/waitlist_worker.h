#ifndef TANDEM_SERVICES_SCHEDULING_API_WAITLIST_WORKER_H_
#define TANDEM_SERVICES_SCHEDULING_API_WAITLIST_WORKER_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/scheduling/domain/scheduling_store.h"
#include "services/scheduling/domain/waitlist.h"

namespace tandem::scheduling {

struct WaitlistWorkerOptions {
  // How long a freed slot is held for one client before it goes to the next.
  absl::Duration hold = kDefaultWaitlistHold;
  // How often the worker looks for lapsed holds and freed slots when nothing wakes it.
  absl::Duration interval = absl::Seconds(10);
  // The audit actor of the worker's changes: the service's name.
  std::string actor = "scheduling";
  // Freed slots and lapsed holds handled per pass at most.
  int batch = 100;
};

// What a pass did, for tests and logs.
struct WaitlistPass {
  int expired = 0;  // holds that lapsed and were cancelled (their slots queued for the next client)
  int offered = 0;  // holds made
};

// Moves the waitlist along: cancels the holds whose time ran out (each slot then goes to the next client)
// and offers each freed slot to the first waiting client it suits (ChooseWaitlistEntry), holding it until
// HoldExpiry. Runs on a thread of its own every `interval` and whenever Wake() is called (after a
// cancellation or a declined offer); several replicas may run one each, since a freed slot is taken off its
// queue in the transaction that offers it. The store and clock must outlive the worker.
class WaitlistWorker {
 public:
  WaitlistWorker(SchedulingStore& store, const Clock& clock, WaitlistWorkerOptions options = {});
  ~WaitlistWorker();
  WaitlistWorker(const WaitlistWorker&) = delete;
  WaitlistWorker& operator=(const WaitlistWorker&) = delete;

  void Start();
  void Stop();
  // Asks for a pass now (returns at once).
  void Wake();
  // One pass on the calling thread.
  absl::StatusOr<WaitlistPass> RunOnce();

 private:
  void Loop();

  SchedulingStore& store_;
  const Clock& clock_;
  WaitlistWorkerOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_API_WAITLIST_WORKER_H_
