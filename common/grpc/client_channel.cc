#include "common/grpc/client_channel.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "common/grpc/call_context.h"
#include "common/time/uuid.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace tandem {

std::shared_ptr<grpc::Channel> MakeServiceChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Plaintext inside the cluster: the service mesh encrypts; every call still carries a signed token.
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

absl::Status PrepareOutboundContext(grpc::ClientContext& out, const grpc::ServerContextBase* inbound,
                                    const auth::Principal* caller, auth::ServiceTokenSource& identity,
                                    const OutboundOptions& options) {
  auto deadline = absl::ToChronoTime(absl::Now() + options.default_timeout);
  std::string request_id;
  std::string end_user_token;
  if (inbound != nullptr) {
    deadline = std::min(deadline, inbound->deadline());
    request_id = RequestIdOf(*inbound);
  }
  const auth::Principal* person = caller == nullptr ? nullptr : auth::PersonBehind(*caller);
  if (person != nullptr) {
    absl::StatusOr<std::string> assertion = identity.Assert(*person, options.audience);
    if (!assertion.ok()) return assertion.status();
    end_user_token = *std::move(assertion);
  }
  if (request_id.empty()) request_id = NewUuidV7();
  absl::StatusOr<std::string> token = identity.Token(options.audience);
  if (!token.ok()) return token.status();
  out.set_deadline(deadline);
  out.AddMetadata(kRequestIdHeader, request_id);
  out.AddMetadata(kAuthorizationHeader, "Bearer " + *token);
  if (!end_user_token.empty()) out.AddMetadata(kEndUserHeader, end_user_token);
  return absl::OkStatus();
}

}  // namespace tandem
