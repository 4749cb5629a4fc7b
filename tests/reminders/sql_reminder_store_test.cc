// The reminders store contract on SQLite and PostgreSQL.
#include "services/reminders/store/sql_reminder_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/audit/audit_log.h"
#include "common/audit/audit_migrations.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/idempotency_migrations.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/reminders/store/reminders_migrations.h"
#include "services/reminders/store/sql_template_discretion_store.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/reminders/reminders_harness.h"

namespace tandem::reminders {
namespace {

using google::protobuf::util::TimeUtil;

class SqlReminderStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url;
    if (GetParam() == "sqlite") {
      auto dir = tandem::testing::MakeTempDir("reminders");
      ASSERT_TRUE(dir.ok());
      dir_ = *dir;
      url = "sqlite://" + dir_ + "/reminders.db";
    } else {
      auto pg = tandem::testing::NewTestDatabaseUrl();
      ASSERT_TRUE(pg.ok()) << pg.status();
      url = *pg;
    }
    auto db = db::OpenDatabase(url);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::audit()).ok());
    ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::idempotency()).ok());
    ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::crypto()).ok());
    // The upgrade test starts from the first release's schema and applies the rest itself.
    const std::string test_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (test_name.rfind("UpgradeFromTheFirstSchema", 0) == 0) {
      const db::MigrationSet& all = migrations::reminders();
      db::MigrationSet first{all.component, {all.sqlite.front()}, {all.postgresql.front()}};
      ASSERT_TRUE(db::ApplyMigrations(*db_, first).ok());
    } else {
      ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::reminders()).ok());
    }
    keys_ = std::make_unique<crypto::SqlDataKeyStore>(*db_);
    cipher_ = std::make_unique<crypto::ClinicalCipher>(
        crypto::KeyRing(*crypto::ParseKeyEncryptionKey(std::string(64, 'a'))), *keys_);
    audit_ = std::make_unique<audit::AuditLog>(*db_, clock_);
    store_ = std::make_unique<SqlReminderStore>(*db_, *cipher_, *audit_, clock_);
  }
  void TearDown() override {
    store_.reset();
    audit_.reset();
    cipher_.reset();
    keys_.reset();
    db_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  NewReminder Make(const std::string& key, const std::string& owner = "appointment/a1") {
    NewReminder n;
    n.caller = "scheduling";
    n.idempotency_key = key;
    n.request_hash = "hash-" + key;
    ReminderProto& r = n.reminder;
    r.set_reminder_id(NewUuidV7(clock_));
    r.set_delivery_id(NewUuidV7(clock_));
    r.set_clinic_id("c1");
    r.set_owner_ref(owner);
    r.set_channel(tandem::reminders::v1::CHANNEL_WEBHOOK);
    r.set_recipient("+15550100");
    r.set_template_id("appointment-tomorrow");
    (*r.mutable_params())["first_name"] = "Robin";
    r.set_time_zone("Europe/Berlin");
    r.mutable_quiet_hours()->mutable_start()->set_hours(22);
    r.mutable_quiet_hours()->mutable_end()->set_hours(7);
    *r.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
    *r.mutable_next_attempt_time() = r.due_time();
    return n;
  }

  static audit::AuditEntry Entry(const std::string& action, const std::string& resource_id) {
    return RemindersHarness::AuditEntryFor(action, resource_id);
  }
  absl::StatusOr<ReminderProto> Schedule(const NewReminder& n) {
    return store_->Schedule(n, Entry("reminder.schedule", n.reminder.reminder_id()));
  }
  absl::StatusOr<int> Cancel(const std::string& owner) {
    return store_->CancelByOwner("c1", owner, 0, Entry("reminder.cancel", owner));
  }
  int64_t Count(const std::string& table) {
    auto tx = db_->Begin(db::TxMode::kRead);
    auto rows = tx->Execute("SELECT COUNT(*) AS n FROM " + table);
    return *(*rows)[0].GetInt64("n");
  }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<crypto::SqlDataKeyStore> keys_;
  std::unique_ptr<crypto::ClinicalCipher> cipher_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<SqlReminderStore> store_;
};

