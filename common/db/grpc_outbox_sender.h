#ifndef TANDEM_COMMON_DB_GRPC_OUTBOX_SENDER_H_
#define TANDEM_COMMON_DB_GRPC_OUTBOX_SENDER_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/auth/service_token_source.h"
#include "common/db/outbox.h"
#include "common/db/outbox_relay.h"
#include "grpcpp/channel.h"

namespace tandem::db {

// The metadata key under which the receiver finds the message id, to drop a message delivered twice.
inline constexpr char kIdempotencyKeyHeader[] = "x-tandem-idempotency-key";

// Sends outbox messages as gRPC calls: row.payload is the serialized request of the method row.target, sent
// without being parsed through a generic stub on the channel configured for the target's service. Each call
// authenticates as this service alone (background work acts for no end user), carries the message id as
// x-request-id and as the idempotency key, and has a deadline. Thread-safe.
class GrpcOutboxSender final : public OutboxSender {
 public:
  // Where one service is reached: its channel (see MakeServiceChannel) and its name ("reminders"), the
  // audience of the service token sent to it.
  struct Target {
    std::shared_ptr<grpc::Channel> channel;
    std::string audience;
  };
  // `targets` is keyed by a service's full name ("tandem.reminders.v1.ReminderService"). `identity` must
  // outlive the sender. `timeout` must stay below the relay's min_lease_left.
  GrpcOutboxSender(absl::flat_hash_map<std::string, Target> targets, auth::ServiceTokenSource& identity,
                   absl::Duration timeout = absl::Seconds(10));

  // The receiver's status. A target whose service has no channel is UNAVAILABLE (kept and retried until the
  // configuration names one, rather than dropped); a token that cannot be minted keeps its own code.
  absl::Status Send(const OutboxRow& row) override;

 private:
  absl::flat_hash_map<std::string, Target> targets_;
  auth::ServiceTokenSource& identity_;
  absl::Duration timeout_;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_GRPC_OUTBOX_SENDER_H_
