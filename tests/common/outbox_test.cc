// The transactional outbox and its relay on SQLite and PostgreSQL, with a recording sender: enqueue inside
// the caller's transaction, per-key ordering, retries with backoff on the injected clock, permanent failures,
// leases, the retention sweep, and two relays sharing one database.
#include "common/db/outbox.h"

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/db/outbox_migrations.h"
#include "common/db/outbox_relay.h"
#include "common/metrics/metrics.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"

namespace tandem::db {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

constexpr char kTarget[] = "/tandem.reminders.v1.ReminderService/ScheduleReminder";

// Polls `done` every few milliseconds until it holds or `timeout` passes.
bool WaitFor(absl::FunctionRef<bool()> done, absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// Records every send and answers with scripted statuses (OK when none is left for that message). It also
// checks the ordering promise at the moment of each send: every earlier message of the key has already been
// answered with OK or a permanent error.
class RecordingSender final : public OutboxSender {
 public:
  struct Call {
    std::string id;
    std::string key;
    std::string payload;
    int attempts;
    absl::StatusCode result;
  };

  absl::Status Send(const OutboxRow& row) override {
    if (on_send_) on_send_(row);
    if (delay_ > absl::ZeroDuration()) absl::SleepFor(delay_);
    absl::MutexLock lock(&mu_);
    absl::Status result;
    auto script = scripts_.find(row.id);
    if (script != scripts_.end() && !script->second.empty()) {
      result = script->second.front();
      script->second.pop_front();
    }
    calls_.push_back({row.id, row.ordering_key, row.payload, row.attempts, result.code()});
    return result;
  }

  // The next `times` sends of `id` answer `status`.
  void Script(const std::string& id, const absl::Status& status, int times = 1) {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < times; ++i) scripts_[id].push_back(status);
  }

  void set_delay(absl::Duration delay) { delay_ = delay; }
  void set_on_send(std::function<void(const OutboxRow&)> on_send) { on_send_ = std::move(on_send); }

  std::vector<Call> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

  // Ids in the order their sends were answered OK (or permanently refused), per ordering key.
  std::map<std::string, std::vector<std::string>> SettledOrder() const {
    std::map<std::string, std::vector<std::string>> order;
    for (const Call& call : calls()) {
      if (call.result == absl::StatusCode::kOk || IsPermanentOutboxError(call.result)) {
        order[call.key].push_back(call.id);
      }
    }
    return order;
  }

 private:
  absl::Duration delay_ = absl::ZeroDuration();
  std::function<void(const OutboxRow&)> on_send_;
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::deque<absl::Status>> scripts_ ABSL_GUARDED_BY(mu_);
};

class OutboxTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      absl::StatusOr<std::string> dir = testing::MakeTempDir("outbox");
      ASSERT_TRUE(dir.ok()) << dir.status();
      dir_ = *dir;
      url_ = absl::StrCat("sqlite://", dir_, "/outbox.db");
    } else {
      absl::StatusOr<std::string> url = testing::NewTestDatabaseUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      url_ = *url;
    }
    db_ = Open();
    ASSERT_NE(db_, nullptr);
    absl::Status migrated = ApplyMigrations(*db_, migrations::outbox());
    ASSERT_TRUE(migrated.ok()) << migrated;
    // Running them again changes nothing.
    migrated = ApplyMigrations(*db_, migrations::outbox());
    ASSERT_TRUE(migrated.ok()) << migrated;
  }

  void TearDown() override {
    db_.reset();
    if (!dir_.empty()) testing::RemoveTree(dir_);
  }

  std::unique_ptr<Database> Open() {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(url_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  OutboxMessage Message(const std::string& key, const std::string& payload) {
    return OutboxMessage{"c1", key, kTarget, payload};
  }

  // Enqueues in a transaction of its own and remembers the order per key.
  std::string Enqueue(const std::string& key, const std::string& payload = "") {
    std::string id;
    absl::Status status = db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::string> enqueued = outbox_.Enqueue(tx, Message(key, payload));
      if (!enqueued.ok()) return enqueued.status();
      id = *enqueued;
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    enqueued_[key].push_back(id);
    return id;
  }

  int64_t Count(const std::string& where) {
    absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
    EXPECT_TRUE(tx.ok()) << tx.status();
    if (!tx.ok()) return -1;
    absl::StatusOr<ResultSet> rows = tx->Execute(absl::StrCat("SELECT COUNT(*) FROM outbox WHERE ", where));
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return -1;
    return (*rows)[0].GetInt64(0).value_or(-1);
  }

  int64_t Pending() { return Count("state = 'pending'"); }

  OutboxRow Row(const std::string& id) {
    absl::StatusOr<OutboxRow> row = outbox_.Get(*db_, id);
    EXPECT_TRUE(row.ok()) << row.status();
    return row.value_or(OutboxRow{});
  }

  OutboxRelayOptions Options() {
    OutboxRelayOptions options;
    options.threads = 2;
    options.batch_size = 4;
    options.poll_interval = absl::Milliseconds(10);
    options.backoff_base = absl::Seconds(10);
    options.backoff_cap = absl::Seconds(60);
    options.lease = absl::Seconds(30);
    options.min_lease_left = absl::Seconds(5);
    options.random = [] { return 0.5; };
    options.registry = &registry_;
    return options;
  }

  // Runs passes until nothing is pending; fails after `max_passes`.
  void Drain(OutboxRelay& relay, int max_passes = 200) {
    for (int i = 0; i < max_passes && Pending() > 0; ++i) {
      absl::StatusOr<int> sent = relay.RunOnce();
      ASSERT_TRUE(sent.ok()) << sent.status();
    }
    EXPECT_EQ(Pending(), 0);
  }

  double Counted(const std::string& outcome, const std::string& code) {
    return registry_.AddCounter("tandem_outbox_messages_total", "", {"outcome", "code"})
        .WithLabels({outcome, code})
        .value();
  }

  FakeClock clock_{absl::FromUnixMicros(1767225600123456)};
  Outbox outbox_{clock_};
  metrics::Registry registry_;
  RecordingSender sender_;
  std::map<std::string, std::vector<std::string>> enqueued_;
  std::string dir_;
  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_P(OutboxTest, EnqueueCommitsWithTheTransaction) {
  std::string id;
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::string> enqueued =
        outbox_.Enqueue(tx, Message("appointment/a1", std::string("\x00\x01sealed\xff", 9)));
    if (!enqueued.ok()) return enqueued.status();
    id = *enqueued;
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsUuid(id));

  OutboxRow row = Row(id);
  EXPECT_EQ(row.id, id);
  EXPECT_EQ(row.clinic_id, "c1");
  EXPECT_EQ(row.ordering_key, "appointment/a1");
  EXPECT_EQ(row.target, kTarget);
  EXPECT_EQ(row.payload, std::string("\x00\x01sealed\xff", 9));  // Bytes survive as they are.
  EXPECT_EQ(row.state, OutboxState::kPending);
  EXPECT_EQ(row.attempts, 0);
  EXPECT_EQ(row.created_at, clock_.Now());
  EXPECT_EQ(row.next_attempt_at, clock_.Now());
  EXPECT_FALSE(row.settled_at.has_value());
  EXPECT_GT(row.seq, 0);

  const std::string second = Enqueue("appointment/a1");
  EXPECT_GT(Row(second).seq, row.seq);
}

TEST_P(OutboxTest, EnqueueVanishesOnRollback) {
  std::string id;
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::string> enqueued = outbox_.Enqueue(tx, Message("appointment/a1", "x"));
    if (!enqueued.ok()) return enqueued.status();
    id = *enqueued;
    return absl::AbortedError("the booking failed after all");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(outbox_.Get(*db_, id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Count("1 = 1"), 0);

  // Nothing is sent for it either.
  OutboxRelay relay(*db_, sender_, Options(), clock_);
  absl::StatusOr<int> sent = relay.RunOnce();
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, 0);
  EXPECT_TRUE(sender_.calls().empty());
}

TEST_P(OutboxTest, PayloadsAreSealedAtRestAndOpenedToBeSent) {
  ASSERT_TRUE(ApplyMigrations(*db_, migrations::crypto()).ok());
  crypto::SqlDataKeyStore keys(*db_);
  crypto::ClinicalCipher cipher(crypto::KeyRing(*crypto::ParseKeyEncryptionKey(std::string(64, 'd'))), keys);
  ASSERT_TRUE(cipher.Seal("c1", "warm-up", 1, "x").ok());  // the clinic's key exists before the write
  const Outbox sealed_outbox(clock_, &cipher);
  const std::string payload = "recipient robin@example.org, first name Robin";
  std::string id;
  ASSERT_TRUE(db_->RunInTransaction(TxMode::kWrite,
                                    [&](Transaction& tx) -> absl::Status {
                                      absl::StatusOr<std::string> enqueued =
                                          sealed_outbox.Enqueue(tx, Message("appointment/s1", payload));
                                      if (!enqueued.ok()) return enqueued.status();
                                      id = *enqueued;
                                      return absl::OkStatus();
                                    })
                  .ok());
  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  absl::StatusOr<ResultSet> raw = tx->Execute("SELECT payload FROM outbox");
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 1);
  EXPECT_EQ((*raw)[0].GetBytes("payload")->find("Robin"), std::string::npos);
  ASSERT_TRUE(tx->Commit().ok());

  OutboxRelayOptions options = Options();
  options.cipher = &cipher;
  OutboxRelay relay(*db_, sender_, options, clock_);
  ASSERT_TRUE(relay.RunOnce().ok());
  ASSERT_EQ(sender_.calls().size(), 1u);
  EXPECT_EQ(sender_.calls()[0].payload, payload);
  EXPECT_EQ(sealed_outbox.Get(*db_, id)->payload, payload);
}

