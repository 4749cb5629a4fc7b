#include "tests/reminders/counting_receiver.h"

#include "absl/strings/ascii.h"
#include "services/reminders/channels/webhook_signature.h"

namespace tandem::reminders {

CountingReceiver::CountingReceiver(int fail_first, absl::Duration delay) {
  auto server = testing::TestHttpServer::Start(
      [this, fail_first, delay](const testing::TestHttpServer::Request& request) {
        testing::TestHttpServer::Response response;
        response.delay = delay;
        absl::MutexLock lock(&mu_);
        auto key = request.headers.find(absl::AsciiStrToLower(kIdempotencyKeyHeader));
        ++by_key_[key == request.headers.end() ? "" : key->second];
        ++total_;
        if (fail_first < 0 || total_ <= fail_first) response.status = 500;
        return response;
      });
  server_ = *std::move(server);
}

int CountingReceiver::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

std::map<std::string, int> CountingReceiver::by_key() const {
  absl::MutexLock lock(&mu_);
  return by_key_;
}

}  // namespace tandem::reminders
