#ifndef TANDEM_COMMON_TIME_UUID_H_
#define TANDEM_COMMON_TIME_UUID_H_

#include <string>

#include "common/time/clock.h"

namespace tandem {

// A UUIDv7 (RFC 9562) in canonical lower-case text: 48 bits of Unix milliseconds, then a 12-bit counter that
// keeps ids from one process strictly increasing within a millisecond, then 62 random bits. Ids therefore
// sort by creation time, which keeps B-tree inserts local and makes ids usable as page tokens.
std::string NewUuidV7(const Clock& clock = Clock::Real());

// True for a canonical 36-character UUID of any version.
bool IsUuid(absl::string_view text);

}  // namespace tandem

#endif  // TANDEM_COMMON_TIME_UUID_H_
