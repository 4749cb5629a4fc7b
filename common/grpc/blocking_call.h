#ifndef TANDEM_COMMON_GRPC_BLOCKING_CALL_H_
#define TANDEM_COMMON_GRPC_BLOCKING_CALL_H_

#include <utility>

#include "absl/status/status.h"
#include "common/grpc/call_context.h"
#include "common/grpc/worker_pool.h"
#include "common/status/grpc_status.h"
#include "common/status/server_busy.h"
#include "grpcpp/support/server_callback.h"

namespace tandem {

// Runs `work` (returning absl::Status) on the worker pool and finishes the unary call with its result, so a
// callback handler never blocks a gRPC thread:
//
//   grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const GetRequest* req, Note* out)
//   override {
//     return RunBlocking(ctx, pool_, [=] { return store_.Get(*req, out); });
//   }
//
// A full queue answers RESOURCE_EXHAUSTED at once; a call cancelled or past its deadline while queued is not
// run.
template <typename Work>
grpc::ServerUnaryReactor* RunBlocking(grpc::CallbackServerContext* context, WorkerPool& pool, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool accepted = pool.TrySubmit([reactor, context, work = std::move(work)]() mutable {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled"));
      return;
    }
    if (context->deadline() <= std::chrono::system_clock::now()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued"));
      return;
    }
    absl::Status status = work();
    reactor->Finish(ToPublicStatus(status, RequestIdOf(*context)));
  });
  if (!accepted) {
    reactor->Finish(ToGrpcStatus(ServerBusyError()));
  }
  return reactor;
}

}  // namespace tandem

#endif  // TANDEM_COMMON_GRPC_BLOCKING_CALL_H_
