#ifndef TANDEM_SERVICES_REMINDERS_API_REMINDERS_SERVICE_H_
#define TANDEM_SERVICES_REMINDERS_API_REMINDERS_SERVICE_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/principal.h"
#include "common/grpc/worker_pool.h"
#include "common/service/rpc_kit.h"
#include "common/time/clock.h"
#include "services/reminders/dispatch/due_index.h"
#include "services/reminders/domain/discretion.h"
#include "services/reminders/domain/reminder_store.h"
#include "services/reminders/domain/schedule_validation.h"
#include "services/reminders/domain/template_discretion_store.h"
#include "tandem/reminders/v1/reminders.grpc.pb.h"

namespace tandem::reminders {

struct RemindersServiceDeps {
  std::string service_name = "reminders";  // the audience callers address their tokens and assertions to
  ReminderStore* store = nullptr;
  DueIndex* index = nullptr;  // optional: without it the reconciler indexes new reminders
  const auth::JwtVerifier* verifier = nullptr;
  const audit::AuditLog* audit = nullptr;
  WorkerPool* workers = nullptr;
  const DiscretionPolicy* policy = nullptr;
  TemplateDiscretionStore* discretion = nullptr;  // clinic admins' opt-outs of the discretion check
  absl::flat_hash_set<ChannelKind> channels;      // configured on this server
  const Clock* clock = &Clock::Real();
  ScheduleLimits limits;
};

// Who may call what (RemindersRules): scheduling, cancelling and registering templates are for the services
// that remind (scheduling, homework, progress), alone or acting for a person of the clinic; reading delivery
// status is also open to the clinic's admins and support staff through the gateway. Exempting a template from
// the discretion check is a clinic admin's decision, made in person (no service may make it). Handlers run on
// the worker pool; each read and write of a reminder is audited with ids only, writes in the transaction of
// the change.
class RemindersService final : public tandem::reminders::v1::ReminderService::CallbackService {
 public:
  explicit RemindersService(RemindersServiceDeps deps);

  const service::AuthzTable& rules() const { return kit_.table(); }

  grpc::ServerUnaryReactor* ScheduleReminder(grpc::CallbackServerContext* context,
                                             const tandem::reminders::v1::ScheduleReminderRequest* request,
                                             tandem::reminders::v1::Reminder* response) override;
  grpc::ServerUnaryReactor* CancelReminders(
      grpc::CallbackServerContext* context, const tandem::reminders::v1::CancelRemindersRequest* request,
      tandem::reminders::v1::CancelRemindersResponse* response) override;
  grpc::ServerUnaryReactor* RegisterTemplate(grpc::CallbackServerContext* context,
                                             const tandem::reminders::v1::RegisterTemplateRequest* request,
                                             tandem::reminders::v1::Template* response) override;
  grpc::ServerUnaryReactor* GetReminder(grpc::CallbackServerContext* context,
                                        const tandem::reminders::v1::GetReminderRequest* request,
                                        tandem::reminders::v1::Reminder* response) override;
  grpc::ServerUnaryReactor* ListReminders(grpc::CallbackServerContext* context,
                                          const tandem::reminders::v1::ListRemindersRequest* request,
                                          tandem::reminders::v1::ListRemindersResponse* response) override;
  grpc::ServerUnaryReactor* SetTemplateDiscretion(
      grpc::CallbackServerContext* context,
      const tandem::reminders::v1::SetTemplateDiscretionRequest* request,
      tandem::reminders::v1::TemplateDiscretion* response) override;
  grpc::ServerUnaryReactor* GetTemplateDiscretion(
      grpc::CallbackServerContext* context,
      const tandem::reminders::v1::GetTemplateDiscretionRequest* request,
      tandem::reminders::v1::TemplateDiscretion* response) override;

 private:
  absl::Status Schedule(const service::Call& call,
                        const tandem::reminders::v1::ScheduleReminderRequest& request,
                        tandem::reminders::v1::Reminder& response);

  RemindersServiceDeps deps_;
  service::RpcKit kit_;
};

// The authorization table of tandem.reminders.v1.ReminderService.
service::AuthzTable RemindersRules();

// What support sees of a reminder: its state and history, with the recipient reduced to its shape and the
// parameters left out. A listing's reminders come without a recipient (the store does not open it for a
// list), so they show no shape either.
tandem::reminders::v1::Reminder ForSupport(const tandem::reminders::v1::Reminder& reminder);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_API_REMINDERS_SERVICE_H_
