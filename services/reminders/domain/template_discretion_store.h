#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_TEMPLATE_DISCRETION_STORE_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_TEMPLATE_DISCRETION_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/audit/audit_entry.h"
#include "tandem/reminders/v1/reminders.pb.h"

namespace tandem::reminders {

using TemplateDiscretionProto = tandem::reminders::v1::TemplateDiscretion;

// Clinic admins' decisions to exempt a template from the discretion check, per clinic and template id. The
// reminder store reads them too: a template is discreet unless its decision here says opted out.
class TemplateDiscretionStore {
 public:
  virtual ~TemplateDiscretionStore() = default;

  // Records `decision` (clinic, template, mode, updated_by) with `audit` in one transaction, replacing an
  // earlier one; returns it as stored, with its update time.
  virtual absl::StatusOr<TemplateDiscretionProto> Set(const TemplateDiscretionProto& decision,
                                                      const audit::AuditEntry& audit) = 0;
  // The decision in force: ENFORCED without author or time when nobody decided.
  virtual absl::StatusOr<TemplateDiscretionProto> Get(const std::string& clinic_id,
                                                      const std::string& template_id) = 0;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_TEMPLATE_DISCRETION_STORE_H_
