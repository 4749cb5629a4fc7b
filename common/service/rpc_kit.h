#ifndef TANDEM_COMMON_SERVICE_RPC_KIT_H_
#define TANDEM_COMMON_SERVICE_RPC_KIT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/audit/audit_entry.h"
#include "common/audit/audit_log.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/principal.h"
#include "common/grpc/blocking_call.h"
#include "common/grpc/worker_pool.h"
#include "common/service/authz_rule.h"
#include "grpcpp/support/server_callback.h"

namespace tandem::service {

// One admitted call: who is calling, for which clinic, under which rule. Handlers build the audit row of
// their success from it; the store appends that row inside the transaction of the write it records.
class Call {
 public:
  Call(auth::Principal caller, std::string clinic_id, std::string request_id, const RpcRule& rule,
       const audit::AuditLog& audit)
      : caller_(std::move(caller)),
        clinic_id_(std::move(clinic_id)),
        request_id_(std::move(request_id)),
        rule_(&rule),
        audit_(&audit) {}

  const auth::Principal& caller() const { return caller_; }
  // The person behind the call: the caller, or the end user a service acts for (nullptr for background work).
  const auth::Principal* person() const;
  const std::string& clinic_id() const { return clinic_id_; }
  const std::string& request_id() const { return request_id_; }

  // The audit row of this call's success on `resource_id` (of the rule's resource type), owned by
  // `client_id` when the record is a client's.
  audit::AuditEntry SuccessEntry(absl::string_view resource_id, absl::string_view client_id = {}) const;

  // For reads, which have no write transaction to join: appends the success row in a transaction of its own.
  // A read whose row cannot be written must not be answered, so the error (UNAVAILABLE) is the call's.
  absl::Status AuditRead(absl::string_view resource_id, absl::string_view client_id = {}) const;

  // For a listing or an export: one row per record it returned, so that the trail says who saw each record,
  // all in one transaction (one row without a record when it returned none). `client_ids`, when given, are
  // the owners of `resource_ids`, index by index. UNAVAILABLE, as for AuditRead, when they cannot be written.
  absl::Status AuditList(const std::vector<std::string>& resource_ids,
                         const std::vector<std::string>& client_ids = {}) const;

  // For a refusal the table cannot decide (a clinician writing another clinician's calendar, a client asking
  // for another client's record): appends a `denied` row naming `resource_id` with the refusal's message as
  // its reason, and returns `refusal` (PERMISSION_DENIED, or NOT_FOUND where existence must not show). The
  // call is refused even when the row cannot be written.
  absl::Status Refuse(absl::Status refusal, absl::string_view resource_id = {}) const;

 private:
  auth::Principal caller_;
  std::string clinic_id_;
  std::string request_id_;
  const RpcRule* rule_;
  const audit::AuditLog* audit_;
};

// A call to a method whose credential is a field of its request (RpcRule::credential_in_request), before the
// handler has verified that credential. The handler looks the credential up and, when it is good, admits the
// call as whom the credential names; a bad one is answered without an audit row, as a bad bearer token is.
class RequestCredentialCall {
 public:
  RequestCredentialCall(std::string request_id, const RpcRule& rule, const audit::AuditLog& audit)
      : request_id_(std::move(request_id)), rule_(&rule), audit_(&audit) {}

  const std::string& request_id() const { return request_id_; }

  // The call as `actor` (a name for the credential, such as "calendar-feed/<feed_id>", never the secret
  // itself) in `clinic_id`, for the audit rows of its success under the method's rule.
  Call Admit(std::string actor, std::string clinic_id) const;

 private:
  std::string request_id_;
  const RpcRule* rule_;
  const audit::AuditLog* audit_;
};

// What every handler of a service shares: authentication, the service's authorization table (deny by
// default), the audit of denials, and running the work on the worker pool.
//
//   grpc::ServerUnaryReactor* GetReminder(grpc::CallbackServerContext* ctx, const GetReminderRequest* req,
//                                         Reminder* out) override {
//     return kit_.Unary(ctx, "GetReminder", req->clinic_id(), [=](const service::Call& call) {
//       ... read ...; RETURN_IF_ERROR(call.AuditRead(id)); ...
//     });
//   }
//
// The token is verified and the rule checked on the gRPC thread (verification is cached), so a call without a
// valid token costs no worker and no database write: it is counted in tandem_rpc_unauthenticated_total and
// answered at once. A denied authenticated caller is written to the audit trail (on the worker pool) and
// answered PERMISSION_DENIED, or NOT_FOUND for another clinic's records.
class RpcKit {
 public:
  RpcKit(std::string service_name, AuthzTable table, const auth::JwtVerifier& verifier,
         const audit::AuditLog& audit, WorkerPool& workers);

