#ifndef TANDEM_TESTS_REMINDERS_REMINDERS_HARNESS_H_
#define TANDEM_TESTS_REMINDERS_REMINDERS_HARNESS_H_

#include <memory>
#include <string>

#include "common/audit/audit_log.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/database.h"
#include "common/redis/redis_pool.h"
#include "common/time/clock.h"
#include "services/reminders/dispatch/due_index.h"
#include "services/reminders/store/sql_reminder_store.h"
#include "tests/fixtures/redis_server.h"

namespace tandem::reminders {

// A reminders stack for one test on real parts: a SQLite database in a temporary directory (migrated), a
// real redis-server, the SQL store with a real cipher, and the due index on that Redis.
class RemindersHarness {
 public:
  static absl::StatusOr<std::unique_ptr<RemindersHarness>> Create(const Clock& clock = Clock::Real());
  ~RemindersHarness();

  db::Database& database() { return *db_; }
  const audit::AuditLog& audit() { return *audit_; }
  SqlReminderStore& store() { return *store_; }
  DueIndex& index() { return *index_; }
  redis::RedisPool& redis() { return *redis_; }
  tandem::testing::RedisServer& redis_server() { return *redis_server_; }

  // Registers a discreet template "t1" in clinic c1: "Hello {{first_name}}, see you {{due_local_time}}."
  absl::Status PutDefaultTemplate();
  // A reminder ready for store().Schedule: clinic c1, template t1, webhook to +15550100, due `due`.
  NewReminder MakeReminder(const std::string& key, absl::Time due,
                           const std::string& owner = "appointment/a1");

  // The store's writes with the audit row a scheduling service's call would carry.
  static audit::AuditEntry AuditEntryFor(const std::string& action, const std::string& resource_id,
                                         const std::string& clinic_id = "c1");
  absl::StatusOr<ReminderProto> Schedule(const NewReminder& reminder);
  absl::StatusOr<int> CancelByOwner(const std::string& clinic_id, const std::string& owner_ref);

 private:
  RemindersHarness() = default;
  const Clock* clock_ = nullptr;
  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<crypto::SqlDataKeyStore> keys_;
  std::unique_ptr<crypto::ClinicalCipher> cipher_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<SqlReminderStore> store_;
  std::unique_ptr<tandem::testing::RedisServer> redis_server_;
  std::unique_ptr<redis::RedisPool> redis_;
  std::unique_ptr<DueIndex> index_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_TESTS_REMINDERS_REMINDERS_HARNESS_H_
