// Reminder dispatch measured end to end on real parts: N reminders scheduled into a migrated SQLite store and
// the Redis due index, all due at the same instant, then a Dispatcher sends them through the webhook channel
// to a local HTTP sink. Reports scheduling rate, dispatch throughput and the lag from due time to arrival at
// the sink (p50/p90/p99/max), then runs redis-benchmark on the same Redis as the baseline of the same run.
// Every reminder is accounted for at the end, from the sink's unique delivery ids and the store's rows: an
// arrival count alone would let a duplicate hide a loss. Any reminder that never arrived, arrived twice, or
// whose row disagrees with the sink fails the run.
//
//   tandem_reminders_bench --reminders=100000 --threads=8                  a backlog: throughput
//   tandem_reminders_bench --reminders=30000 --threads=8 --due_rate=1000   steady load: lag
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/latency_histogram.h"
#include "common/db/database.h"
#include "common/status/status_macros.h"
#include "services/reminders/channels/webhook_channel.h"
#include "services/reminders/dispatch/dispatcher.h"
#include "services/reminders/domain/reminder_state.h"
#include "tests/reminders/reminders_harness.h"
#include "tests/reminders/test_http_server.h"

ABSL_FLAG(int, reminders, 100000, "reminders to schedule and dispatch");
ABSL_FLAG(int, threads, 8, "dispatcher consumer threads");
ABSL_FLAG(int, batch, 32, "stream entries per read");
ABSL_FLAG(bool, redis_benchmark, true, "also run redis-benchmark on the same Redis");
ABSL_FLAG(double, due_rate, 0,
          "0: every reminder due at the same instant (a backlog: measures throughput); N > 0: N reminders "
          "become due per second (steady load below capacity: measures lag)");
ABSL_FLAG(absl::Duration, stall, absl::Seconds(15),
          "stop waiting when no new reminder has arrived for this long after the last one became due");

namespace tandem::reminders {
namespace {

class FullJitter final : public RandomSource {
 public:
  double Uniform01() override { return 1.0; }
};

struct Arrivals {
  int count = 0;
  absl::Time first = absl::InfiniteFuture();
};

// Where every scheduled reminder ended: the sink's unique delivery ids against the store's rows, and for the
// rows still to send, whether Redis still holds them (the due set, or the stream's work in progress).
struct Accounting {
  int rows = 0;
  int expected = 0;
  int arrived_once = 0;
  int arrived_more = 0;  // reminders that arrived more than once
  int extra_arrivals = 0;
  int never_arrived = 0;
  int foreign_arrivals = 0;  // requests whose delivery id is none of ours
  int delivered = 0;
  int dead = 0;
  int cancelled = 0;
  int to_send = 0;  // scheduled, queued, failed or delivering
  int to_send_in_due_set = 0;
  int to_send_in_stream = 0;
  int to_send_in_neither = 0;
  int recorded_not_arrived = 0;      // delivered in the store, never at the sink
  int arrived_not_recorded = 0;      // at the sink, not delivered in the store
  std::vector<std::string> missing;  // a few reminders that never arrived, described for diagnosis