TEST_P(OutboxTest, EnqueueRejectsBadMessages) {
  auto enqueue = [&](const OutboxMessage& m, TxMode mode = TxMode::kWrite) {
    absl::StatusOr<Transaction> tx = db_->Begin(mode);
    EXPECT_TRUE(tx.ok()) << tx.status();
    return outbox_.Enqueue(*tx, m).status();
  };
  EXPECT_EQ(enqueue({"", "k", kTarget, ""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(enqueue({"c1", "", kTarget, ""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(enqueue({"c1", std::string(Outbox::kMaxIdBytes + 1, 'k'), kTarget, ""}).code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* target : {"", "ScheduleReminder", "/tandem.reminders.v1.ReminderService",
                             "/tandem.reminders.v1.ReminderService/", "//Method", "/a/b/c", "/a b/Method"}) {
    EXPECT_EQ(enqueue({"c1", "k", target, ""}).code(), absl::StatusCode::kInvalidArgument) << target;
  }
  EXPECT_EQ(enqueue({"c1", "k", kTarget, std::string(Outbox::kMaxPayloadBytes + 1, 'p')}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(enqueue(Message("k", ""), TxMode::kRead).code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(*OutboxTargetService(kTarget), "tandem.reminders.v1.ReminderService");
}

TEST_P(OutboxTest, DeliversEachKeyInOrder) {
  for (int i = 0; i < 6; ++i) {
    for (const char* key : {"appointment/a", "appointment/b", "assignment/c"}) {
      Enqueue(key, absl::StrCat(key, "#", i));
    }
  }
  OutboxRelay relay(*db_, sender_, Options(), clock_);
  Drain(relay);

  EXPECT_EQ(sender_.SettledOrder(), enqueued_);
  EXPECT_EQ(sender_.calls().size(), 18U);  // Each exactly once.
  for (const RecordingSender::Call& call : sender_.calls()) {
    EXPECT_EQ(call.attempts, 1);
    EXPECT_EQ(Row(call.id).payload, call.payload);
  }
  EXPECT_EQ(Count("state = 'delivered' AND settled_at IS NOT NULL AND lease_token IS NULL"), 18);
  EXPECT_EQ(Counted("delivered", "OK"), 18);
}

TEST_P(OutboxTest, ThreadsDeliverEveryMessageInOrder) {
  for (int i = 0; i < 40; ++i) Enqueue(absl::StrCat("client/", i % 7), absl::StrCat(i));
  OutboxRelay relay(*db_, sender_, Options(), clock_);
  ASSERT_TRUE(relay.Start().ok());
  EXPECT_EQ(relay.Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(WaitFor([&] { return Pending() == 0; }));
  relay.Stop();
  relay.Stop();
  EXPECT_EQ(sender_.SettledOrder(), enqueued_);
  EXPECT_EQ(sender_.calls().size(), 40U);
}

TEST_P(OutboxTest, RetryingHeadBlocksItsFollowersThenAllArriveInOrder) {
  const std::string a1 = Enqueue("appointment/a", "a1");
  Enqueue("appointment/a", "a2");
  Enqueue("appointment/a", "a3");
  Enqueue("appointment/b", "b1");
  Enqueue("appointment/b", "b2");
  sender_.Script(a1, absl::UnavailableError("reminders is restarting"), 3);

  OutboxRelayOptions options = Options();
  options.random = [] { return 0.0; };  // Retries are due at once: only the ordering holds a2 back.
  OutboxRelay relay(*db_, sender_, options, clock_);
  Drain(relay);

  // a1 was tried four times; neither a2 nor a3 went out before its fourth attempt succeeded, while b went on.
  std::vector<std::string> a_sends;
  std::vector<std::string> b_sends;
  for (const RecordingSender::Call& call : sender_.calls()) {
    (call.key == "appointment/a" ? a_sends : b_sends).push_back(call.payload);
  }
  EXPECT_THAT(a_sends, ElementsAreArray({"a1", "a1", "a1", "a1", "a2", "a3"}));
  EXPECT_THAT(b_sends, ElementsAreArray({"b1", "b2"}));
  EXPECT_EQ(sender_.SettledOrder(), enqueued_);
  OutboxRow head = Row(a1);
  EXPECT_EQ(head.state, OutboxState::kDelivered);
  EXPECT_EQ(head.attempts, 4);
  EXPECT_EQ(head.last_error, "");
  EXPECT_EQ(Counted("retried", "UNAVAILABLE"), 3);
  EXPECT_EQ(Counted("delivered", "OK"), 5);
}

TEST_P(OutboxTest, PermanentErrorSettlesAsFailedAndFollowersProceed) {
  const std::string a1 = Enqueue("appointment/a", "a1");
  const std::string a2 = Enqueue("appointment/a", "a2");
  sender_.Script(a1, absl::InvalidArgumentError("reminder.due_time: must be in the future"));

  OutboxRelay relay(*db_, sender_, Options(), clock_);
  Drain(relay);

  OutboxRow failed = Row(a1);
  EXPECT_EQ(failed.state, OutboxState::kFailed);
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_TRUE(failed.settled_at.has_value());
  EXPECT_THAT(failed.last_error, StartsWith("INVALID_ARGUMENT: "));
  EXPECT_EQ(Row(a2).state, OutboxState::kDelivered);
  EXPECT_EQ(sender_.calls().size(), 2U);
  EXPECT_EQ(Counted("failed", "INVALID_ARGUMENT"), 1);
  EXPECT_EQ(Counted("delivered", "OK"), 1);

  for (absl::StatusCode code : {absl::StatusCode::kInvalidArgument, absl::StatusCode::kFailedPrecondition,
                                absl::StatusCode::kAlreadyExists}) {
    EXPECT_TRUE(IsPermanentOutboxError(code)) << code;
  }
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
        absl::StatusCode::kPermissionDenied, absl::StatusCode::kNotFound, absl::StatusCode::kUnauthenticated,
        absl::StatusCode::kResourceExhausted, absl::StatusCode::kAborted, absl::StatusCode::kInternal,
        absl::StatusCode::kUnknown, absl::StatusCode::kUnimplemented, absl::StatusCode::kCancelled}) {
    EXPECT_FALSE(IsPermanentOutboxError(code)) << code;
  }
}

TEST_P(OutboxTest, BackoffFollowsTheInjectedClockWithFullJitter) {
  const std::string a1 = Enqueue("appointment/a", "a1");
  const std::string a2 = Enqueue("appointment/a", "a2");
  sender_.Script(a1, absl::DeadlineExceededError("slow"), 4);
  OutboxRelay relay(*db_, sender_, Options(), clock_);  // base 10 s, cap 60 s, random 0.5

  // Attempt n waits 0.5 * min(60 s, 10 s * 2^(n-1)): 5, 10, 20, 30 seconds.
  for (absl::Duration wait : {absl::Seconds(5), absl::Seconds(10), absl::Seconds(20), absl::Seconds(30)}) {
    absl::StatusOr<int> sent = relay.RunOnce();
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_EQ(*sent, 1);
    OutboxRow head = Row(a1);
    EXPECT_EQ(head.state, OutboxState::kPending);
    EXPECT_EQ(head.next_attempt_at, clock_.Now() + wait);
    EXPECT_THAT(head.last_error, HasSubstr("DEADLINE_EXCEEDED"));

    // Not due yet: neither the head nor its follower goes out.
    clock_.Advance(wait - absl::Microseconds(1));
    sent = relay.RunOnce();
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_EQ(*sent, 0);
    clock_.Advance(absl::Microseconds(1));
  }
  Drain(relay);
  EXPECT_EQ(Row(a1).attempts, 5);
  EXPECT_EQ(Row(a2).state, OutboxState::kDelivered);
  EXPECT_EQ(sender_.calls().size(), 6U);

  OutboxRelayOptions options = Options();
  EXPECT_EQ(OutboxBackoffCeiling(options, 0), absl::Seconds(10));
  EXPECT_EQ(OutboxBackoffCeiling(options, 1), absl::Seconds(10));
  EXPECT_EQ(OutboxBackoffCeiling(options, 3), absl::Seconds(40));
  EXPECT_EQ(OutboxBackoffCeiling(options, 4), absl::Seconds(60));
  EXPECT_EQ(OutboxBackoffCeiling(options, 1000), absl::Seconds(60));
}

TEST_P(OutboxTest, MaxAttemptsSettlesATransientFailureAsFailed) {
  const std::string a1 = Enqueue("appointment/a", "a1");
  const std::string a2 = Enqueue("appointment/a", "a2");
  sender_.Script(a1, absl::UnavailableError("down"), 100);
  OutboxRelayOptions options = Options();
  options.max_attempts = 3;
  options.random = [] { return 0.0; };
  OutboxRelay relay(*db_, sender_, options, clock_);
  Drain(relay);
  EXPECT_EQ(Row(a1).state, OutboxState::kFailed);
  EXPECT_EQ(Row(a1).attempts, 3);
  EXPECT_EQ(Row(a2).state, OutboxState::kDelivered);
  EXPECT_EQ(Counted("failed", "UNAVAILABLE"), 1);
}

TEST_P(OutboxTest, AnExpiredLeaseIsClaimedAgain) {
  const std::string a1 = Enqueue("appointment/a", "a1");
  Enqueue("appointment/a", "a2");

  // A relay claims the head and dies before settling it.
  absl::StatusOr<std::vector<OutboxRow>> claimed = outbox_.Claim(*db_, 10, absl::Seconds(30));
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 1U);
  EXPECT_EQ((*claimed)[0].id, a1);
  EXPECT_EQ((*claimed)[0].attempts, 1);
  ASSERT_TRUE((*claimed)[0].lease_until.has_value());
  EXPECT_EQ(*(*claimed)[0].lease_until, clock_.Now() + absl::Seconds(30));

  // While the lease holds nobody else takes the head, nor its follower.
  OutboxRelay relay(*db_, sender_, Options(), clock_);
  absl::StatusOr<int> sent = relay.RunOnce();
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, 0);
  absl::StatusOr<std::vector<OutboxRow>> again = outbox_.Claim(*db_, 10, absl::Seconds(30));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->empty());

  clock_.Advance(absl::Seconds(31));
  Drain(relay);
  EXPECT_EQ(Row(a1).attempts, 2);
  EXPECT_EQ(sender_.SettledOrder(), enqueued_);

  // The dead relay's late settlement changes nothing: its claim is gone.
  absl::StatusOr<bool> late = outbox_.MarkDelivered(*db_, (*claimed)[0]);
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_FALSE(*late);
}

TEST_P(OutboxTest, ReleaseGivesTheClaimBack) {
  const std::string a1 = Enqueue("appointment/a", "a1");
  absl::StatusOr<std::vector<OutboxRow>> claimed = outbox_.Claim(*db_, 10, absl::Seconds(30));
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 1U);
  absl::StatusOr<bool> released = outbox_.Release(*db_, (*claimed)[0]);
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_TRUE(*released);
  OutboxRow row = Row(a1);
  EXPECT_EQ(row.attempts, 0);
  EXPECT_EQ(row.lease_token, "");
  EXPECT_FALSE(row.lease_until.has_value());
  EXPECT_EQ(row.state, OutboxState::kPending);
}

TEST_P(OutboxTest, AClaimAboutToRunOutIsGivenBackUnsent) {
  const std::string a1 = Enqueue("appointment/a", "a1");
  const std::string b1 = Enqueue("appointment/b", "b1");
  // Sending a1 takes six seconds, after which b1's claim (10 s) has less than the 5 s a send may need.
  sender_.set_on_send([&](const OutboxRow& row) {
    if (row.id == a1) clock_.Advance(absl::Seconds(6));
  });
  OutboxRelayOptions options = Options();
  options.lease = absl::Seconds(10);
  options.min_lease_left = absl::Seconds(5);
  OutboxRelay relay(*db_, sender_, options, clock_);
  absl::StatusOr<int> sent = relay.RunOnce();
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, 1);
  OutboxRow given_back = Row(b1);
  EXPECT_EQ(given_back.state, OutboxState::kPending);
  EXPECT_EQ(given_back.attempts, 0);
  EXPECT_FALSE(given_back.lease_until.has_value());

  Drain(relay);
  EXPECT_EQ(Row(b1).attempts, 1);
  EXPECT_EQ(sender_.calls().size(), 2U);
}

TEST_P(OutboxTest, SweepDeletesDeliveredMessagesAfterTheRetention) {
  const std::string delivered = Enqueue("appointment/a", "a1");
  const std::string failed = Enqueue("appointment/b", "b1");
  sender_.Script(failed, absl::FailedPreconditionError("no such appointment"));
  OutboxRelayOptions options = Options();
  options.retention = absl::Hours(24);
  OutboxRelay relay(*db_, sender_, options, clock_);
  Drain(relay);
  clock_.Advance(absl::Hours(1));
  const std::string recent = Enqueue("appointment/a", "a2");
  Drain(relay);

  clock_.Advance(absl::Hours(23) + absl::Seconds(1));
  absl::StatusOr<int> swept = relay.Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(outbox_.Get(*db_, delivered).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Row(failed).state, OutboxState::kFailed);  // Kept for operators.
  EXPECT_EQ(Row(recent).state, OutboxState::kDelivered);

  // Sequence numbers keep growing after a sweep, so the order of what comes next still holds.
  const std::string next = Enqueue("appointment/a", "a3");
  EXPECT_GT(Row(next).seq, Row(recent).seq);

  clock_.Advance(absl::Hours(2));
  swept = relay.Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
}

// Two transactions enqueuing for one key commit one after the other, so the relay can never see the second
// message while the first is still uncommitted (on PostgreSQL a sequence number is taken at insert, not at
// commit).
TEST_P(OutboxTest, WritersOfOneKeyAreSerialised) {
  absl::StatusOr<Transaction> first = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::string> first_id = outbox_.Enqueue(*first, Message("appointment/a", "first"));
  ASSERT_TRUE(first_id.ok()) << first_id.status();

  std::unique_ptr<Database> other = Open();
  ASSERT_NE(other, nullptr);
  std::atomic<bool> second_done{false};
  std::string second_id;
  std::thread second([&] {
    absl::Status status = other->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::string> id = outbox_.Enqueue(tx, Message("appointment/a", "second"));
      if (!id.ok()) return id.status();
      second_id = *id;
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    second_done = true;
  });
  // The second writer waits for the first (an observation window: it must not finish meanwhile).
  EXPECT_FALSE(WaitFor([&] { return second_done.load(); }, absl::Milliseconds(300)));
  ASSERT_TRUE(first->Commit().ok());
  second.join();
  ASSERT_TRUE(second_done);
  EXPECT_LT(Row(*first_id).seq, Row(second_id).seq);

  // A different key does not wait.
  absl::StatusOr<Transaction> holder = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(outbox_.Enqueue(*holder, Message("appointment/x", "held")).ok());
  if (GetParam() == Backend::kPostgres) {  // SQLite has a single writer whatever the key.
    absl::Status other_key = other->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      return outbox_.Enqueue(tx, Message("appointment/y", "free")).status();
    });
    EXPECT_TRUE(other_key.ok()) << other_key;
  }
  ASSERT_TRUE(holder->Rollback().ok());
}

TEST_P(OutboxTest, TwoRelaysDeliverEveryMessageOnceAndInOrder) {
  constexpr int kMessages = 240;
  constexpr int kKeys = 8;
  clock_.Set(absl::Now() - absl::Minutes(1));  // Due for relays on the real clock.
  for (int i = 0; i < kMessages; ++i) Enqueue(absl::StrCat("appointment/", i % kKeys), absl::StrCat(i));
  sender_.set_delay(absl::Microseconds(300));  // Keeps both relays busy at once.

  // Each relay has its own connections, as separate processes would.
  std::unique_ptr<Database> db2 = Open();
  ASSERT_NE(db2, nullptr);
  Clock& real = Clock::Real();
  OutboxRelayOptions options = Options();
  options.random = {};
  OutboxRelay first(*db_, sender_, options, real);
  OutboxRelay second(*db2, sender_, options, real);
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(second.Start().ok());
  EXPECT_TRUE(WaitFor([&] { return Pending() == 0; }));
  first.Stop();
  second.Stop();

  std::vector<RecordingSender::Call> calls = sender_.calls();
  EXPECT_EQ(calls.size(), static_cast<size_t>(kMessages));
  std::set<std::string> ids;
  for (const RecordingSender::Call& call : calls) {
    EXPECT_TRUE(ids.insert(call.id).second) << "sent twice: " << call.id;
    EXPECT_EQ(call.attempts, 1);
  }
  EXPECT_EQ(sender_.SettledOrder(), enqueued_);
  EXPECT_EQ(Count("state = 'delivered'"), kMessages);
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace tandem::db
