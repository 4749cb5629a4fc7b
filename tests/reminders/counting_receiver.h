#ifndef TANDEM_TESTS_REMINDERS_COUNTING_RECEIVER_H_
#define TANDEM_TESTS_REMINDERS_COUNTING_RECEIVER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/reminders/test_http_server.h"

namespace tandem::reminders {

// A webhook receiver that counts raw requests, in all and by their Tandem-Idempotency-Key. It fails the first
// `fail_first` requests with 500 (every request when negative) and answers each after `delay`, so sends can
// be kept in flight.
class CountingReceiver {
 public:
  explicit CountingReceiver(int fail_first = 0, absl::Duration delay = absl::ZeroDuration());

  std::string url() const { return server_->Url(); }
  int total() const;
  std::map<std::string, int> by_key() const;

 private:
  mutable absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> by_key_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<testing::TestHttpServer> server_;
};

// Polls `done` until it holds or `timeout` passes; returns its last value.
template <typename Predicate>
bool WaitFor(Predicate done, absl::Duration timeout = absl::Seconds(30)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

}  // namespace tandem::reminders

#endif  // TANDEM_TESTS_REMINDERS_COUNTING_RECEIVER_H_
