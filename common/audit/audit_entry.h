#ifndef TANDEM_COMMON_AUDIT_AUDIT_ENTRY_H_
#define TANDEM_COMMON_AUDIT_AUDIT_ENTRY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::audit {

inline constexpr absl::string_view kOutcomeOk = "ok";
inline constexpr absl::string_view kOutcomeDenied = "denied";
inline constexpr absl::string_view kOutcomeError = "error";

// One audited event: who (actor, acting for on_behalf_of) did what (action) to which record, for which
// client, when, in which request, and how it ended. Ids and codes only: never clinical text, names or tokens.
struct AuditEntry {
  std::string id;            // UUIDv7, assigned by AuditLog::Append; ignored on input.
  std::string clinic_id;     // Required: the tenant.
  std::string actor;         // Required: the `sub` of the caller (a user or a service).
  std::string actor_role;    // The role the actor acted in ("clinician", "service", ...).
  std::string on_behalf_of;  // The end user when a service acts for one.
  std::string action;        // Required: "note.read", "note.sign", "access.denied", ...
  std::string resource_type;
  std::string resource_id;
  std::string client_id;   // Whose record it is.
  std::string request_id;  // x-request-id, to join with access logs.
  std::string outcome;     // Required: kOutcomeOk, kOutcomeDenied or kOutcomeError.
  std::string reason;      // E.g. the stated break-the-glass reason. Never clinical text.
  absl::Time occurred_at;  // Stamped by AuditLog::Append from its clock; ignored on input.

  friend bool operator==(const AuditEntry& a, const AuditEntry& b) {
    return a.id == b.id && a.clinic_id == b.clinic_id && a.actor == b.actor && a.actor_role == b.actor_role &&
           a.on_behalf_of == b.on_behalf_of && a.action == b.action && a.resource_type == b.resource_type &&
           a.resource_id == b.resource_id && a.client_id == b.client_id && a.request_id == b.request_id &&
           a.outcome == b.outcome && a.reason == b.reason && a.occurred_at == b.occurred_at;
  }
};

}  // namespace tandem::audit

#endif  // TANDEM_COMMON_AUDIT_AUDIT_ENTRY_H_