  bool ok() const {
    return rows == expected && arrived_once == expected && arrived_more == 0 && foreign_arrivals == 0 &&
           recorded_not_arrived == 0 && arrived_not_recorded == 0;
  }
  // Prints the accounting; true when every reminder arrived exactly once and its row says delivered.
  bool Print() const {
    std::printf(
        "accounted:             %d reminders, %d rows: %d arrived once, %d more than once (+%d), %d never; "
        "%d arrivals not ours\n",
        expected, rows, arrived_once, arrived_more, extra_arrivals, never_arrived, foreign_arrivals);
    std::printf(
        "store at the end:      %d delivered, %d dead, %d cancelled, %d still to send (%d in the due set, "
        "%d in the stream, %d in neither); %d delivered but never arrived, %d arrived but not delivered\n",
        delivered, dead, cancelled, to_send, to_send_in_due_set, to_send_in_stream, to_send_in_neither,
        recorded_not_arrived, arrived_not_recorded);
    for (const std::string& line : missing) std::printf("never arrived:         %s\n", line.c_str());
    if (!ok()) std::printf("FAILED: not every reminder was delivered exactly once\n");
    return ok();
  }
};

absl::StatusOr<Accounting> Account(RemindersHarness& h,
                                   const absl::flat_hash_map<std::string, Arrivals>& arrived,
                                   int foreign_arrivals, int expected) {
  absl::flat_hash_set<std::string> in_due_set, in_stream;
  ASSIGN_OR_RETURN(redis::RedisReply due_set, h.redis().Command({"ZRANGE", h.index().due_key(), "0", "-1"}));
  for (const redis::RedisReply& id : due_set.elements()) in_due_set.insert(id.str());
  ASSIGN_OR_RETURN(redis::RedisReply stream, h.redis().Command({"XRANGE", h.index().stream_key(), "-", "+"}));
  for (const redis::RedisReply& entry : stream.elements()) {
    if (entry.elements().size() != 2) continue;
    const auto& fields = entry.elements()[1].elements();
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str() == "id") in_stream.insert(fields[i + 1].str());
    }
  }
  ASSIGN_OR_RETURN(auto tx, h.database().Begin(db::TxMode::kRead));
  ASSIGN_OR_RETURN(db::ResultSet rows,
                   tx.Execute("SELECT reminder_id, delivery_id, state, attempts, due_at, next_attempt_at "
                              "FROM reminders",
                              {}));
  Accounting a;
  a.expected = expected;
  a.foreign_arrivals = foreign_arrivals;
  for (const db::Row& row : rows) {
    ++a.rows;
    ASSIGN_OR_RETURN(std::string reminder_id, row.GetText("reminder_id"));
    ASSIGN_OR_RETURN(std::string delivery_id, row.GetText("delivery_id"));
    ASSIGN_OR_RETURN(std::string state_name, row.GetText("state"));
    ASSIGN_OR_RETURN(ReminderState state, ParseReminderState(state_name));
    auto found = arrived.find(delivery_id);
    const int count = found == arrived.end() ? 0 : found->second.count;
    if (count == 1) ++a.arrived_once;
    if (count > 1) {
      ++a.arrived_more;
      a.extra_arrivals += count - 1;
    }
    if (count == 0) ++a.never_arrived;
    if (count == 0 && state == ReminderState::kDelivered) ++a.recorded_not_arrived;
    if (count > 0 && state != ReminderState::kDelivered) ++a.arrived_not_recorded;
    const bool queued_in_set = in_due_set.contains(reminder_id);
    const bool queued_in_stream = in_stream.contains(reminder_id);
    switch (state) {
      case ReminderState::kDelivered:
        ++a.delivered;
        break;
      case ReminderState::kDead:
        ++a.dead;
        break;
      case ReminderState::kCancelled:
        ++a.cancelled;
        break;
      default:
        ++a.to_send;
        if (queued_in_set) ++a.to_send_in_due_set;
        if (queued_in_stream) ++a.to_send_in_stream;
        if (!queued_in_set && !queued_in_stream) ++a.to_send_in_neither;
        break;
    }
    if (count == 0 && a.missing.size() < 10) {
      ASSIGN_OR_RETURN(int64_t attempts, row.GetInt64("attempts"));
      ASSIGN_OR_RETURN(absl::Time due, row.GetTime("due_at"));
      ASSIGN_OR_RETURN(absl::Time next, row.GetTime("next_attempt_at"));
      a.missing.push_back(
          absl::StrCat(reminder_id, " state ", state_name, ", attempts ", attempts, ", due at unix us ",
                       absl::ToUnixMicros(due), ", next attempt at unix us ", absl::ToUnixMicros(next),
                       queued_in_set ? ", in the due set" : "", queued_in_stream ? ", in the stream" : ""));
    }
  }
  RETURN_IF_ERROR(tx.Commit());
  return a;
}

