// The dispatcher end to end on real parts: SQLite, a real redis-server, a real HTTP receiver. Covers
// delivery, retries with backoff, dead letters, cancellation, discretion at send time, Redis lost and
// restarted empty, a consumer that died mid-batch, two dispatchers sharing the work exactly once, and a
// reminder due later within the millisecond the due index is moved in.
#include "services/reminders/dispatch/dispatcher.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/db/database.h"
#include "gtest/gtest.h"
#include "services/reminders/channels/webhook_channel.h"
#include "services/reminders/dispatch/reminders_metrics.h"
#include "tests/reminders/counting_receiver.h"
#include "tests/reminders/reminders_harness.h"

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;

class FullJitter final : public RandomSource {
 public:
  double Uniform01() override { return 1.0; }
};

// Timing assumptions. The counts below are exact ("sent once", "3 attempts") only while no claim outlives its
// lease: a reminder whose lease expires mid-attempt is claimed again and sent twice (at least once, by
// design). The slowest attempt these tests allow waits for SQLite's writer to claim (up to the harness
// database's busy timeout, DatabaseOptions' default), sends (the channel gives up after kSendTimeout: a
// failed attempt, never a second send) and waits for the writer again to record. kLease is longer than all
// of that, so a slow machine or a sanitizer build makes these tests slower, not wrong. Tests about expired
// leases set their own, shorter ones, and say what they assume.
constexpr absl::Duration kDatabaseWait = absl::Seconds(5);
constexpr absl::Duration kSendTimeout = absl::Seconds(2);
constexpr absl::Duration kLease = absl::Seconds(20);  // > kDatabaseWait + kSendTimeout + kDatabaseWait

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The timing assumptions above, checked where a change would break them: the harness opens its database
    // with the default options.
    ASSERT_EQ(db::DatabaseOptions{}.busy_timeout, kDatabaseWait);
    ASSERT_GT(kLease, kDatabaseWait + kSendTimeout + kDatabaseWait);
    auto harness = RemindersHarness::Create();
    ASSERT_TRUE(harness.ok()) << harness.status();
    h_ = *std::move(harness);
    ASSERT_TRUE(h_->PutDefaultTemplate().ok());
    ASSERT_TRUE(h_->index().EnsureGroup().ok());
  }
  void TearDown() override {
    for (auto& d : dispatchers_) d->Stop();
    dispatchers_.clear();
    channels_.clear();
  }

  static DispatcherOptions Options(const std::string& worker, int threads = 2) {
    DispatcherOptions options;
    options.worker_id = worker;
    options.threads = threads;
    options.batch = 8;
    options.read_block = absl::Milliseconds(200);
    options.lease = kLease;
    options.move_interval = absl::Milliseconds(30);
    options.reclaim_interval = absl::Milliseconds(200);
    options.reconcile_interval = absl::Milliseconds(300);
    options.error_pause = absl::Milliseconds(50);
    return options;
  }

  // A dispatcher sending to `receiver`, not started.
  Dispatcher& MakeDispatcher(CountingReceiver& receiver, const DispatcherOptions& options,
                             const Clock& clock = Clock::Real()) {
    WebhookChannelOptions webhook;
    webhook.url = receiver.url();
    webhook.secret = "0123456789abcdef0123456789abcdef";
    webhook.allow_plain_http = true;
    webhook.timeout = kSendTimeout;
    channels_.push_back(*WebhookChannel::Create(webhook));
    dispatchers_.push_back(std::make_unique<Dispatcher>(
        h_->store(), h_->index(), Dispatcher::Channels{{ChannelKind::kWebhook, channels_.back().get()}},
        DiscretionPolicy::Default(), backoff_, clock, options));
    return *dispatchers_.back();
  }

  // `threads` = 0 runs only the housekeeping loop: due reminders are moved into the stream, none is sent.
  Dispatcher& StartDispatcher(CountingReceiver& receiver, const std::string& worker = "w1", int threads = 2) {
    Dispatcher& dispatcher = MakeDispatcher(receiver, Options(worker, threads));
    dispatcher.Start();
    return dispatcher;
  }

  // What one consumer thread does with one read: deliver each entry, acknowledge those that are done.
  void ConsumeOnce(Dispatcher& dispatcher) {
    auto entries = h_->index().Read("test/0", 16, absl::Milliseconds(50));
    ASSERT_TRUE(entries.ok()) << entries.status();
    std::vector<std::string> done;
    for (const DueEntry& entry : *entries) {
      if (dispatcher.Deliver(entry.reminder_id).ok()) done.push_back(entry.entry_id);
    }
    ASSERT_TRUE(h_->index().Ack(done).ok());
  }

  // Stores and indexes a reminder, as the service does.
  ReminderProto Schedule(const std::string& key, absl::Time due,
                         const std::string& owner = "appointment/a1") {
    auto stored = h_->Schedule(h_->MakeReminder(key, due, owner));
    EXPECT_TRUE(stored.ok()) << stored.status();
    EXPECT_TRUE(h_->index().Add({{stored->reminder_id(), due}}).ok());
    return *stored;
  }

  v1::ReminderState StateOf(const ReminderProto& r) {
    return h_->store().Get("c1", r.reminder_id())->state();
  }

  std::unique_ptr<RemindersHarness> h_;
  FullJitter random_;
  Backoff backoff_ = *Backoff::Create({absl::Milliseconds(50), absl::Milliseconds(200), 3}, random_);
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<std::unique_ptr<Dispatcher>> dispatchers_;
};

