#include "tests/reminders/reminders_harness.h"

#include "common/audit/audit_migrations.h"
#include "common/crypto/crypto_migrations.h"
#include "common/db/idempotency_migrations.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "services/reminders/store/reminders_migrations.h"
#include "tests/fixtures/temp_dir.h"

namespace tandem::reminders {

absl::StatusOr<std::unique_ptr<RemindersHarness>> RemindersHarness::Create(const Clock& clock) {
  std::unique_ptr<RemindersHarness> h(new RemindersHarness());
  h->clock_ = &clock;
  ASSIGN_OR_RETURN(h->dir_, tandem::testing::MakeTempDir("reminders"));
  ASSIGN_OR_RETURN(h->db_, db::OpenDatabase("sqlite://" + h->dir_ + "/reminders.db"));
  for (const db::MigrationSet* set :
       {&migrations::audit(), &migrations::crypto(), &migrations::idempotency(), &migrations::reminders()}) {
    RETURN_IF_ERROR(db::ApplyMigrations(*h->db_, *set));
  }
  h->keys_ = std::make_unique<crypto::SqlDataKeyStore>(*h->db_);
  ASSIGN_OR_RETURN(crypto::KeyEncryptionKey kek, crypto::ParseKeyEncryptionKey(std::string(64, 'b')));
  h->cipher_ = std::make_unique<crypto::ClinicalCipher>(crypto::KeyRing(std::move(kek)), *h->keys_);
  h->audit_ = std::make_unique<audit::AuditLog>(*h->db_, clock);
  h->store_ = std::make_unique<SqlReminderStore>(*h->db_, *h->cipher_, *h->audit_, clock);
  ASSIGN_OR_RETURN(h->redis_server_, tandem::testing::RedisServer::Start());
  redis::RedisPoolOptions options;
  options.port = h->redis_server_->port();
  options.pool_size = 16;
  options.command_timeout = absl::Seconds(2);
  h->redis_ = std::make_unique<redis::RedisPool>(options);
  h->index_ = std::make_unique<DueIndex>(*h->redis_, "test:reminders:");
  return h;
}

RemindersHarness::~RemindersHarness() {
  index_.reset();
  redis_.reset();
  redis_server_.reset();
  store_.reset();
  audit_.reset();
  cipher_.reset();
  keys_.reset();
  db_.reset();
  if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
}

absl::Status RemindersHarness::PutDefaultTemplate() {
  TemplateProto t;
  t.set_clinic_id("c1");
  t.set_template_id("t1");
  t.set_sender_name("Linden Practice");
  t.set_subject("A reminder");
  t.set_body("Hello {{first_name}}, see you {{due_local_time}}.");
  t.set_discreet(true);
  return store_->PutTemplate(t, AuditEntryFor("reminder_template.register", "t1"));
}

audit::AuditEntry RemindersHarness::AuditEntryFor(const std::string& action, const std::string& resource_id,
                                                  const std::string& clinic_id) {
  audit::AuditEntry entry;
  entry.clinic_id = clinic_id;
  entry.actor = "scheduling";
  entry.actor_role = "service";
  entry.action = action;
  entry.resource_type = "reminder";
  entry.resource_id = resource_id;
  entry.outcome = std::string(audit::kOutcomeOk);
  return entry;
}

absl::StatusOr<ReminderProto> RemindersHarness::Schedule(const NewReminder& reminder) {
  return store_->Schedule(reminder, AuditEntryFor("reminder.schedule", reminder.reminder.reminder_id(),
                                                  reminder.reminder.clinic_id()));
}

absl::StatusOr<int> RemindersHarness::CancelByOwner(const std::string& clinic_id,
                                                    const std::string& owner_ref) {
  return store_->CancelByOwner(clinic_id, owner_ref, 0,
                               AuditEntryFor("reminder.cancel", owner_ref, clinic_id));
}

NewReminder RemindersHarness::MakeReminder(const std::string& key, absl::Time due, const std::string& owner) {
  using google::protobuf::util::TimeUtil;
  NewReminder n;
  n.caller = "scheduling";
  n.idempotency_key = key;
  n.request_hash = "hash-" + key;
  ReminderProto& r = n.reminder;
  r.set_reminder_id(NewUuidV7(*clock_));
  r.set_delivery_id(NewUuidV7(*clock_));
  r.set_clinic_id("c1");
  r.set_owner_ref(owner);
  r.set_channel(tandem::reminders::v1::CHANNEL_WEBHOOK);
  r.set_recipient("+15550100");
  r.set_template_id("t1");
  (*r.mutable_params())["first_name"] = "Robin";
  r.set_time_zone("Europe/Berlin");
  *r.mutable_due_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(due));
  *r.mutable_next_attempt_time() = r.due_time();
  return n;
}

}  // namespace tandem::reminders
