#ifndef TANDEM_SERVICES_REMINDERS_STORE_SQL_REMINDER_STORE_H_
#define TANDEM_SERVICES_REMINDERS_STORE_SQL_REMINDER_STORE_H_

#include "common/audit/audit_log.h"
#include "common/crypto/clinical_cipher.h"
#include "common/db/database.h"
#include "common/db/idempotency_store.h"
#include "common/time/clock.h"
#include "services/reminders/domain/reminder_store.h"

namespace tandem::reminders {

// ReminderStore on common/db (SQLite or PostgreSQL). The fields the protos mark sensitive (recipient and
// parameters) are sealed as one envelope with the clinic's data key, bound to the reminder id, so neither a
// database dump nor a backup shows who is reminded of what. Idempotency keys live in the shared
// idempotency_keys table, written in the same transaction as the reminder and its audit row.
class SqlReminderStore final : public ReminderStore {
 public:
  SqlReminderStore(db::Database& db, crypto::ClinicalCipher& cipher, const audit::AuditLog& audit,
                   const Clock& clock = Clock::Real())
      : db_(db), cipher_(cipher), audit_(audit), clock_(clock), idempotency_(clock) {}

  absl::StatusOr<ReminderProto> Schedule(const NewReminder& reminder,
                                         const audit::AuditEntry& audit) override;
  absl::StatusOr<int> CancelByOwner(const std::string& clinic_id, const std::string& owner_ref,
                                    int64_t before_generation, const audit::AuditEntry& audit) override;
  absl::StatusOr<ReminderProto> Get(const std::string& clinic_id, const std::string& reminder_id) override;
  absl::StatusOr<ReminderPage> List(const std::string& clinic_id, const std::string& owner_ref,
                                    std::optional<ReminderState> state, int page_size,
                                    const std::string& after_id) override;
  absl::Status PutTemplate(const TemplateProto& reminder_template, const audit::AuditEntry& audit) override;
  absl::StatusOr<TemplateProto> GetTemplate(const std::string& clinic_id,
                                            const std::string& template_id) override;
  absl::StatusOr<std::optional<ClaimedReminder>> Claim(const std::string& reminder_id,
                                                       const std::string& worker, absl::Time now,
                                                       absl::Duration lease) override;
  absl::StatusOr<int> MarkQueued(const std::vector<std::string>& reminder_ids) override;
  absl::Status Finish(const std::string& reminder_id, const std::string& lease, const AttemptOutcome& outcome,
                      absl::Time now) override;
  absl::StatusOr<std::vector<std::pair<std::string, absl::Time>>> Indexable(absl::Time now,
                                                                            const std::string& after_id,
                                                                            int limit) override;

 private:
  // Without `open_sealed` the recipient and parameters stay empty and the row need not hold their columns.
  absl::StatusOr<ReminderProto> FromRow(const db::Row& row, bool open_sealed = true);
  absl::Status OpenLegacyColumns(const db::Row& row, ReminderProto& r);
  absl::StatusOr<int> CancelUnsent(db::Transaction& tx, const std::string& clinic_id,
                                   const std::string& owner_ref, int64_t before_generation);
  absl::Status ReplaceOlderGenerations(db::Transaction& tx, const ReminderProto& r);
  static absl::Status LockOwner(db::Transaction& tx, const std::string& clinic_id,
                                const std::string& owner_ref);
  absl::StatusOr<std::optional<ReminderProto>> SelectOne(db::Transaction& tx, const std::string& clinic_id,
                                                         const std::string& reminder_id);

  db::Database& db_;
  crypto::ClinicalCipher& cipher_;
  const audit::AuditLog& audit_;
  const Clock& clock_;
  db::IdempotencyStore idempotency_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_STORE_SQL_REMINDER_STORE_H_
