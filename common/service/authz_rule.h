#ifndef TANDEM_COMMON_SERVICE_AUTHZ_RULE_H_
#define TANDEM_COMMON_SERVICE_AUTHZ_RULE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth/principal.h"
#include "google/protobuf/descriptor.h"

namespace tandem::service {

// Who may call one RPC, and how its calls are audited. Deny by default: a rule that names nobody admits
// nobody, and "any authenticated caller" cannot be written.
struct RpcRule {
  // Roles of people calling directly (through the gateway); they act only in their own clinic.
  std::vector<std::string> roles;
  // Subjects of the Tandem services that may call it (internal RPCs), e.g. {"scheduling", "homework"}.
  std::vector<std::string> services;
  // When a listed service acts for a person, the roles that person may hold; empty means `roles`. A service
  // acting for someone whose role is in neither is refused, as is one acting for another clinic's person.
  std::vector<std::string> on_behalf_of;
  // The audit action of a call ("reminder.schedule") and the type of record it touches ("reminder").
  std::string action;
  std::string resource_type;
  // The RPC's credential is a field of its request (a feed token in a calendar app's URL), which the handler
  // verifies itself: it is served by RpcKit::UnaryWithRequestCredential, and a bearer token neither admits
  // nor is needed. Such a rule names no roles and no services, and only such a rule may name nobody; the rule
  // still gives the calls their audit action and resource type.
  bool credential_in_request = false;
};

// The pure decision for one call: OK when `caller` may call an RPC under `rule` for a record of `clinic_id`;
// PERMISSION_DENIED with a short reason when the caller's role or subject is not admitted; NOT_FOUND when a
// person (or the person a service acts for) belongs to another clinic, so that another clinic's records are
// indistinguishable from absent ones.
absl::Status CheckRule(const RpcRule& rule, const auth::Principal& caller, absl::string_view clinic_id);

// The role recorded in the audit trail for an admitted caller: "service", or the first of the person's roles
// the rule admits.
std::string ActingRole(const RpcRule& rule, const auth::Principal& caller);

// One service's rules, by method name ("ScheduleReminder"). Validate() proves that every method of the
// service has a rule that admits someone (or is marked credential_in_request, naming nobody) and has an
// action, and that no rule names a method the service does not have, so a new RPC cannot ship without a
// decision about who may call it.
class AuthzTable {
 public:
  // `service_full_name` as generated: v1::ReminderService::service_full_name().
  AuthzTable(absl::string_view service_full_name, absl::flat_hash_map<std::string, RpcRule> rules);

  absl::Status Validate() const;
  // nullptr for a method without a rule (refused).
  const RpcRule* Find(absl::string_view method) const;
  const std::string& service_name() const { return service_name_; }

 private:
  std::string service_name_;
  const google::protobuf::ServiceDescriptor* service_;  // nullptr when the name is unknown
  absl::flat_hash_map<std::string, RpcRule> rules_;
};

}  // namespace tandem::service

#endif  // TANDEM_COMMON_SERVICE_AUTHZ_RULE_H_
