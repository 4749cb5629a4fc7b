#ifndef TANDEM_COMMON_GRPC_CLIENT_CHANNEL_H_
#define TANDEM_COMMON_GRPC_CLIENT_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/auth/service_token_source.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"

namespace tandem {

// A long-lived channel to another service, created once at start-up from a configured address and reused by
// every call (channels multiplex; creating one per call would pay a handshake each time).
std::shared_ptr<grpc::Channel> MakeServiceChannel(const std::string& target);

struct OutboundOptions {
  // Used when the inbound call has no deadline (or there is no inbound call); an inbound deadline always wins
  // when it is sooner, so a caller's budget is never exceeded downstream.
  absl::Duration default_timeout = absl::Seconds(5);
  // The called service's name ("reminders"): the audience of this service's token and of the end-user
  // assertion sent when acting for a person. Required (FAILED_PRECONDITION without it).
  std::string audience;
};

// Fills `out` for a call made while serving `inbound`, whose verified caller is `caller` (both nullptr for
// background work): the deadline derived from the inbound one, the same x-request-id (a new one for
// background work), the calling service's own bearer token, and, when acting for a person (the caller, or
// the end user a calling service named), an end-user assertion of that person's claims signed by this
// service for `options.audience` in x-tandem-end-user. The person's own token never travels on: each hop
// re-asserts.
absl::Status PrepareOutboundContext(grpc::ClientContext& out, const grpc::ServerContextBase* inbound,
                                    const auth::Principal* caller, auth::ServiceTokenSource& identity,
                                    const OutboundOptions& options = {});

}  // namespace tandem

#endif  // TANDEM_COMMON_GRPC_CLIENT_CHANNEL_H_
