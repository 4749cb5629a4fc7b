#ifndef TANDEM_SERVICES_GATEWAY_HTTP_ERRORS_H_
#define TANDEM_SERVICES_GATEWAY_HTTP_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/types/optional.h"
#include "grpcpp/support/status.h"

namespace tandem::gateway {

// The one mapping from gRPC codes to HTTP statuses (DESIGN.md, Errors), as an explicit switch over every
// code: INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS and
// FAILED_PRECONDITION 409, ABORTED 412, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, DEADLINE_EXCEEDED 504,
// anything else 500 (and OK 200).
int HttpStatusFor(grpc::StatusCode code);

// A backend that refuses work because its worker pool is full answers RESOURCE_EXHAUSTED; that is the
// server's overload, not the client's quota, so it becomes 503 with Retry-After. It is recognised by a
// google.rpc.RetryInfo in the status details (the preferred signal) or, until every server sends one, by the
// exact message of common/grpc/blocking_call.h ("server busy; retry later"). Any other RESOURCE_EXHAUSTED
// from a backend stays 429.
bool IsServerBusy(const grpc::Status& status);

// HttpStatusFor(code), refined by IsServerBusy.
int HttpStatusFor(const grpc::Status& status);

// Seconds for a Retry-After header: RetryInfo's delay rounded up (at least 1), or 1 for a busy server without
// one; nullopt when the status says nothing about retrying.
absl::optional<int> RetryAfterSeconds(const grpc::Status& status);

// The JSON error body for a backend's status:
//   {"code": 3, "status": "INVALID_ARGUMENT", "message": "...",
//    "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
//                 "fieldViolations": [{"field": "...", "description": "..."}]}]}
// Details are decoded from grpc-status-details-bin (a serialized google.rpc.Status); BadRequest, RetryInfo,
// ErrorInfo, ResourceInfo and PreconditionFailure are rendered field by field as the service wrote them
// (proto3 JSON names), other detail types are left out. For codes a transport or a crash can produce
// (UNKNOWN, INTERNAL, DATA_LOSS, UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED) the backend's message may name
// hosts or internals, so a fixed message replaces it, except the "internal error; quote request id ..."
// message that services send on purpose.
std::string ErrorBody(const grpc::Status& status);

// The same body for an error made by the gateway itself; its message is kept as written.
std::string ErrorBody(const absl::Status& status);

// Everything a handler needs to answer with an error.
struct HttpError {
  int http_status = 500;
  std::string body;                         // application/json
  absl::optional<int> retry_after_seconds;  // set: send Retry-After
};
HttpError ToHttpError(const grpc::Status& status);
// Gateway-made errors map by code only (a RESOURCE_EXHAUSTED from the gateway's rate limiter is 429); a
// RetryInfo payload still sets Retry-After.
HttpError ToHttpError(const absl::Status& status);

// "INVALID_ARGUMENT", ... for a code.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_HTTP_ERRORS_H_
