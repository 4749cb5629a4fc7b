#ifndef TANDEM_COMMON_STATUS_SERVER_BUSY_H_
#define TANDEM_COMMON_STATUS_SERVER_BUSY_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tandem {

// RESOURCE_EXHAUSTED for a server whose worker queue is full, carrying a standard google.rpc.RetryInfo so
// clients (and the gateway, which answers 503 with Retry-After) can tell "busy, retry soon" from a rate limit
// or quota.
absl::Status ServerBusyError(absl::Duration retry_after = absl::Seconds(1));

}  // namespace tandem

#endif  // TANDEM_COMMON_STATUS_SERVER_BUSY_H_
