#ifndef TANDEM_SERVICES_REMINDERS_REMINDERS_SERVICE_H_
#define TANDEM_SERVICES_REMINDERS_REMINDERS_SERVICE_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/principal.h"
#include "common/grpc/worker_pool.h"
#include "common/time/clock.h"
#include "services/reminders/discretion.h"
#include "services/reminders/due_index.h"
#include "services/reminders/reminder_store.h"
#include "services/reminders/schedule_validation.h"
#include "tandem/reminders/v1/reminders.grpc.pb.h"

namespace tandem::reminders {

struct RemindersServiceDeps {
  ReminderStore* store = nullptr;
  DueIndex* index = nullptr;  // optional: without it the reconciler indexes new reminders
  const auth::JwtVerifier* verifier = nullptr;
  const audit::AuditLog* audit = nullptr;
  WorkerPool* workers = nullptr;
  const DiscretionPolicy* policy = nullptr;
  absl::flat_hash_set<ChannelKind> channels;  // configured on this server
  const Clock* clock = &Clock::Real();
  ScheduleLimits limits;
};

// The internal API. Every RPC is for `service` identities only (a service acting for a user may say so in
// x-tandem-end-user; that user must belong to the clinic the request names). Handlers run on the worker
// pool; each read and write of a reminder is audited with ids only.
class RemindersService final : public tandem::reminders::v1::ReminderService::CallbackService {
 public:
  explicit RemindersService(RemindersServiceDeps deps) : deps_(std::move(deps)) {}

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

 private:
  // Authenticates the caller and checks it may act in `clinic_id`; a refusal is audited.
  absl::StatusOr<auth::Principal> Authorize(const grpc::CallbackServerContext& context,
                                            const std::string& clinic_id, absl::string_view action);
  void Audit(const grpc::CallbackServerContext& context, const auth::Principal& principal,
             const std::string& clinic_id, absl::string_view action, const std::string& resource_id);

  absl::Status Schedule(const grpc::CallbackServerContext& context,
                        const tandem::reminders::v1::ScheduleReminderRequest& request,
                        tandem::reminders::v1::Reminder& response);

  RemindersServiceDeps deps_;
};

// What support sees of a reminder: its state and history, with the recipient reduced to its shape and the
// parameters left out.
tandem::reminders::v1::Reminder ForSupport(const tandem::reminders::v1::Reminder& reminder);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_REMINDERS_SERVICE_H_