int Run() {
  const int n = absl::GetFlag(FLAGS_reminders);
  auto harness = RemindersHarness::Create();
  if (!harness.ok()) {
    std::fprintf(stderr, "setup failed: %s\n", std::string(harness.status().message()).c_str());
    return 1;
  }
  RemindersHarness& h = **harness;
  if (!h.PutDefaultTemplate().ok() || !h.index().EnsureGroup().ok()) return 1;

  // The sink's record by delivery id. `ours` is set once every reminder is scheduled (nothing is sent
  // before); an id not among them is counted apart.
  absl::Mutex mu;
  absl::flat_hash_map<std::string, Arrivals> arrivals;
  int unique_arrivals = 0;
  int foreign_arrivals = 0;
  const absl::flat_hash_map<std::string, absl::Time>* ours = nullptr;
  auto sink = testing::TestHttpServer::Start([&](const testing::TestHttpServer::Request& request) {
    absl::Time now = absl::Now();
    auto key = request.headers.find("tandem-idempotency-key");
    absl::MutexLock lock(&mu);
    if (key == request.headers.end() || ours == nullptr || !ours->contains(key->second)) {
      ++foreign_arrivals;
    } else if (Arrivals& a = arrivals[key->second]; a.count++ == 0) {
      a.first = now;
      ++unique_arrivals;
    }
    return testing::TestHttpServer::Response{};
  });
  if (!sink.ok()) return 1;

  // Schedule everything due a moment after scheduling ends.
  const absl::Time started = absl::Now();
  const absl::Time due = started + absl::Hours(1);  // moved to the real due time below
  std::vector<std::pair<std::string, absl::Time>> index_batch;
  std::vector<std::string> delivery_ids;
  delivery_ids.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto stored = h.Schedule(h.MakeReminder(absl::StrCat("bench-", i), due, absl::StrCat("bench/", i)));
    if (!stored.ok()) {
      std::fprintf(stderr, "schedule failed: %s\n", std::string(stored.status().message()).c_str());
      return 1;
    }
    index_batch.emplace_back(stored->reminder_id(), due);
    delivery_ids.push_back(stored->delivery_id());
  }
  const absl::Duration schedule_time = absl::Now() - started;
  // Due from now on: all at once, or `due_rate` per second; the same time in the database and in the index.
  const double rate = absl::GetFlag(FLAGS_due_rate);
  const absl::Time due_at = absl::Now() + absl::Milliseconds(500);
  absl::flat_hash_map<std::string, absl::Time> due_by_delivery_id;
  {
    auto tx = h.database().Begin(db::TxMode::kWrite);
    if (!tx.ok()) return 1;
    for (int i = 0; i < n; ++i) {
      absl::Time due_i = rate > 0 ? due_at + absl::Seconds(i / rate) : due_at;
      index_batch[i].second = due_i;
      due_by_delivery_id[delivery_ids[i]] = due_i;
      if (rate > 0 &&
          !tx->Execute("UPDATE reminders SET next_attempt_at = $1, due_at = $1 WHERE reminder_id = $2",
                       {due_i, index_batch[i].first})
               .ok()) {
        return 1;
      }
    }
    if (rate <= 0 && !tx->Execute("UPDATE reminders SET next_attempt_at = $1, due_at = $1", {due_at}).ok()) {
      return 1;
    }
    if (!tx->Commit().ok()) return 1;
  }
  {
    absl::MutexLock lock(&mu);
    ours = &due_by_delivery_id;
  }
  const auto total = static_cast<std::ptrdiff_t>(index_batch.size());
  for (std::ptrdiff_t i = 0; i < total; i += 1000) {
    std::vector<std::pair<std::string, absl::Time>> chunk(index_batch.begin() + i,
                                                          index_batch.begin() + std::min(total, i + 1000));
    if (!h.index().Add(chunk).ok()) return 1;
  }

  WebhookChannelOptions webhook;
  webhook.url = (*sink)->Url();
  webhook.secret = "0123456789abcdef0123456789abcdef";
  webhook.allow_plain_http = true;
  auto channel = WebhookChannel::Create(webhook);
  if (!channel.ok()) return 1;
  FullJitter random;
  auto backoff = Backoff::Create({}, random);
  DispatcherOptions options;
  options.worker_id = "bench";
  options.threads = absl::GetFlag(FLAGS_threads);
  options.batch = absl::GetFlag(FLAGS_batch);
  options.move_interval = absl::Milliseconds(20);
  options.reconcile_interval = absl::Hours(1);
  Dispatcher dispatcher(h.store(), h.index(), {{ChannelKind::kWebhook, channel->get()}},
                        DiscretionPolicy::Default(), *backoff, Clock::Real(), options);
  dispatcher.Start();
  // Wait for every reminder, by unique delivery id, or until none has arrived for `stall` after the last due
  // time: a reminder still missing then is stuck, not late (nothing in this run crashes or times out).
  const absl::Time last_due = rate > 0 && n > 0 ? due_at + absl::Seconds((n - 1) / rate) : due_at;
  const absl::Duration stall = absl::GetFlag(FLAGS_stall);
  int seen = -1;
  absl::Time last_progress = absl::Now();
  while (true) {
    int unique = 0;
    {
      absl::MutexLock lock(&mu);
      unique = unique_arrivals;
    }
    if (unique >= n) break;
    absl::Time now = absl::Now();
    if (unique > seen) {
      seen = unique;
      last_progress = now;
    }
    if (now > std::max(last_due, last_progress) + stall) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Duration waited_after_last_due = absl::Now() - last_due;
  dispatcher.Stop();  // joins the consumers: the sink's record is final from here

  absl::flat_hash_map<std::string, Arrivals> arrived;
  int foreign = 0;
  {
    absl::MutexLock lock(&mu);
    arrived = std::move(arrivals);
    foreign = foreign_arrivals;
  }
  bench::LatencyHistogram lag;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (const auto& [delivery_id, a] : arrived) {
    lag.Record(static_cast<uint64_t>(
        std::max<int64_t>(0, absl::ToInt64Microseconds(a.first - due_by_delivery_id[delivery_id]))));
    first = std::min(first, a.first);
    last = std::max(last, a.first);
  }
  const int delivered = static_cast<int>(arrived.size());
  const double seconds = absl::ToDoubleSeconds(last - std::min(first, due_at));
  std::printf("reminders scheduled:   %d in %.2f s (%.0f/s, store + cipher)\n", n,
              absl::ToDoubleSeconds(schedule_time), n / absl::ToDoubleSeconds(schedule_time));
  std::printf(
      "reminders delivered:   %d (unique delivery ids; waited until %.1f s after the last due time)\n",
      delivered, absl::ToDoubleSeconds(waited_after_last_due));
  std::printf("dispatch throughput:   %.0f reminders/s (%d consumers, batch %d, %s)\n",
              delivered / std::max(seconds, 1e-9), options.threads, options.batch,
              rate > 0 ? absl::StrCat("due at ", rate, "/s").c_str() : "all due at once");
  std::printf("lag due->sink:         p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
              static_cast<double>(lag.Percentile(0.50)) / 1e3,
              static_cast<double>(lag.Percentile(0.90)) / 1e3,
              static_cast<double>(lag.Percentile(0.99)) / 1e3, static_cast<double>(lag.max()) / 1e3);
  auto accounted = Account(h, arrived, foreign, n);
  if (!accounted.ok()) {
    std::fprintf(stderr, "accounting failed: %s\n", std::string(accounted.status().message()).c_str());
    return 1;
  }
  const bool all_accounted = accounted->Print();
  std::fflush(stdout);
  if (absl::GetFlag(FLAGS_redis_benchmark)) {
    std::string command = absl::StrCat("redis-benchmark -p ", h.redis_server().port(), " -q -n ",
                                       std::max(n, 10000), " -c 8 -t set,zadd,lpush --csv 2>&1");
    std::printf("baseline (same Redis): %s\n", command.c_str());
    std::fflush(stdout);
    if (std::system(command.c_str()) != 0) return 1;
  }
  return all_accounted ? 0 : 1;
}

}  // namespace
}  // namespace tandem::reminders

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tandem::reminders::Run();
}