TEST_P(SqlReminderStoreTest, ScheduleIsIdempotentAndSealsPersonalData) {
  NewReminder n = Make("k1");
  auto first = Schedule(n);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), tandem::reminders::v1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(first->recipient(), "+15550100");
  EXPECT_EQ(first->params().at("first_name"), "Robin");
  EXPECT_EQ(first->quiet_hours().start().hours(), 22);

  NewReminder retry = Make("k1");  // a new id, same key and body: the first reminder comes back
  auto second = Schedule(retry);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->reminder_id(), first->reminder_id());

  NewReminder other_body = Make("k1");
  other_body.request_hash = "different";
  EXPECT_EQ(Schedule(other_body).status().code(), absl::StatusCode::kAlreadyExists);

  // Nothing personal is stored in the clear, in any column of the reminder or of its idempotency row.
  auto raw = db_->Begin(db::TxMode::kRead);
  ASSERT_TRUE(raw.ok());
  for (const char* table : {"reminders", "idempotency_keys"}) {
    auto rows = raw->Execute(std::string("SELECT * FROM ") + table);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), 1) << table;
    for (const db::Value& cell : (*rows)[0].values()) {
      std::string bytes = cell.AsText() ? *cell.AsText() : cell.AsBytes() ? cell.AsBytes()->data : "";
      EXPECT_EQ(bytes.find("5550100"), std::string::npos) << table;
      EXPECT_EQ(bytes.find("Robin"), std::string::npos) << table;
    }
  }
  // Every call, retries included, wrote its audit row; the refused reuse wrote none.
  ASSERT_TRUE(raw->Commit().ok());
  EXPECT_EQ(Count("audit_log"), 2);
}

TEST_P(SqlReminderStoreTest, AReplacementGenerationCannotBeUndoneByALateMessage) {
  auto generation = [&](const std::string& key, int64_t g) {
    NewReminder n = Make(key, "appointment/r1");
    n.reminder.set_owner_generation(g);
    return n;
  };
  auto first = Schedule(generation("r1/g1", 1));
  ASSERT_TRUE(first.ok()) << first.status();
  // The reschedule (generation 2) replaces generation 1 in one transaction.
  auto second = Schedule(generation("r1/g2", 2));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(store_->Get("c1", first->reminder_id())->state(),
            tandem::reminders::v1::REMINDER_STATE_CANCELLED);
  // Late arrivals: a generation-1 schedule is refused and a cancel of what came before generation 2 leaves
  // generation 2 alone.
  EXPECT_EQ(Schedule(generation("r1/g1-late", 1)).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store_->CancelByOwner("c1", "appointment/r1", 2, Entry("reminder.cancel", "appointment/r1")), 0);
  EXPECT_EQ(store_->Get("c1", second->reminder_id())->state(),
            tandem::reminders::v1::REMINDER_STATE_SCHEDULED);
  // A retry of generation 2 is still the same reminder, not a refusal.
  auto retry = Schedule(generation("r1/g2", 2));
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->reminder_id(), second->reminder_id());
  EXPECT_EQ(retry->owner_generation(), 2);
}

TEST_P(SqlReminderStoreTest, AWriteWhoseAuditRowFailsIsNotCommitted) {
  NewReminder n = Make("k-audit");
  audit::AuditEntry broken = Entry("reminder.schedule", n.reminder.reminder_id());
  broken.actor.clear();  // the audit trail refuses a row without an actor
  EXPECT_FALSE(store_->Schedule(n, broken).ok());
  EXPECT_EQ(Count("reminders"), 0);
  EXPECT_EQ(Count("idempotency_keys"), 0);
  EXPECT_EQ(Count("audit_log"), 0);
  // The key was not used up: the same request with a good row goes through.
  ASSERT_TRUE(Schedule(n).ok());
  EXPECT_EQ(Count("reminders"), 1);

  auto cancelled = store_->CancelByOwner("c1", "appointment/a1", 0, broken);
  EXPECT_FALSE(cancelled.ok());
  EXPECT_EQ(store_->Get("c1", n.reminder.reminder_id())->state(),
            tandem::reminders::v1::REMINDER_STATE_SCHEDULED);
}

