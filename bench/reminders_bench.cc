// Reminder dispatch measured end to end on real parts: N reminders scheduled into a migrated SQLite store and
// the Redis due index, all due at the same instant, then a Dispatcher sends them through the webhook channel
// to a local HTTP sink. Reports scheduling rate, dispatch throughput and the lag from due time to arrival at
// the sink (p50/p90/p99/max), then runs redis-benchmark on the same Redis as the baseline of the same run.
//
//   tandem_reminders_bench --reminders=100000 --threads=8                  a backlog: throughput
//   tandem_reminders_bench --reminders=30000 --threads=8 --due_rate=1000   steady load: lag
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/latency_histogram.h"
#include "services/reminders/channels/webhook_channel.h"
#include "services/reminders/dispatch/dispatcher.h"
#include "tests/reminders/reminders_harness.h"
#include "tests/reminders/test_http_server.h"

ABSL_FLAG(int, reminders, 100000, "reminders to schedule and dispatch");
ABSL_FLAG(int, threads, 8, "dispatcher consumer threads");
ABSL_FLAG(int, batch, 32, "stream entries per read");
ABSL_FLAG(bool, redis_benchmark, true, "also run redis-benchmark on the same Redis");
ABSL_FLAG(double, due_rate, 0,
          "0: every reminder due at the same instant (a backlog: measures throughput); N > 0: N reminders "
          "become due per second (steady load below capacity: measures lag)");

namespace tandem::reminders {
namespace {

class FullJitter final : public RandomSource {
 public:
  double Uniform01() override { return 1.0; }
};

int Run() {
  const int n = absl::GetFlag(FLAGS_reminders);
  auto harness = RemindersHarness::Create();
  if (!harness.ok()) {
    std::fprintf(stderr, "setup failed: %s\n", std::string(harness.status().message()).c_str());
    return 1;
  }
  RemindersHarness& h = **harness;
  if (!h.PutDefaultTemplate().ok() || !h.index().EnsureGroup().ok()) return 1;

  absl::Mutex mu;
  std::vector<std::pair<std::string, absl::Time>> arrivals;  // delivery id, arrival at the sink
  arrivals.reserve(n);
  auto sink = testing::TestHttpServer::Start([&](const testing::TestHttpServer::Request& request) {
    absl::Time now = absl::Now();
    auto key = request.headers.find("tandem-idempotency-key");
    absl::MutexLock lock(&mu);
    arrivals.emplace_back(key == request.headers.end() ? "" : key->second, now);
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
  absl::Time give_up = absl::Now() + absl::Minutes(10);
  while (absl::Now() < give_up) {
    {
      absl::MutexLock lock(&mu);
      if (static_cast<int>(arrivals.size()) >= n) break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  dispatcher.Stop();

  bench::LatencyHistogram lag;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  {
    absl::MutexLock lock(&mu);
    for (const auto& [delivery_id, t] : arrivals) {
      auto due_i = due_by_delivery_id.find(delivery_id);
      if (due_i == due_by_delivery_id.end()) continue;  // not one of ours: not counted as delivered
      lag.Record(static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Microseconds(t - due_i->second))));
      first = std::min(first, t);
      last = std::max(last, t);
    }
  }
  const int delivered = static_cast<int>(lag.count());
  const double seconds = absl::ToDoubleSeconds(last - std::min(first, due_at));
  std::printf("reminders scheduled:   %d in %.2f s (%.0f/s, store + cipher)\n", n,
              absl::ToDoubleSeconds(schedule_time), n / absl::ToDoubleSeconds(schedule_time));
  std::printf("reminders delivered:   %d\n", delivered);
  std::printf("dispatch throughput:   %.0f reminders/s (%d consumers, batch %d, %s)\n",
              delivered / std::max(seconds, 1e-9), options.threads, options.batch,
              rate > 0 ? absl::StrCat("due at ", rate, "/s").c_str() : "all due at once");
  std::printf("lag due->sink:         p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
              static_cast<double>(lag.Percentile(0.50)) / 1e3,
              static_cast<double>(lag.Percentile(0.90)) / 1e3,
              static_cast<double>(lag.Percentile(0.99)) / 1e3, static_cast<double>(lag.max()) / 1e3);
  std::fflush(stdout);
  if (absl::GetFlag(FLAGS_redis_benchmark)) {
    std::string command = absl::StrCat("redis-benchmark -p ", h.redis_server().port(), " -q -n ",
                                       std::max(n, 10000), " -c 8 -t set,zadd,lpush --csv 2>&1");
    std::printf("baseline (same Redis): %s\n", command.c_str());
    std::fflush(stdout);
    if (std::system(command.c_str()) != 0) return 1;
  }
  return delivered == n ? 0 : 1;
}

}  // namespace
}  // namespace tandem::reminders

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tandem::reminders::Run();
}
