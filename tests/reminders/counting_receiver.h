#ifndef TANDEM_TESTS_REMINDERS_COUNTING_RECEIVER_H_
#define TANDEM_TESTS_REMINDERS_COUNTING_RECEIVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/reminders/test_http_server.h"

namespace tandem::reminders {

// A webhook receiver that counts raw requests, in all and by their Tandem-Idempotency-Key, also per URL path,
// so senders given distinct paths can be told apart. It fails the first `fail_first` requests with 500 (every
// request when negative) and answers each after `delay`, so sends can be kept in flight.
class CountingReceiver {
 public:
  explicit CountingReceiver(int fail_first = 0, absl::Duration delay = absl::ZeroDuration());

  std::string url() const { return server_->Url(); }
  // The URL of `path` (e.g. "/hook/a") on this receiver.
  std::string url(const std::string& path) const { return server_->Url(path); }
  int total() const;
  std::map<std::string, int> by_key() const;
  // Requests to `path` only.
  std::map<std::string, int> by_key(const std::string& path) const;

  // Answers the first `answered` requests to `path` (from now on) and holds every later one open, unanswered,
  // until the receiver is destroyed: the sender stays mid-send for as long as it waits.
  void HoldAfter(const std::string& path, int answered);
  // The keys of the requests held open, in arrival order.
  std::vector<std::string> held_keys() const;

 private:
  testing::TestHttpServer::Response Answer(const testing::TestHttpServer::Request& request, int fail_first,
                                           absl::Duration delay);

  mutable absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> by_key_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, int>> by_path_and_key_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> to_answer_before_holding_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> held_keys_ ABSL_GUARDED_BY(mu_);
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