TEST_P(SqlReminderStoreTest, ClaimIsExclusiveAndHonoursCancellationAndLeases) {
  auto a = Schedule(Make("a"));
  auto b = Schedule(Make("b", "appointment/b1"));
  ASSERT_TRUE(a.ok() && b.ok());
  absl::Time now = clock_.Now();

  auto claimed = store_->Claim(a->reminder_id(), "w1", now, absl::Seconds(30));
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_TRUE(claimed->has_value());
  EXPECT_EQ((*claimed)->reminder.attempts(), 1);
  EXPECT_FALSE(store_->Claim(a->reminder_id(), "w2", now, absl::Seconds(30))->has_value());
  // The lease expires: another worker may take it over; the first can no longer record its outcome.
  absl::Time later = now + absl::Seconds(31);
  auto taken_over = store_->Claim(a->reminder_id(), "w2", later, absl::Seconds(30));
  ASSERT_TRUE(taken_over.ok() && taken_over->has_value());
  EXPECT_EQ(store_->Finish(a->reminder_id(), (*claimed)->lease, {ReminderState::kDelivered, later, ""}, later)
                .code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(
      store_->Finish(a->reminder_id(), (*taken_over)->lease, {ReminderState::kDelivered, later, ""}, later)
          .ok());
  EXPECT_EQ(store_->Get("c1", a->reminder_id())->state(), tandem::reminders::v1::REMINDER_STATE_DELIVERED);
  EXPECT_FALSE(store_->Claim(a->reminder_id(), "w3", later + absl::Hours(1), absl::Seconds(30))->has_value());

  // Cancelled before its time: never claimable.
  EXPECT_EQ(*Cancel("appointment/b1"), 1);
  EXPECT_FALSE(store_->Claim(b->reminder_id(), "w1", later, absl::Seconds(30))->has_value());
  EXPECT_EQ(store_->Get("c1", b->reminder_id())->state(), tandem::reminders::v1::REMINDER_STATE_CANCELLED);
}

TEST_P(SqlReminderStoreTest, MarkQueuedChangesOnlyRemindersStillWaiting) {
  namespace v1 = tandem::reminders::v1;
  auto waiting = Schedule(Make("q1", "appointment/q1"));
  auto claimed = Schedule(Make("q2", "appointment/q2"));
  auto cancelled = Schedule(Make("q3", "appointment/q3"));
  ASSERT_TRUE(waiting.ok() && claimed.ok() && cancelled.ok());
  absl::Time now = clock_.Now();
  ASSERT_TRUE(store_->Claim(claimed->reminder_id(), "w1", now, absl::Seconds(30))->has_value());
  ASSERT_EQ(*Cancel("appointment/q3"), 1);

  auto marked = store_->MarkQueued(
      {waiting->reminder_id(), claimed->reminder_id(), cancelled->reminder_id(), "no-such-reminder"});
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_EQ(*marked, 1);
  EXPECT_EQ(store_->Get("c1", waiting->reminder_id())->state(), v1::REMINDER_STATE_QUEUED);
  EXPECT_EQ(store_->Get("c1", claimed->reminder_id())->state(), v1::REMINDER_STATE_DELIVERING);
  EXPECT_EQ(store_->Get("c1", cancelled->reminder_id())->state(), v1::REMINDER_STATE_CANCELLED);
  EXPECT_EQ(*store_->MarkQueued({}), 0);

  // A queued reminder is still re-indexed after Redis loses its stream, can be cancelled, and is claimable.
  auto indexable = store_->Indexable(now, "", 100);
  ASSERT_TRUE(indexable.ok());
  ASSERT_EQ(indexable->size(), 1u);
  EXPECT_EQ((*indexable)[0].first, waiting->reminder_id());
  EXPECT_TRUE(store_->Claim(waiting->reminder_id(), "w1", now, absl::Seconds(30))->has_value());
}

TEST_P(SqlReminderStoreTest, NotDueYetIsNotClaimedAndFailedRetriesAreIndexed) {
  NewReminder future = Make("f");
  *future.reminder.mutable_next_attempt_time() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now() + absl::Hours(1)));
  auto r = Schedule(future);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(store_->Claim(r->reminder_id(), "w", clock_.Now(), absl::Seconds(30))->has_value());
  absl::Time due = clock_.Now() + absl::Hours(1);
  auto first = store_->Claim(r->reminder_id(), "w", due, absl::Seconds(30));
  ASSERT_TRUE(first.ok() && first->has_value());
  absl::Time retry_at = due + absl::Minutes(2);
  ASSERT_TRUE(
      store_->Finish(r->reminder_id(), (*first)->lease, {ReminderState::kFailed, retry_at, ""}, due).ok());
  auto indexable = store_->Indexable(due, "", 100);
  ASSERT_TRUE(indexable.ok());
  ASSERT_EQ(indexable->size(), 1u);
  EXPECT_EQ((*indexable)[0].second, retry_at);
  auto second = store_->Claim(r->reminder_id(), "w", retry_at, absl::Seconds(30));
  ASSERT_TRUE(second.ok() && second->has_value());
  ASSERT_TRUE(store_
                  ->Finish(r->reminder_id(), (*second)->lease,
                           {ReminderState::kDead, retry_at, "max_attempts"}, retry_at)
                  .ok());
  auto dead = store_->Get("c1", r->reminder_id());
  EXPECT_EQ(dead->state(), tandem::reminders::v1::REMINDER_STATE_DEAD);
  EXPECT_EQ(dead->dead_reason(), "max_attempts");
  EXPECT_EQ(dead->attempts(), 2);
  EXPECT_TRUE(store_->Indexable(retry_at, "", 100)->empty());
}

