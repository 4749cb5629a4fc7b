#include "services/reminders/store/sql_template_discretion_store.h"

#include <utility>

#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

absl::StatusOr<TemplateDiscretionProto> SqlTemplateDiscretionStore::Set(
    const TemplateDiscretionProto& decision, const audit::AuditEntry& audit) {
  TemplateDiscretionProto stored = decision;
  const absl::Time now = clock_.Now();
  *stored.mutable_update_time() = ToProto(now);
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(audit_.Append(tx, audit).status());
    return tx
        .Execute(
            "INSERT INTO reminder_template_discretion (clinic_id, template_id, opted_out, updated_by, "
            "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (clinic_id, template_id) DO UPDATE SET "
            "opted_out = excluded.opted_out, updated_by = excluded.updated_by, updated_at = "
            "excluded.updated_at",
            {decision.clinic_id(), decision.template_id(), decision.mode() == v1::DISCRETION_MODE_OPTED_OUT,
             decision.updated_by(), now})
        .status();
  }));
  return stored;
}

absl::StatusOr<TemplateDiscretionProto> SqlTemplateDiscretionStore::Get(const std::string& clinic_id,
                                                                        const std::string& template_id) {
  TemplateDiscretionProto decision;
  decision.set_clinic_id(clinic_id);
  decision.set_template_id(template_id);
  decision.set_mode(v1::DISCRETION_MODE_ENFORCED);
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute("SELECT opted_out, updated_by, updated_at FROM reminder_template_discretion "
                                "WHERE clinic_id = $1 AND template_id = $2",
                                {clinic_id, template_id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(bool opted_out, rows[0].GetBool("opted_out"));
    decision.set_mode(opted_out ? v1::DISCRETION_MODE_OPTED_OUT : v1::DISCRETION_MODE_ENFORCED);
    ASSIGN_OR_RETURN(*decision.mutable_updated_by(), rows[0].GetText("updated_by"));
    ASSIGN_OR_RETURN(absl::Time updated_at, rows[0].GetTime("updated_at"));
    *decision.mutable_update_time() = ToProto(updated_at);
    return absl::OkStatus();
  }));
  return decision;
}

}  // namespace tandem::reminders