TEST_F(DispatcherTest, DeliversADueReminderOnceWithItsIdempotencyId) {
  CountingReceiver receiver;
  StartDispatcher(receiver);
  ReminderProto r = Schedule("k1", absl::Now());
  ASSERT_TRUE(WaitFor([&] { return StateOf(r) == v1::REMINDER_STATE_DELIVERED; }));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(receiver.total(), 1);
  EXPECT_EQ(receiver.by_key()[r.delivery_id()], 1);
  auto delivered = h_->store().Get("c1", r.reminder_id());
  EXPECT_EQ(delivered->attempts(), 1);
  EXPECT_TRUE(delivered->has_delivered_time());
  auto depth = h_->index().Depth();
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(depth->waiting, 0);
  EXPECT_EQ(depth->queued, 0);  // acknowledged and deleted
}

TEST_F(DispatcherTest, ADueReminderMovedIntoTheStreamIsQueuedUntilAWorkerClaimsIt) {
  CountingReceiver receiver;
  StartDispatcher(receiver, "mover", /*threads=*/0);
  ReminderProto due = Schedule("q-due", absl::Now());
  ReminderProto later = Schedule("q-later", absl::Now() + absl::Hours(1), "appointment/a2");
  ASSERT_TRUE(WaitFor([&] { return StateOf(due) == v1::REMINDER_STATE_QUEUED; }));
  EXPECT_EQ(StateOf(later), v1::REMINDER_STATE_SCHEDULED);
  StartDispatcher(receiver, "w1");
  ASSERT_TRUE(WaitFor([&] { return StateOf(due) == v1::REMINDER_STATE_DELIVERED; }));
  EXPECT_EQ(receiver.total(), 1);
}