// A send slower than the lease: the same worker claims the reminder again, and only that newer claim may
// record the outcome, so the reminder is recorded delivered once.
TEST_P(SqlReminderStoreTest, ALeaseBelongsToOneClaimNotToTheWorker) {
  auto r = Schedule(Make("lease"));
  ASSERT_TRUE(r.ok()) << r.status();
  absl::Time now = clock_.Now();
  auto slow = store_->Claim(r->reminder_id(), "w1", now, absl::Seconds(30));
  ASSERT_TRUE(slow.ok() && slow->has_value());
  absl::Time expired = now + absl::Seconds(31);
  auto again = store_->Claim(r->reminder_id(), "w1", expired, absl::Seconds(30));
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_NE((*slow)->lease, (*again)->lease);

  const AttemptOutcome delivered{ReminderState::kDelivered, expired, ""};
  absl::Status first_finish = store_->Finish(r->reminder_id(), (*slow)->lease, delivered, expired);
  EXPECT_EQ(first_finish.code(), absl::StatusCode::kAborted) << first_finish;
  EXPECT_NE(first_finish.message().find("lease lost"), absl::string_view::npos) << first_finish;
  auto still = store_->Get("c1", r->reminder_id());
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->state(), tandem::reminders::v1::REMINDER_STATE_DELIVERING);
  EXPECT_FALSE(still->has_delivered_time());

  absl::Time done = expired + absl::Seconds(1);
  ASSERT_TRUE(store_->Finish(r->reminder_id(), (*again)->lease, delivered, done).ok());
  // The first claim cannot record anything afterwards either.
  EXPECT_EQ(store_->Finish(r->reminder_id(), (*slow)->lease, delivered, done).code(),
            absl::StatusCode::kAborted);
  auto final_state = store_->Get("c1", r->reminder_id());
  ASSERT_TRUE(final_state.ok());
  EXPECT_EQ(final_state->state(), tandem::reminders::v1::REMINDER_STATE_DELIVERED);
  EXPECT_EQ(final_state->attempts(), 2);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(final_state->delivered_time()), absl::ToUnixMicros(done));
}

