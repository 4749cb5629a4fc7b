#include "common/service/rpc_kit.h"

#include "common/grpc/call_context.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/status/field_violations.h"

namespace tandem::service {
namespace {

struct KitMetrics {
  metrics::CounterFamily& unauthenticated = metrics::Registry::Default().AddCounter(
      "tandem_rpc_unauthenticated_total", "Calls refused for a missing or invalid token, by service.",
      {"service"});
  metrics::CounterFamily& denied = metrics::Registry::Default().AddCounter(
      "tandem_rpc_denied_total",
      "Authenticated calls refused by the authorization rules, by service and rpc.", {"service", "rpc"});
  metrics::CounterFamily& audit_failures = metrics::Registry::Default().AddCounter(
      "tandem_audit_append_failures_total", "Audit rows that could not be written, by service.", {"service"});
};

KitMetrics& Metrics() {
  static KitMetrics* const kMetrics = new KitMetrics();
  return *kMetrics;
}

// The request id is safe by the time a handler runs (RequestIdInterceptor); re-checked so that a server built
// without the interceptor still never writes a hostile value into an audit row.
std::string SafeRequestId(const grpc::ServerContextBase& context) {
  std::string id = RequestIdOf(context);
  return IsSafeRequestId(id) ? id : std::string();
}

}  // namespace

// The audit row of one call under `rule` (nullptr: a method without a rule), before its outcome.
audit::AuditEntry EntryFor(const RpcRule* rule, const auth::Principal& caller, std::string clinic_id,
                           std::string request_id, absl::string_view outcome) {
  audit::AuditEntry entry;
  entry.clinic_id = std::move(clinic_id);
  entry.actor = caller.subject;
  entry.actor_role = rule == nullptr ? ActingRole(RpcRule{}, caller) : ActingRole(*rule, caller);
  if (caller.end_user != nullptr) entry.on_behalf_of = caller.end_user->subject;
  entry.action = rule == nullptr ? std::string("rpc.unknown") : rule->action;
  entry.resource_type = rule == nullptr ? std::string() : rule->resource_type;
  entry.request_id = std::move(request_id);
  entry.outcome = std::string(outcome);
  return entry;
}

const auth::Principal* Call::person() const { return auth::PersonBehind(caller_); }

audit::AuditEntry Call::SuccessEntry(absl::string_view resource_id, absl::string_view client_id) const {
  audit::AuditEntry entry = EntryFor(rule_, caller_, clinic_id_, request_id_, audit::kOutcomeOk);
  entry.resource_id = std::string(resource_id);
  entry.client_id = std::string(client_id);
  return entry;
}

absl::Status Call::AuditRead(absl::string_view resource_id, absl::string_view client_id) const {
  absl::StatusOr<std::string> appended = audit_->Append(SuccessEntry(resource_id, client_id));
  if (appended.ok()) return absl::OkStatus();
  log::Error("audit_append_failed",
             {{"request_id", request_id_}, {"code", absl::StatusCodeToString(appended.status().code())}});
  return absl::UnavailableError("the audit trail is unavailable; nothing was read");
}

absl::Status Call::AuditList(const std::vector<std::string>& resource_ids,
                             const std::vector<std::string>& client_ids) const {
  if (!client_ids.empty() && client_ids.size() != resource_ids.size()) {
    return absl::InternalError("AuditList: one client id per record, or none");
  }
  std::vector<audit::AuditEntry> entries;
  if (resource_ids.empty()) entries.push_back(SuccessEntry({}));
  for (size_t i = 0; i < resource_ids.size(); ++i) {
    entries.push_back(
        SuccessEntry(resource_ids[i], client_ids.empty() ? absl::string_view() : client_ids[i]));
  }
  absl::Status appended = audit_->AppendAll(entries);
  if (appended.ok()) return absl::OkStatus();
  log::Error("audit_append_failed",
             {{"request_id", request_id_}, {"code", absl::StatusCodeToString(appended.code())}});
  return absl::UnavailableError("the audit trail is unavailable; nothing was read");
}

absl::Status Call::Refuse(absl::Status refusal, absl::string_view resource_id) const {
  audit::AuditEntry entry = EntryFor(rule_, caller_, clinic_id_, request_id_, audit::kOutcomeDenied);
  entry.resource_id = std::string(resource_id);
  entry.reason = std::string(refusal.message());
  absl::StatusOr<std::string> appended = audit_->Append(entry);
  if (!appended.ok()) {
    log::Error("audit_append_failed",
               {{"request_id", request_id_}, {"code", absl::StatusCodeToString(appended.status().code())}});
  }
  return refusal;
}

Call RequestCredentialCall::Admit(std::string actor, std::string clinic_id) const {
  auth::Principal caller;
  caller.subject = std::move(actor);
  caller.clinic_id = clinic_id;
  return Call(std::move(caller), std::move(clinic_id), request_id_, *rule_, *audit_);
}

RpcKit::RpcKit(std::string service_name, AuthzTable table, const auth::JwtVerifier& verifier,
               const audit::AuditLog& audit, WorkerPool& workers)
    : service_name_(std::move(service_name)),
      table_(std::move(table)),
      verifier_(verifier),
      audit_(audit),
      workers_(workers) {}

RpcKit::Admission RpcKit::Admit(const grpc::ServerContextBase& context, absl::string_view method,
                                const std::string& clinic_id) const {
  absl::StatusOr<auth::Principal> caller = AuthenticateBearer(context, verifier_, service_name_);
  if (!caller.ok()) {
    Metrics().unauthenticated.WithLabels({service_name_}).Increment();
    return {caller.status(), std::nullopt};
  }
  // A person's valid token with an end-user assertion beside it is an authenticated caller refused (and
  // audited like any refusal); a bad assertion is as unauthenticated as a bad token.
  absl::Status attached = AttachEndUser(context, verifier_, service_name_, *caller);
  if (absl::IsUnauthenticated(attached)) {
    Metrics().unauthenticated.WithLabels({service_name_}).Increment();
    return {attached, std::nullopt};
  }
  const RpcRule* rule = table_.Find(method);
  absl::Status decision = !attached.ok() ? attached
                          : rule == nullptr
                              ? absl::PermissionDeniedError("this method has no authorization rule")
                              : CheckRule(*rule, *caller, clinic_id);
  std::string request_id = SafeRequestId(context);
  if (decision.ok()) return {Call(*std::move(caller), clinic_id, std::move(request_id), *rule, audit_), {}};

  Metrics()
      .denied.WithLabels({service_name_, rule == nullptr ? std::string("unknown") : std::string(method)})
      .Increment();
  audit::AuditEntry denial;
  // The trail of the clinic the request named when it is a well-formed id, else the caller's own.
  const auth::Principal* person = caller->IsService() ? caller->end_user.get() : &*caller;
  if (IsValidRef(clinic_id)) {
    denial.clinic_id = clinic_id;
  } else if (person != nullptr && IsValidRef(person->clinic_id)) {
    denial.clinic_id = person->clinic_id;
  }
  denial.actor = caller->subject;
  denial.actor_role = caller->IsService()     ? std::string(auth::kRoleService)
                      : caller->roles.empty() ? std::string()
                                              : *caller->roles.begin();
  if (caller->end_user != nullptr) denial.on_behalf_of = caller->end_user->subject;
  denial.action = rule == nullptr ? std::string("rpc.unknown") : rule->action;
  denial.resource_type = rule == nullptr ? std::string() : rule->resource_type;
  denial.request_id = std::move(request_id);
  denial.outcome = std::string(audit::kOutcomeDenied);
  denial.reason = std::string(decision.message());
  if (denial.clinic_id.empty()) return {decision, std::nullopt};  // nowhere to record it; still refused
  return {decision, std::move(denial)};
}

absl::StatusOr<RequestCredentialCall> RpcKit::AdmitRequestCredential(const grpc::ServerContextBase& context,
                                                                     absl::string_view method) const {
  const RpcRule* rule = table_.Find(method);
  if (rule == nullptr || !rule->credential_in_request) {
    Metrics()
        .denied.WithLabels({service_name_, rule == nullptr ? std::string("unknown") : std::string(method)})
        .Increment();
    return absl::PermissionDeniedError("this method does not take its credential in the request");
  }
  return RequestCredentialCall(SafeRequestId(context), *rule, audit_);
}

void RpcKit::RecordDenial(const audit::AuditEntry& denial) const {
  absl::StatusOr<std::string> appended = audit_.Append(denial);
  if (!appended.ok()) {
    // The call is refused either way; an unwritable denial row is counted and logged, not returned.
    Metrics().audit_failures.WithLabels({service_name_}).Increment();
    log::Error("audit_append_failed", {{"request_id", denial.request_id},
                                       {"code", absl::StatusCodeToString(appended.status().code())}});
  }
}

}  // namespace tandem::service
