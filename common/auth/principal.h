#ifndef TANDEM_COMMON_AUTH_PRINCIPAL_H_
#define TANDEM_COMMON_AUTH_PRINCIPAL_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::auth {

// Roles a token may carry. A client's `sub` is their roster id; `service` is another Tandem service.
inline constexpr char kRoleAdmin[] = "admin";
inline constexpr char kRoleClinician[] = "clinician";
inline constexpr char kRoleFrontDesk[] = "front_desk";
inline constexpr char kRoleClient[] = "client";
inline constexpr char kRoleService[] = "service";

bool IsKnownRole(absl::string_view role);

// Who is calling, as proven by a verified token. A service acting for a person carries that person's verified
// principal in `end_user`; authorization then asks about both.
struct Principal {
  std::string subject;
  std::string clinic_id;  // empty only for service identities, which act across clinics
  absl::flat_hash_set<std::string> roles;
  std::string token_id;  // `jti`, for revocation
  absl::Time expires_at;
  std::shared_ptr<const Principal> end_user;

  bool HasRole(absl::string_view role) const { return roles.contains(role); }
  bool IsService() const { return HasRole(kRoleService); }
};

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_PRINCIPAL_H_
