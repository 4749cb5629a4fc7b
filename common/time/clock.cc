#include "common/time/clock.h"

#include "absl/time/clock.h"

namespace tandem {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock& Clock::Real() {
  static RealClock* const kClock = new RealClock();
  return *kClock;
}

}  // namespace tandem