// The due index scores whole milliseconds, the database keeps microseconds. A reminder due later within the
// millisecond a move happens in must stay in the due set: moved early, a consumer's claim finds it not yet
// due, the entry is acknowledged, and only the next reconcile brings it back (runs of 30,000 reminders at
// 1,000/s, with reconciling off, lost 6 and 7 this way).
TEST_F(DispatcherTest, AReminderDueLaterInTheCurrentMillisecondIsNotMovedEarly) {
  FakeClock clock(absl::FromUnixMillis(absl::ToUnixMillis(absl::Now())));  // a whole millisecond
  CountingReceiver receiver;
  Dispatcher& dispatcher = MakeDispatcher(receiver, Options("w1"), clock);
  const absl::Time due = clock.Now() + absl::Microseconds(2600);
  ReminderProto r = Schedule("sub-ms", due);

  clock.Set(due - absl::Microseconds(300));  // the same millisecond, before the due time
  ASSERT_TRUE(dispatcher.MoveDueNow().ok());
  auto depth = h_->index().Depth();
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(depth->waiting, 1) << "moved into the stream before it was due";
  EXPECT_EQ(depth->queued, 0);
  ConsumeOnce(dispatcher);

  clock.Set(due + absl::Microseconds(400));  // the next whole millisecond: moved no later than this
  ASSERT_TRUE(dispatcher.MoveDueNow().ok());
  ConsumeOnce(dispatcher);
  EXPECT_EQ(StateOf(r), v1::REMINDER_STATE_DELIVERED);
  EXPECT_EQ(receiver.total(), 1);
}

TEST_F(DispatcherTest, ANotYetDueReminderWaits) {
  CountingReceiver receiver;
  StartDispatcher(receiver);
  ReminderProto r = Schedule("later", absl::Now() + absl::Seconds(1));
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(receiver.total(), 0);
  ASSERT_TRUE(WaitFor([&] { return StateOf(r) == v1::REMINDER_STATE_DELIVERED; }));
}

TEST_F(DispatcherTest, RetriesWithBackoffUntilTheReceiverRecovers) {
  CountingReceiver receiver(/*fail_first=*/2);
  StartDispatcher(receiver);
  ReminderProto r = Schedule("flaky", absl::Now());
  ASSERT_TRUE(WaitFor([&] { return StateOf(r) == v1::REMINDER_STATE_DELIVERED; }));
  EXPECT_EQ(h_->store().Get("c1", r.reminder_id())->attempts(), 3);
  EXPECT_EQ(receiver.total(), 3);
  EXPECT_EQ(receiver.by_key()[r.delivery_id()], 3);  // every attempt carries the same id
}

TEST_F(DispatcherTest, DeadLettersAfterTheConfiguredAttemptsWhenTheReceiverNeverRecovers) {
  CountingReceiver receiver(/*fail_first=*/-1);
  StartDispatcher(receiver);
  ReminderProto r = Schedule("down", absl::Now());
  ASSERT_TRUE(WaitFor([&] { return StateOf(r) == v1::REMINDER_STATE_DEAD; }));
  auto dead = h_->store().Get("c1", r.reminder_id());
  EXPECT_EQ(dead->dead_reason(), "max_attempts");
  EXPECT_EQ(dead->attempts(), 3);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(receiver.total(), 3);
}

TEST_F(DispatcherTest, ACancelledReminderIsNeverSent) {
  CountingReceiver receiver;
  StartDispatcher(receiver);
  ReminderProto r = Schedule("cancel-me", absl::Now() + absl::Milliseconds(700), "appointment/cancelled");
  ReminderProto other = Schedule("keep-me", absl::Now() + absl::Milliseconds(700), "appointment/kept");
  auto cancelled = h_->CancelByOwner("c1", "appointment/cancelled");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, 1);
  ASSERT_TRUE(WaitFor([&] { return StateOf(other) == v1::REMINDER_STATE_DELIVERED; }));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(StateOf(r), v1::REMINDER_STATE_CANCELLED);
  EXPECT_EQ(receiver.by_key().count(r.delivery_id()), 0u);
  EXPECT_EQ(receiver.total(), 1);
}

