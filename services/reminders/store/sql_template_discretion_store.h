#ifndef TANDEM_SERVICES_REMINDERS_STORE_SQL_TEMPLATE_DISCRETION_STORE_H_
#define TANDEM_SERVICES_REMINDERS_STORE_SQL_TEMPLATE_DISCRETION_STORE_H_

#include "common/audit/audit_log.h"
#include "common/db/database.h"
#include "common/time/clock.h"
#include "services/reminders/domain/template_discretion_store.h"

namespace tandem::reminders {

// TemplateDiscretionStore on the reminder_template_discretion table (SQLite or PostgreSQL).
class SqlTemplateDiscretionStore final : public TemplateDiscretionStore {
 public:
  SqlTemplateDiscretionStore(db::Database& db, const audit::AuditLog& audit,
                             const Clock& clock = Clock::Real())
      : db_(db), audit_(audit), clock_(clock) {}

  absl::StatusOr<TemplateDiscretionProto> Set(const TemplateDiscretionProto& decision,
                                              const audit::AuditEntry& audit) override;
  absl::StatusOr<TemplateDiscretionProto> Get(const std::string& clinic_id,
                                              const std::string& template_id) override;

 private:
  db::Database& db_;
  const audit::AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_STORE_SQL_TEMPLATE_DISCRETION_STORE_H_
