#ifndef TANDEM_COMMON_TIME_TIME_ZONE_H_
#define TANDEM_COMMON_TIME_TIME_ZONE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem {

// Loads an IANA zone ("Europe/Berlin"). Fails with INVALID_ARGUMENT for a malformed or unknown name, and with
// FAILED_PRECONDITION naming the missing tzdata package when the zone database itself is absent, so an
// operator sees the real cause instead of every local time silently becoming UTC.
absl::StatusOr<absl::TimeZone> LoadTimeZone(absl::string_view name);

}  // namespace tandem

#endif  // TANDEM_COMMON_TIME_TIME_ZONE_H_
