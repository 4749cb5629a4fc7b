#ifndef TANDEM_COMMON_STATUS_GRPC_STATUS_H_
#define TANDEM_COMMON_STATUS_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace tandem {

// The one mapping between absl and gRPC status codes, written as explicit switches over every code so that a
// new code is a compile-time decision rather than a silent default.
grpc::StatusCode ToGrpcCode(absl::StatusCode code);
absl::StatusCode FromGrpcCode(grpc::StatusCode code);

// Converts an absl::Status to a grpc::Status. Rich details carried as a serialized google.rpc.Status payload
// (see field_violations.h) travel in `grpc-status-details-bin`, where standard clients find them.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Type URL under which the serialized google.rpc.Status is attached to an absl::Status as a payload.
inline constexpr char kRpcStatusPayloadUrl[] = "type.googleapis.com/google.rpc.Status";

}  // namespace tandem

#endif  // TANDEM_COMMON_STATUS_GRPC_STATUS_H_