TEST_F(DispatcherTest, ADeniedWordArrivingAtSendTimeIsDeadLetteredAndNotSent) {
  CountingReceiver receiver;
  StartDispatcher(receiver);
  NewReminder n = h_->MakeReminder("indiscreet", absl::Now());
  (*n.reminder.mutable_params())["first_name"] = "your psychiatric";
  auto stored = h_->Schedule(n);
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(h_->index().Add({{stored->reminder_id(), absl::Now()}}).ok());
  ASSERT_TRUE(WaitFor([&] { return StateOf(*stored) == v1::REMINDER_STATE_DEAD; }));
  EXPECT_EQ(h_->store().Get("c1", stored->reminder_id())->dead_reason(), "discretion");
  EXPECT_EQ(receiver.total(), 0);
}

TEST_F(DispatcherTest, EveryDueReminderIsDeliveredAfterRedisIsKilledAndRestartsEmpty) {
  CountingReceiver receiver;
  std::vector<ReminderProto> due;
  due.reserve(20);
  for (int i = 0; i < 20; ++i) {
    due.push_back(Schedule("r" + std::to_string(i), absl::Now() + absl::Milliseconds(800)));
  }
  StartDispatcher(receiver);
  ASSERT_TRUE(h_->redis_server().Kill9().ok());
  absl::SleepFor(absl::Milliseconds(1000));        // due while Redis is gone
  ASSERT_TRUE(h_->redis_server().Restart().ok());  // empty: no due set, no stream, no group
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& r : due) {
      if (StateOf(r) != v1::REMINDER_STATE_DELIVERED) return false;
    }
    return true;
  }));
  auto by_key = receiver.by_key();
  for (const auto& r : due) EXPECT_EQ(by_key[r.delivery_id()], 1);
  EXPECT_EQ(receiver.total(), 20);
}

TEST_F(DispatcherTest, EntriesOfAConsumerThatDiedMidBatchAreReclaimedAndDelivered) {
  CountingReceiver receiver;
  std::vector<ReminderProto> due;
  due.reserve(5);
  const absl::Time due_at = absl::Now() - absl::Seconds(1);  // due before the move below, whatever its speed
  for (int i = 0; i < 5; ++i) due.push_back(Schedule("d" + std::to_string(i), due_at));
  // A worker read the batch and claimed it, then died before sending or acknowledging anything.
  auto moved = h_->index().MoveDue(absl::Now(), 100);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->size(), 5u);
  auto taken = h_->index().Read("dead-worker/0", 10, absl::Milliseconds(100));
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 5u);
  for (const auto& r : due) {
    ASSERT_TRUE(
        h_->store().Claim(r.reminder_id(), "dead-worker", absl::Now(), absl::Seconds(1))->has_value());
  }
  // The live dispatcher takes over stream entries idle for longer than its lease, so this test needs a short
  // one; its own attempts may then outlive it on a slow machine and send twice, so the checks below are the
  // invariants: every reminder delivered, at least once, after the dead worker's claim, and the dead worker's
  // entries gone from the stream (only a reclaim and an acknowledgement take them out).
  DispatcherOptions options = Options("w1");
  options.lease = absl::Seconds(2);
  MakeDispatcher(receiver, options).Start();
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& r : due) {
      if (StateOf(r) != v1::REMINDER_STATE_DELIVERED) return false;
    }
    auto depth = h_->index().Depth();
    return depth.ok() && depth->queued == 0;
  }));
  auto by_key = receiver.by_key();
  for (const auto& r : due) {
    EXPECT_GE(h_->store().Get("c1", r.reminder_id())->attempts(), 2);
    EXPECT_GE(by_key[r.delivery_id()], 1);
  }
}