// A listing returns neither recipient nor parameters, so it never opens them: rows whose sealed columns
// cannot be opened are listed all the same.
TEST_P(SqlReminderStoreTest, ListDoesNotOpenSealedFields) {
  auto sealed = Schedule(Make("s1", "appointment/s1"));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  NewReminder legacy = Make("s2", "appointment/s2");
  ASSERT_TRUE(Schedule(legacy).ok());
  absl::Status corrupted = db_->RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) {
    RETURN_IF_ERROR(tx.Execute("UPDATE reminders SET sealed = $1 WHERE reminder_id = $2",
                               {db::Bytes{std::string(64, 'x')}, sealed->reminder_id()})
                        .status());
    // The other row looks like the first release's: two sealed columns, neither of which opens.
    return tx
        .Execute(
            "UPDATE reminders SET sealed = NULL, recipient_sealed = $1, params_sealed = $1 "
            "WHERE reminder_id = $2",
            {db::Bytes{std::string(64, 'y')}, legacy.reminder.reminder_id()})
        .status();
  });
  ASSERT_TRUE(corrupted.ok()) << corrupted;
  ASSERT_FALSE(store_->Get("c1", sealed->reminder_id()).ok());  // the rows really cannot be opened
  ASSERT_FALSE(store_->Get("c1", legacy.reminder.reminder_id()).ok());

  auto page = store_->List("c1", "", std::nullopt, 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->reminders.size(), 2u);
  for (const ReminderProto& r : page->reminders) {
    EXPECT_TRUE(r.recipient().empty());
    EXPECT_TRUE(r.params().empty());
    EXPECT_EQ(r.state(), tandem::reminders::v1::REMINDER_STATE_SCHEDULED);
    EXPECT_EQ(r.owner_generation(), 0);
    EXPECT_FALSE(r.delivery_id().empty());
  }
}

// Retries of one request racing each other (a client that timed out and retried while the first was still
// running): every one gets the same reminder, and exactly one is stored.
TEST_P(SqlReminderStoreTest, ConcurrentRetriesWithOneKeyAllGetTheSameReminder) {
  // The clinic's data key exists already, so the retries meet in the scheduling transaction itself.
  ASSERT_TRUE(Schedule(Make("warm-up", "appointment/w")).ok());
  constexpr int kRounds = 10;
  constexpr int kRetries = 8;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "race-" + std::to_string(round);
    std::vector<NewReminder> requests;
    requests.reserve(kRetries);
    for (int i = 0; i < kRetries; ++i) requests.push_back(Make(key));  // new ids, one key and body
    std::vector<absl::StatusOr<ReminderProto>> results(kRetries, absl::UnknownError("not run"));
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    threads.reserve(kRetries);
    for (int i = 0; i < kRetries; ++i) {
      threads.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < kRetries) std::this_thread::yield();
        results[i] = Schedule(requests[i]);
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_TRUE(results[0].ok()) << "round " << round << ": " << results[0].status();
    for (int i = 0; i < kRetries; ++i) {
      ASSERT_TRUE(results[i].ok()) << "round " << round << ", retry " << i << ": " << results[i].status();
      EXPECT_EQ(results[i]->reminder_id(), results[0]->reminder_id()) << "round " << round << ", retry " << i;
    }
  }
  EXPECT_EQ(Count("reminders"), 1 + kRounds);
  EXPECT_EQ(Count("idempotency_keys"), 1 + kRounds);
}

TEST_P(SqlReminderStoreTest, ListPagesAndFiltersWithinOneClinic) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Schedule(Make("p" + std::to_string(i))).ok());
  auto first = store_->List("c1", "", std::nullopt, 3, "");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->reminders.size(), 3u);
  ASSERT_FALSE(first->last_id.empty());
  auto second = store_->List("c1", "", std::nullopt, 3, first->last_id);
  EXPECT_EQ(second->reminders.size(), 2u);
  EXPECT_TRUE(second->last_id.empty());
  EXPECT_TRUE(store_->List("c2", "", std::nullopt, 10, "")->reminders.empty());
  EXPECT_EQ(store_->Get("c2", first->reminders[0].reminder_id()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->List("c1", "", ReminderState::kDelivered, 10, "")->reminders.size(), 0u);
}

TEST_P(SqlReminderStoreTest, TemplatesRoundTrip) {
  TemplateProto t;
  t.set_clinic_id("c1");
  t.set_template_id("appointment-tomorrow");
  t.set_sender_name("Your practice");
  t.set_subject("Tomorrow");
  t.set_body("Hi {{first_name}}, see you {{due_local_time}}.");
  t.set_discreet(true);
  ASSERT_TRUE(store_->PutTemplate(t, Entry("reminder_template.register", "t")).ok());
  t.set_subject("Reminder");
  ASSERT_TRUE(store_->PutTemplate(t, Entry("reminder_template.register", "t")).ok());
  auto read = store_->GetTemplate("c1", "appointment-tomorrow");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->subject(), "Reminder");
  EXPECT_TRUE(read->discreet());
  EXPECT_EQ(store_->GetTemplate("c2", "appointment-tomorrow").status().code(), absl::StatusCode::kNotFound);
}

