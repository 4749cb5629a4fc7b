#include "services/scheduling/api/scheduling_app.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "common/db/grpc_outbox_sender.h"
#include "common/db/outbox_migrations.h"
#include "common/db/outbox_relay.h"
#include "common/grpc/client_channel.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/scheduling/api/scheduling_service.h"
#include "services/scheduling/api/waitlist_worker.h"
#include "services/scheduling/domain/appointment_reminders.h"
#include "services/scheduling/store/scheduling_migrations.h"
#include "services/scheduling/store/sql_calendar_feed_store.h"
#include "services/scheduling/store/sql_scheduling_store.h"
#include "tandem/reminders/v1/reminders.grpc.pb.h"

ABSL_FLAG(int, care_team_cache_ttl_s, 300,
          "how long a client's care team stays in the cache Redis (a change replaces it at once)");
ABSL_FLAG(std::string, reminders_address, "",
          "host:port of the reminders service; empty: reminders wait in the outbox until one is configured");
ABSL_FLAG(bool, reminders_to_log_channel, false,
          "send every appointment reminder through the reminders service's log channel (local runs)");
ABSL_FLAG(int, waitlist_hold_minutes, 120,
          "how long a slot freed by a cancellation is held for one waitlisted client before the next is "
          "offered it");
ABSL_FLAG(
    int, waitlist_interval_s, 10,
    "how often the waitlist worker looks for lapsed holds and freed slots (a cancellation wakes it at once)");
ABSL_FLAG(int, outbox_threads, 1, "threads relaying the outbox (reminder calls) to the reminders service");

namespace tandem::scheduling {
namespace {

// Everything the scheduling service owns while it serves, in construction order.
class SchedulingParts final : public service::ServiceParts {
 public:
  // Without a signing key there is no relay: the calls wait in the outbox.
  void Start() override {
    waitlist->Start();
    if (relay == nullptr) return;
    absl::Status started = relay->Start();
    if (!started.ok()) {
      log::Error("outbox_relay_not_started", {{"code", absl::StatusCodeToString(started.code())}});
    }
  }
  void Stop() override {
    waitlist->Stop();
    if (relay != nullptr) relay->Stop();
  }

  std::unique_ptr<AppointmentReminderPlanner> planner;
  std::unique_ptr<db::GrpcOutboxSender> sender;
  std::unique_ptr<db::OutboxRelay> relay;
  std::unique_ptr<SqlSchedulingStore> store;
  std::unique_ptr<SqlCalendarFeedStore> feeds;
  std::unique_ptr<redis::RedisPool> cache_redis;
  std::unique_ptr<redis::RedisCache> care_teams;
  std::unique_ptr<WaitlistWorker> waitlist;
  std::unique_ptr<SchedulingService> api;
};

}  // namespace

service::ServiceDefinition SchedulingDefinition() {
  return {"scheduling", 50062, 9462, {&migrations::scheduling(), &migrations::outbox()}};
}

absl::StatusOr<std::unique_ptr<service::ServiceParts>> BuildScheduling(service::Runtime& runtime) {
  auto parts = std::make_unique<SchedulingParts>();
  // Reminders follow bookings through the outbox: written with the change, relayed afterwards, so a booking
  // succeeds while the reminders service is down and no reminder is lost.
  std::optional<tandem::reminders::v1::Channel> channel_override;
  if (absl::GetFlag(FLAGS_reminders_to_log_channel)) channel_override = tandem::reminders::v1::CHANNEL_LOG;
  parts->planner = std::make_unique<AppointmentReminderPlanner>(Clock::Real(), channel_override);
  parts->store = std::make_unique<SqlSchedulingStore>(runtime.database(), runtime.cipher(), runtime.audit(),
                                                      Clock::Real(), parts->planner.get());
  // Without its own signing key (--signing_key_file) the service cannot call the reminders service: the
  // calls then wait in the outbox until it runs with one.
  if (runtime.identity() == nullptr) {
    log::Warn("outbox_not_relayed", {{"reason", "no --signing_key_file"}});
  } else {
    absl::flat_hash_map<std::string, db::GrpcOutboxSender::Target> targets;
    const std::string reminders_address = absl::GetFlag(FLAGS_reminders_address);
    if (!reminders_address.empty()) {
      targets[tandem::reminders::v1::ReminderService::service_full_name()] = {
          MakeServiceChannel(reminders_address), "reminders"};
    }
    parts->sender = std::make_unique<db::GrpcOutboxSender>(std::move(targets), *runtime.identity());
    db::OutboxRelayOptions relay_options;
    relay_options.cipher = &runtime.cipher();
    relay_options.threads = absl::GetFlag(FLAGS_outbox_threads);
    parts->relay = std::make_unique<db::OutboxRelay>(runtime.database(), *parts->sender, relay_options);
  }

  // Care teams are asked on every call of every other service: cached by client in the evicting Redis. When
  // it is down the answers come from the database and the service stays up.
  ASSIGN_OR_RETURN(redis::RedisPoolOptions redis_options, runtime.CacheRedisOptions());
  redis_options.pool_size = runtime.config().worker_threads + 2;
  parts->cache_redis = std::make_unique<redis::RedisPool>(redis_options);
  redis::RedisCacheOptions cache_options;
  cache_options.service = runtime.definition().name;
  cache_options.name = "care_team";
  cache_options.ttl = absl::Seconds(absl::GetFlag(FLAGS_care_team_cache_ttl_s));
  ASSIGN_OR_RETURN(parts->care_teams,
                   redis::RedisCache::Create(*parts->cache_redis, std::move(cache_options)));

  SchedulingServiceDeps deps;
  deps.service_name = runtime.definition().name;
  deps.store = parts->store.get();
  parts->feeds = std::make_unique<SqlCalendarFeedStore>(runtime.database(), runtime.audit());
  deps.feeds = parts->feeds.get();
  deps.care_teams = parts->care_teams.get();
  deps.verifier = &runtime.verifier();
  deps.audit = &runtime.audit();
  deps.workers = &runtime.workers();
  WaitlistWorkerOptions waitlist_options;
  waitlist_options.hold = absl::Minutes(std::max(1, absl::GetFlag(FLAGS_waitlist_hold_minutes)));
  waitlist_options.interval = absl::Seconds(std::max(1, absl::GetFlag(FLAGS_waitlist_interval_s)));
  waitlist_options.actor = runtime.definition().name;
  parts->waitlist = std::make_unique<WaitlistWorker>(*parts->store, Clock::Real(), waitlist_options);
  deps.waitlist_changed = [worker = parts->waitlist.get()] { worker->Wake(); };
  parts->api = std::make_unique<SchedulingService>(std::move(deps));
  runtime.AddService(parts->api.get(), parts->api->rules());
  return parts;
}

}  // namespace tandem::scheduling
