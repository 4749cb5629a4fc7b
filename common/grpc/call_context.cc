#include "common/grpc/call_context.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/log/log.h"
#include "common/status/grpc_status.h"
#include "common/status/server_only_message.h"

namespace tandem {
namespace {

absl::string_view HeaderOf(const grpc::ServerContextBase& context, absl::string_view name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

}  // namespace

bool IsSafeRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  return std::string(HeaderOf(context, kRequestIdHeader));
}

absl::string_view BearerTokenOf(const grpc::ServerContextBase& context) {
  absl::string_view value = HeaderOf(context, kAuthorizationHeader);
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(value, kScheme)) return {};
  return absl::StripAsciiWhitespace(value.substr(kScheme.size()));
}

absl::StatusOr<auth::Principal> AuthenticateBearer(const grpc::ServerContextBase& context,
                                                   const auth::JwtVerifier& verifier,
                                                   absl::string_view service_name) {
  absl::string_view token = BearerTokenOf(context);
  if (token.empty()) return absl::UnauthenticatedError("missing bearer token");
  absl::StatusOr<auth::Principal> principal = verifier.Verify(token);
  if (!principal.ok()) return principal.status();
  // A service's token is good at the one service it names, so a service that receives it cannot replay it.
  if (principal->IsService() && std::find(principal->audiences.begin(), principal->audiences.end(),
                                          service_name) == principal->audiences.end()) {
    return absl::UnauthenticatedError("invalid token: issued for another service");
  }
  return principal;
}

absl::Status AttachEndUser(const grpc::ServerContextBase& context, const auth::JwtVerifier& verifier,
                           absl::string_view service_name, auth::Principal& principal) {
  absl::string_view end_user_token = HeaderOf(context, kEndUserHeader);
  if (end_user_token.empty()) return absl::OkStatus();
  if (!principal.IsService()) {
    return absl::PermissionDeniedError("only services may act on behalf of an end user");
  }
  absl::StatusOr<auth::Principal> end_user =
      verifier.VerifyAssertion(end_user_token, principal.subject, service_name);
  if (!end_user.ok()) return absl::UnauthenticatedError("invalid end-user assertion");
  principal.end_user = std::make_shared<const auth::Principal>(*std::move(end_user));
  return absl::OkStatus();
}

absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContextBase& context,
                                             const auth::JwtVerifier& verifier,
                                             absl::string_view service_name) {
  absl::StatusOr<auth::Principal> principal = AuthenticateBearer(context, verifier, service_name);
  if (!principal.ok()) return principal;
  absl::Status attached = AttachEndUser(context, verifier, service_name, *principal);
  if (!attached.ok()) return attached;
  return principal;
}

grpc::Status ToPublicStatus(const absl::Status& status, absl::string_view request_id) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      log::Error("internal_error", {{"request_id", std::string(request_id)},
                                    {"code", absl::StatusCodeToString(status.code())},
                                    {"cause", std::string(status.message())}});
      return grpc::Status(ToGrpcCode(status.code()),
                          "internal error; quote request id " + std::string(request_id) + " to support");
    default:
      break;
  }
  if (HasServerOnlyMessage(status)) {
    // A database's report (SQLSTATE, constraint, table, column) is for the operator; the caller learns what
    // the code means for them.
    log::Warn("server_only_error", {{"request_id", std::string(request_id)},
                                    {"code", absl::StatusCodeToString(status.code())},
                                    {"cause", std::string(status.message())}});
    return grpc::Status(ToGrpcCode(status.code()), PublicMessageFor(status.code()));
  }
  return ToGrpcStatus(status);
}

}  // namespace tandem
