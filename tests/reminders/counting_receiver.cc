#include "tests/reminders/counting_receiver.h"

#include "absl/strings/ascii.h"
#include "services/reminders/channels/webhook_signature.h"

namespace tandem::reminders {

CountingReceiver::CountingReceiver(int fail_first, absl::Duration delay) {
  auto server = testing::TestHttpServer::Start(
      [this, fail_first, delay](const testing::TestHttpServer::Request& request) {
        return Answer(request, fail_first, delay);
      });
  server_ = *std::move(server);
}

testing::TestHttpServer::Response CountingReceiver::Answer(const testing::TestHttpServer::Request& request,
                                                           int fail_first, absl::Duration delay) {
  testing::TestHttpServer::Response response;
  response.delay = delay;
  absl::MutexLock lock(&mu_);
  auto header = request.headers.find(absl::AsciiStrToLower(kIdempotencyKeyHeader));
  const std::string key = header == request.headers.end() ? "" : header->second;
  ++by_key_[key];
  ++by_path_and_key_[request.target][key];
  ++total_;
  if (fail_first < 0 || total_ <= fail_first) response.status = 500;
  if (auto hold = to_answer_before_holding_.find(request.target); hold != to_answer_before_holding_.end()) {
    if (hold->second > 0) {
      --hold->second;
    } else {
      held_keys_.push_back(key);
      // Longer than any test; cut short when the server stops (an infinite wait_for would overflow).
      response.delay = absl::Hours(1);
    }
  }
  return response;
}

int CountingReceiver::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

std::map<std::string, int> CountingReceiver::by_key() const {
  absl::MutexLock lock(&mu_);
  return by_key_;
}

std::map<std::string, int> CountingReceiver::by_key(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  auto it = by_path_and_key_.find(path);
  return it == by_path_and_key_.end() ? std::map<std::string, int>() : it->second;
}

void CountingReceiver::HoldAfter(const std::string& path, int answered) {
  absl::MutexLock lock(&mu_);
  to_answer_before_holding_[path] = answered;
}

std::vector<std::string> CountingReceiver::held_keys() const {
  absl::MutexLock lock(&mu_);
  return held_keys_;
}

}  // namespace tandem::reminders
