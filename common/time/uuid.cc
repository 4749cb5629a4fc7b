#include "common/time/uuid.h"

#include <array>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"

namespace tandem {
namespace {

struct Sequence {
  absl::Mutex mu;
  int64_t last_ms ABSL_GUARDED_BY(mu) = -1;
  uint32_t counter ABSL_GUARDED_BY(mu) = 0;
  absl::BitGen gen ABSL_GUARDED_BY(mu);
};

Sequence& GlobalSequence() {
  static Sequence* const kSequence = new Sequence();
  return *kSequence;
}

}  // namespace

std::string NewUuidV7(const Clock& clock) {
  int64_t ms = absl::ToUnixMillis(clock.Now());
  uint32_t counter;
  uint64_t random_bits;
  Sequence& seq = GlobalSequence();
  {
    absl::MutexLock lock(&seq.mu);
    if (ms <= seq.last_ms) {
      // Same (or an earlier, after a clock step back) millisecond: keep ids increasing.
      ms = seq.last_ms;
      if (++seq.counter > 0xFFF) {
        ++ms;
        seq.counter = 0;
      }
    } else {
      seq.counter = absl::Uniform<uint32_t>(seq.gen, 0, 0x800);  // leave headroom for the counter
    }
    seq.last_ms = ms;
    counter = seq.counter;
    random_bits = absl::Uniform<uint64_t>(seq.gen);
  }
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(static_cast<uint64_t>(ms) >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | ((counter >> 8) & 0x0F));
  b[7] = static_cast<uint8_t>(counter & 0xFF);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<uint8_t>(random_bits >> (56 - 8 * i));
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace tandem
