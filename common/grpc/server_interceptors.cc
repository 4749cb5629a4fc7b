#include "common/grpc/server_interceptors.h"

#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/grpc/call_context.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/status/grpc_status.h"
#include "common/time/uuid.h"
#include "grpcpp/generic/async_generic_service.h"

namespace tandem {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::Interceptor;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

class RequestIdInterceptor final : public Interceptor {
 public:
  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      // Exactly one safe id is kept; otherwise every copy goes (a second copy must not slip past the check
      // into logs and audit rows) and a fresh id takes their place.
      auto [first, last] = metadata->equal_range(kRequestIdHeader);
      if (first != last && std::next(first) == last &&
          IsSafeRequestId(absl::string_view(first->second.data(), first->second.size()))) {
        request_id_.assign(first->second.data(), first->second.size());
      } else {
        metadata->erase(first, last);
        request_id_ = NewUuidV7();
        // The string_refs point at this interceptor's storage, which lives as long as the call.
        metadata->emplace(grpc::string_ref(kRequestIdHeader), grpc::string_ref(request_id_));
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA) &&
        !request_id_.empty()) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdHeader, request_id_);
    }
    methods->Proceed();
  }

 private:
  std::string request_id_;
};

struct RequestMetrics {
  metrics::CounterFamily& requests = metrics::Registry::Default().AddCounter(
      "tandem_grpc_requests_total", "gRPC calls handled, by method and status code.", {"rpc", "code"});
  metrics::HistogramFamily& latency = metrics::Registry::Default().AddHistogram(
      "tandem_grpc_request_duration_seconds", "gRPC call latency, by method.", {"rpc"});
};

RequestMetrics& Metrics() {
  static RequestMetrics* const kMetrics = new RequestMetrics();
  return *kMetrics;
}

// The rpc label and log field. A method that no service registered reaches gRPC's generic handler (which
// answers UNIMPLEMENTED), and its name there is the caller's :path: any text, as many distinct values as a
// caller cares to send. Reported as one name, it cannot grow the metrics or carry a caller's text into the
// logs.
std::string RpcName(ServerRpcInfo& info) {
  const grpc::ServerContextBase* context = info.server_context();
  if (dynamic_cast<const grpc::GenericCallbackServerContext*>(context) != nullptr ||
      dynamic_cast<const grpc::GenericServerContext*>(context) != nullptr) {
    return std::string(kUnknownRpc);
  }
  return info.method();
}

class TelemetryInterceptor final : public Interceptor {
 public:
  explicit TelemetryInterceptor(ServerRpcInfo* info) : info_(info), start_(absl::Now()) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Record(const grpc::Status& status) {
    const std::string rpc = RpcName(*info_);
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    const std::string code = absl::StatusCodeToString(FromGrpcCode(status.error_code()));
    Metrics().requests.WithLabels({rpc, code}).Increment();
    Metrics().latency.WithLabels({rpc}).Observe(seconds);
    nlohmann::json fields = {{"request_id", RequestIdOf(*info_->server_context())},
                             {"rpc", rpc},
                             {"code", code},
                             {"latency_ms", seconds * 1000.0}};
    // Health probes arrive every few seconds; keep them out of the info stream.
    if (absl::StartsWith(rpc, "/grpc.health.v1.")) {
      log::Debug("rpc", std::move(fields));
    } else {
      log::Info("rpc", std::move(fields));
    }
  }

  ServerRpcInfo* info_;
  absl::Time start_;
};

}  // namespace

Interceptor* RequestIdInterceptorFactory::CreateServerInterceptor(ServerRpcInfo* /*info*/) {
  return new RequestIdInterceptor();
}

Interceptor* TelemetryInterceptorFactory::CreateServerInterceptor(ServerRpcInfo* info) {
  return new TelemetryInterceptor(info);
}

}  // namespace tandem
