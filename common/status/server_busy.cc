#include "common/status/server_busy.h"

#include "absl/strings/cord.h"
#include "common/status/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace tandem {

absl::Status ServerBusyError(absl::Duration retry_after) {
  constexpr char kMessage[] = "server busy; retry later";
  google::rpc::RetryInfo retry_info;
  int64_t millis = absl::ToInt64Milliseconds(retry_after);
  retry_info.mutable_retry_delay()->set_seconds(millis / 1000);
  retry_info.mutable_retry_delay()->set_nanos(static_cast<int32_t>((millis % 1000) * 1000000));
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(absl::StatusCode::kResourceExhausted));
  rpc_status.set_message(kMessage);
  rpc_status.add_details()->PackFrom(retry_info);
  absl::Status status(absl::StatusCode::kResourceExhausted, kMessage);
  status.SetPayload(kRpcStatusPayloadUrl, absl::Cord(rpc_status.SerializeAsString()));
  return status;
}

}  // namespace tandem