  // FAILED_PRECONDITION unless every method of the service has a rule (see AuthzTable::Validate).
  absl::Status Validate() const { return table_.Validate(); }
  const AuthzTable& table() const { return table_; }

  // Runs `work(const Call&)`, returning absl::Status, on the worker pool once the caller is admitted.
  template <typename Work>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, absl::string_view method,
                                  const std::string& clinic_id, Work work) const {
    Admission admission = Admit(*context, method, clinic_id);
    if (!admission.call.ok() && !admission.denial.has_value()) {
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      reactor->Finish(ToPublicStatus(admission.call.status(), RequestIdOf(*context)));
      return reactor;
    }
    return RunBlocking(
        context, workers_,
        [this, admission = std::move(admission), work = std::move(work)]() mutable -> absl::Status {
          if (!admission.call.ok()) {
            RecordDenial(*admission.denial);
            return admission.call.status();
          }
          return work(*admission.call);
        });
  }

  // For handlers that wait on other services (see FanOut in service_client.h): once the caller is admitted,
  // `work(std::shared_ptr<const Call>, Finish finish)` runs on the gRPC thread and must call `finish(status)`
  // exactly once, from any thread, so that no thread waits while downstream services answer. Callbacks keep
  // the Call alive by holding the pointer. Blocking work (SQL, an audit row) does not belong here or in the
  // callbacks, which run on gRPC threads: hand it to the worker pool, or use Unary.
  using Finish = std::function<void(absl::Status)>;
  template <typename Work>
  grpc::ServerUnaryReactor* UnaryAsync(grpc::CallbackServerContext* context, absl::string_view method,
                                       const std::string& clinic_id, Work work) const {
    Admission admission = Admit(*context, method, clinic_id);
    if (!admission.call.ok() && admission.denial.has_value()) {
      // The denial's audit row is a database write: the worker pool, as for Unary.
      return RunBlocking(context, workers_, [this, admission = std::move(admission)]() -> absl::Status {
        RecordDenial(*admission.denial);
        return admission.call.status();
      });
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!admission.call.ok()) {
      reactor->Finish(ToPublicStatus(admission.call.status(), RequestIdOf(*context)));
      return reactor;
    }
    work(std::make_shared<const Call>(*std::move(admission.call)),
         [reactor, request_id = RequestIdOf(*context)](const absl::Status& status) {
           reactor->Finish(ToPublicStatus(status, request_id));
         });
    return reactor;
  }

  // For a method whose rule is marked credential_in_request (a calendar feed fetched by the token in its
  // URL): no bearer authentication (a bearer token sent anyway is ignored), and `work(const
  // RequestCredentialCall&)`, returning absl::Status, runs on the worker pool; it verifies the request's
  // credential and admits the call itself. A method whose rule is not so marked is refused PERMISSION_DENIED,
  // so that no handler of a bearer-token method can skip authentication by calling this by mistake.
  template <typename Work>
  grpc::ServerUnaryReactor* UnaryWithRequestCredential(grpc::CallbackServerContext* context,
                                                       absl::string_view method, Work work) const {
    absl::StatusOr<RequestCredentialCall> pending = AdmitRequestCredential(*context, method);
    if (!pending.ok()) {
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      reactor->Finish(ToPublicStatus(pending.status(), RequestIdOf(*context)));
      return reactor;
    }
    return RunBlocking(context, workers_,
                       [call = *std::move(pending), work = std::move(work)]() mutable -> absl::Status {
                         const RequestCredentialCall& unverified = call;
                         return work(unverified);
                       });
  }

  // Authentication and the decision, without the worker pool (exposed for tests and streaming handlers).
  struct Admission {
    absl::StatusOr<Call> call;
    std::optional<audit::AuditEntry> denial;  // set when an authenticated caller was refused
  };
  Admission Admit(const grpc::ServerContextBase& context, absl::string_view method,
                  const std::string& clinic_id) const;
  void RecordDenial(const audit::AuditEntry& denial) const;
  // The rule check of UnaryWithRequestCredential, without the worker pool.
  absl::StatusOr<RequestCredentialCall> AdmitRequestCredential(const grpc::ServerContextBase& context,
                                                               absl::string_view method) const;

 private:
  std::string service_name_;
  AuthzTable table_;
  const auth::JwtVerifier& verifier_;
  const audit::AuditLog& audit_;
  WorkerPool& workers_;
};

}  // namespace tandem::service

#endif  // TANDEM_COMMON_SERVICE_RPC_KIT_H_