// A template is discreet unless its clinic's admin opted it out, whatever flag it was stored with; the
// decision is per clinic and can be taken back.
TEST_P(SqlReminderStoreTest, AnOptOutIsTheOnlyWayATemplateIsNotDiscreet) {
  namespace v1 = tandem::reminders::v1;
  SqlTemplateDiscretionStore decisions(*db_, *audit_, clock_);
  TemplateProto t;
  t.set_clinic_id("c1");
  t.set_template_id("staff");
  t.set_sender_name("Your practice");
  t.set_body("Handover {{due_local_time}}");
  t.set_discreet(false);
  ASSERT_TRUE(store_->PutTemplate(t, Entry("reminder_template.register", "staff")).ok());
  EXPECT_TRUE(store_->GetTemplate("c1", "staff")->discreet());
  auto none = decisions.Get("c1", "staff");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->mode(), v1::DISCRETION_MODE_ENFORCED);
  EXPECT_TRUE(none->updated_by().empty());

  TemplateDiscretionProto opt_out;
  opt_out.set_clinic_id("c1");
  opt_out.set_template_id("staff");
  opt_out.set_mode(v1::DISCRETION_MODE_OPTED_OUT);
  opt_out.set_updated_by("a1");
  const int64_t audit_rows = Count("audit_log");
  ASSERT_TRUE(decisions.Set(opt_out, Entry("reminder_template.discretion.set", "staff")).ok());
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);
  EXPECT_FALSE(store_->GetTemplate("c1", "staff")->discreet());
  auto read = decisions.Get("c1", "staff");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->mode(), v1::DISCRETION_MODE_OPTED_OUT);
  EXPECT_EQ(read->updated_by(), "a1");
  EXPECT_EQ(read->update_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(decisions.Get("c2", "staff")->mode(), v1::DISCRETION_MODE_ENFORCED);

  opt_out.set_mode(v1::DISCRETION_MODE_ENFORCED);
  ASSERT_TRUE(decisions.Set(opt_out, Entry("reminder_template.discretion.set", "staff")).ok());
  EXPECT_TRUE(store_->GetTemplate("c1", "staff")->discreet());
}

// A reminder written by the first release (two sealed columns, its idempotency key in the row) is still read
// after the upgrade, and a retry of its request still returns it rather than scheduling a second one.
TEST_P(SqlReminderStoreTest, UpgradeFromTheFirstSchemaKeepsRowsAndKeys) {
  NewReminder n = Make("legacy-key");
  const ReminderProto& r = n.reminder;
  auto recipient = cipher_->Seal("c1", r.reminder_id() + "/recipient", 1, r.recipient());
  auto params = cipher_->Seal("c1", r.reminder_id() + "/params", 1, R"({"first_name":"Robin"})");
  ASSERT_TRUE(recipient.ok() && params.ok());
  absl::Status inserted = db_->RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) {
    return tx
        .Execute(
            "INSERT INTO reminders (reminder_id, clinic_id, owner_ref, channel, recipient_sealed, "
            "template_id, "
            "params_sealed, time_zone, due_at, next_attempt_at, state, attempts, created_at, delivery_id, "
            "caller, "
            "idempotency_key, request_hash) VALUES ($1, 'c1', $2, 1, $3, $4, $5, $6, $7, $7, 'scheduled', 0, "
            "$7, "
            "$8, $9, $10, $11)",
            {r.reminder_id(), r.owner_ref(), db::Bytes{*recipient}, r.template_id(), db::Bytes{*params},
             r.time_zone(), clock_.Now(), r.delivery_id(), n.caller, n.idempotency_key, n.request_hash})
        .status();
  });
  ASSERT_TRUE(inserted.ok()) << inserted;
  ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::reminders()).ok());

  auto read = store_->Get("c1", r.reminder_id());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->recipient(), "+15550100");
  EXPECT_EQ(read->params().at("first_name"), "Robin");
  NewReminder retry = Make("legacy-key");  // a new id, the same key and body
  auto again = Schedule(retry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->reminder_id(), r.reminder_id());
  EXPECT_EQ(Count("reminders"), 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, SqlReminderStoreTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace tandem::reminders
