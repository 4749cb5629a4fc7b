#ifndef TANDEM_COMMON_AUTH_PRINCIPAL_H_
#define TANDEM_COMMON_AUTH_PRINCIPAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::auth {

// Roles a token may carry. A client's `sub` is their roster id; `service` is another Tandem service.
inline constexpr char kRoleAdmin[] = "admin";
inline constexpr char kRoleClinician[] = "clinician";
inline constexpr char kRoleFrontDesk[] = "front_desk";
// Clinic staff who help with accounts and delivery problems: a person with a clinic-scoped role, never a
// holder of a service token.
inline constexpr char kRoleSupport[] = "support";
inline constexpr char kRoleClient[] = "client";
inline constexpr char kRoleService[] = "service";

bool IsKnownRole(absl::string_view role);

// The `token_type` claim of an end-user assertion: a person's verified claims re-signed by the service acting
// for them (`act.sub` names that service), addressed to the one service it calls. It is never a bearer token:
// verifiers accept it only as the x-tandem-end-user of a call from the service that signed it. (A claim
// rather than the JOSE `typ` header, which libjwt 1.10 always writes as "JWT"; the key binding makes the two
// equivalent: only a service's own key may sign a token that carries it.)
inline constexpr char kTokenTypeClaim[] = "token_type";
inline constexpr char kAssertionTokenType[] = "tandem-end-user-assertion";

// Who is calling, as proven by a verified token. A service acting for a person carries that person's verified
// principal in `end_user`; authorization then asks about both.
struct Principal {
  std::string subject;
  std::string clinic_id;  // empty only for service identities, which act across clinics
  absl::flat_hash_set<std::string> roles;
  std::string token_id;  // `jti`, for revocation
  // `aud`: for a service token or an assertion, the one service it was issued for.
  std::vector<std::string> audiences;
  absl::Time expires_at;
  std::shared_ptr<const Principal> end_user;

  bool HasRole(absl::string_view role) const { return roles.contains(role); }
  bool IsService() const { return HasRole(kRoleService); }
};

// The person behind a call: the caller, or the person a service acts for (nullptr for a service acting
// alone).
inline const Principal* PersonBehind(const Principal& caller) {
  return caller.IsService() ? caller.end_user.get() : &caller;
}

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_PRINCIPAL_H_
