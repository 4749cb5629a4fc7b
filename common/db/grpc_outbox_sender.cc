#include "common/db/grpc_outbox_sender.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/grpc/call_context.h"
#include "common/status/grpc_status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "grpcpp/support/stub_options.h"

namespace tandem::db {

GrpcOutboxSender::GrpcOutboxSender(absl::flat_hash_map<std::string, Target> targets,
                                   auth::ServiceTokenSource& identity, absl::Duration timeout)
    : targets_(std::move(targets)), identity_(identity), timeout_(timeout) {}

absl::Status GrpcOutboxSender::Send(const OutboxRow& row) {
  absl::StatusOr<std::string> service = OutboxTargetService(row.target);
  if (!service.ok()) return service.status();
  auto target = targets_.find(*service);
  // Local faults are never permanent errors: a message must not be settled as failed because this process
  // is misconfigured.
  if (target == targets_.end()) {
    return absl::UnavailableError(absl::StrCat("no channel configured for service ", *service));
  }
  absl::StatusOr<std::string> token = identity_.Token(target->second.audience);
  if (!token.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot mint the service token: ", token.status().message()));
  }

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  context.AddMetadata(kAuthorizationHeader, absl::StrCat("Bearer ", *token));
  context.AddMetadata(kRequestIdHeader, row.id);
  context.AddMetadata(kIdempotencyKeyHeader, row.id);
  grpc::Slice slice(row.payload);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::GenericStub stub(target->second.channel);
  absl::Notification done;
  grpc::Status status;
  // The relay's own thread waits here: it has nothing else to do until the receiver answers.
  stub.UnaryCall(&context, row.target, grpc::StubOptions(), &request, &response, [&](grpc::Status result) {
    status = std::move(result);
    done.Notify();
  });
  done.WaitForNotification();
  return FromGrpcStatus(status);
}

}  // namespace tandem::db