// Each dispatcher sends to a receiver of its own, so the test sees who sent what. Both run before the
// reminders are scheduled, so both have consumers waiting on the stream whenever reminders are moved into it.
TEST_F(DispatcherTest, TwoDispatchersDeliverEachReminderExactlyOnce) {
  CountingReceiver receiver1;
  CountingReceiver receiver2;
  StartDispatcher(receiver1, "w1");
  StartDispatcher(receiver2, "w2");
  std::vector<ReminderProto> due;
  due.reserve(200);
  const absl::Time due_at = absl::Now() + absl::Milliseconds(500);
  for (int i = 0; i < 200; ++i) due.push_back(Schedule("x" + std::to_string(i), due_at));
  ASSERT_TRUE(WaitFor([&] { return receiver1.total() + receiver2.total() >= 200; }));
  absl::SleepFor(absl::Milliseconds(800));  // two reconcile periods: nothing is sent again
  auto by_key1 = receiver1.by_key();
  auto by_key2 = receiver2.by_key();
  EXPECT_EQ(receiver1.total() + receiver2.total(), 200);
  EXPECT_GT(receiver1.total(), 0) << "w1 delivered nothing";
  EXPECT_GT(receiver2.total(), 0) << "w2 delivered nothing";
  for (const auto& r : due) EXPECT_EQ(by_key1[r.delivery_id()] + by_key2[r.delivery_id()], 1);
}

// A send slower than the lease: the same process claims the reminder again and sends it again. The first
// attempt failed, the second got through; only the second claim may record its outcome, so the reminder ends
// delivered (not failed and due for a third send) and counts as one delivery and no retry.
// Timing: the receiver holds each answer kSlowAnswer, far longer than kShortLease; the second claim comes
// kShortLease after the first send reached the receiver (so after the first lease expired) and long before
// that send is answered. The sends run on this test's threads only: no dispatcher is started.
TEST_F(DispatcherTest, ASlowSendReclaimedByTheSameProcessIsRecordedByTheNewerClaimOnly) {
  constexpr absl::Duration kShortLease = absl::Milliseconds(300);
  constexpr absl::Duration kSlowAnswer = absl::Seconds(2);
  CountingReceiver receiver(/*fail_first=*/1, /*delay=*/kSlowAnswer);
  WebhookChannelOptions webhook;
  webhook.url = receiver.url();
  webhook.secret = "0123456789abcdef0123456789abcdef";
  webhook.allow_plain_http = true;
  webhook.timeout = kSlowAnswer + kSendTimeout;
  auto channel = WebhookChannel::Create(webhook);
  ASSERT_TRUE(channel.ok()) << channel.status();
  DispatcherOptions options;
  options.worker_id = "w1";
  options.lease = kShortLease;
  Dispatcher dispatcher(h_->store(), h_->index(), {{ChannelKind::kWebhook, channel->get()}},
                        DiscretionPolicy::Default(), backoff_, Clock::Real(), options);
  ReminderProto r = Schedule("slow", absl::Now());
  metrics::Counter& delivered = RemindersMetrics::Get().attempts.WithLabels({"webhook", "delivered"});
  metrics::Counter& retried = RemindersMetrics::Get().attempts.WithLabels({"webhook", "retry"});
  const double delivered_before = delivered.value();
  const double retried_before = retried.value();

  std::thread slow([&] { EXPECT_TRUE(dispatcher.Deliver(r.reminder_id()).ok()); });
  ASSERT_TRUE(WaitFor([&] { return receiver.total() == 1; }));  // claimed, and its send is being answered
  absl::SleepFor(kShortLease);  // the first claim's lease has expired; its send is still in flight
  EXPECT_TRUE(dispatcher.Deliver(r.reminder_id()).ok());
  slow.join();

  EXPECT_EQ(receiver.total(), 2);  // at least once: both sends went out, with one idempotency id
  EXPECT_EQ(receiver.by_key()[r.delivery_id()], 2);
  auto stored = h_->store().Get("c1", r.reminder_id());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->state(), v1::REMINDER_STATE_DELIVERED);
  EXPECT_EQ(stored->attempts(), 2);
  EXPECT_EQ(delivered.value() - delivered_before, 1);
  EXPECT_EQ(retried.value() - retried_before, 0);
}

}  // namespace
}  // namespace tandem::reminders
