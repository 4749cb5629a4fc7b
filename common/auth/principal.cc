#include "common/auth/principal.h"

namespace tandem::auth {

bool IsKnownRole(absl::string_view role) {
  return role == kRoleAdmin || role == kRoleClinician || role == kRoleFrontDesk || role == kRoleSupport ||
         role == kRoleClient || role == kRoleService;
}

}  // namespace tandem::auth
