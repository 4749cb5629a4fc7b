#ifndef TANDEM_COMMON_GRPC_SERVER_INTERCEPTORS_H_
#define TANDEM_COMMON_GRPC_SERVER_INTERCEPTORS_H_

#include "grpcpp/support/server_interceptor.h"

namespace tandem {

// Ensures every inbound call has a safe `x-request-id` (keeps the caller's when it is safe, otherwise
// generates a UUIDv7), makes it visible to the handler through client metadata and echoes it in the response
// headers.
class RequestIdInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override;
};

// The rpc name that metrics and access logs give a call to a method this server does not register.
inline constexpr char kUnknownRpc[] = "unknown";

// One structured access-log line and the request metrics (count by rpc and code, latency histogram) per call.
// The line carries request id, rpc, code and latency: never request bodies, which may hold clinical text.
class TelemetryInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace tandem

#endif  // TANDEM_COMMON_GRPC_SERVER_INTERCEPTORS_H_
