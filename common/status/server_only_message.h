#ifndef TANDEM_COMMON_STATUS_SERVER_ONLY_MESSAGE_H_
#define TANDEM_COMMON_STATUS_SERVER_ONLY_MESSAGE_H_

#include <string>

#include "absl/status/status.h"

namespace tandem {

// Some statuses carry a message written for the operator, not the caller: a database's report names its
// SQLSTATE, tables, constraints and columns. Such a status is marked (a payload that never leaves the
// process); at the gRPC boundary ToPublicStatus logs the message and answers with PublicMessageFor(code).
absl::Status MarkServerOnlyMessage(absl::Status status);
bool HasServerOnlyMessage(const absl::Status& status);

// A message written for the caller that says what the code means for them ("the record already exists"),
// naming nothing of how the server stores it.
std::string PublicMessageFor(absl::StatusCode code);

}  // namespace tandem

#endif  // TANDEM_COMMON_STATUS_SERVER_ONLY_MESSAGE_H_
