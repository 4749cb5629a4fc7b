#include "services/reminders/api/reminders_app.h"

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/config/secret_file.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "services/reminders/api/reminders_service.h"
#include "services/reminders/channels/log_channel.h"
#include "services/reminders/channels/smtp_channel.h"
#include "services/reminders/channels/webhook_channel.h"
#include "services/reminders/dispatch/dispatcher.h"
#include "services/reminders/store/reminders_migrations.h"
#include "services/reminders/store/sql_reminder_store.h"
#include "services/reminders/store/sql_template_discretion_store.h"

ABSL_FLAG(std::string, redis_prefix, "tandem:reminders:", "prefix of the Redis keys");
ABSL_FLAG(std::string, webhook_url, "", "webhook channel: the provider's URL (empty: channel off)");
ABSL_FLAG(std::string, webhook_secret_file, "", "webhook channel: HMAC secret shared with the provider");
ABSL_FLAG(std::string, webhook_ca_file, "", "webhook channel: CA bundle for an https provider");
ABSL_FLAG(bool, webhook_allow_http, false, "webhook channel: allow plain http (local runs and tests)");
ABSL_FLAG(int, webhook_timeout_ms, 10000, "webhook channel: whole-request timeout");
ABSL_FLAG(std::string, smtp_url, "", "email channel: smtp:// or smtps:// relay (empty: channel off)");
ABSL_FLAG(std::string, smtp_from, "", "email channel: sender address");
ABSL_FLAG(std::string, smtp_username, "", "email channel: login (empty: none)");
ABSL_FLAG(std::string, smtp_password_file, "", "email channel: password file");
ABSL_FLAG(bool, smtp_starttls, true, "email channel: require STARTTLS on smtp://");
ABSL_FLAG(bool, smtp_allow_plaintext, false, "email channel: allow an unencrypted relay (local runs)");
ABSL_FLAG(bool, log_channel, false, "log channel: log reminders instead of sending them (local runs)");
ABSL_FLAG(std::string, denied_words_file, "",
          "discretion deny-list replacing the built-in lists: one `word:<term>` or `stem:<term>` per line "
          "(see services/reminders/data/discretion)");
ABSL_FLAG(bool, dispatch, true, "run the dispatcher in this process");
ABSL_FLAG(int, dispatch_threads, 4, "dispatcher consumers, each sending one reminder at a time");
ABSL_FLAG(int, dispatch_batch, 16, "stream entries read at once per consumer");
ABSL_FLAG(int, lease_ms, 60000, "claim lease; a dead worker's reminders are retried after it");
ABSL_FLAG(int, move_interval_ms, 200, "how often due reminders are moved into the stream");
ABSL_FLAG(int, reclaim_interval_ms, 5000, "how often entries of dead consumers are reclaimed");
ABSL_FLAG(int, reconcile_interval_ms, 60000, "how often the due index is rebuilt from the database");
ABSL_FLAG(int, max_attempts, 8, "delivery attempts before a reminder is dead-lettered");
ABSL_FLAG(int, backoff_base_ms, 30000, "ceiling of the first retry's delay");
ABSL_FLAG(int, backoff_cap_ms, 3600000, "longest retry delay");
ABSL_FLAG(int, past_grace_s, 300, "a due time at most this far in the past is accepted and sent at once");

namespace tandem::reminders {
namespace {

absl::StatusOr<DiscretionPolicy> LoadPolicy() {
  const std::string path = absl::GetFlag(FLAGS_denied_words_file);
  if (path.empty()) {
    ASSIGN_OR_RETURN(std::vector<DiscretionTerm> terms, DefaultTerms());
    return DiscretionPolicy::Create(terms);
  }
  ASSIGN_OR_RETURN(std::string text, config::ReadConfigFile(path));
  ASSIGN_OR_RETURN(std::vector<DiscretionTerm> terms, ParseTermList(text, "--denied_words_file"));
  return DiscretionPolicy::Create(terms);
}

// Everything the reminders service owns while it serves, in construction order.
class RemindersParts final : public service::ServiceParts {
 public:
  void Start() override {
    if (dispatcher != nullptr) dispatcher->Start();
  }
  void Stop() override {
    if (dispatcher != nullptr) dispatcher->Stop();
  }

  std::vector<std::unique_ptr<Channel>> owned_channels;
  Dispatcher::Channels channels;
  std::unique_ptr<DiscretionPolicy> policy;
  std::unique_ptr<BitGenRandomSource> random;
  std::unique_ptr<Backoff> backoff;
  std::unique_ptr<SqlReminderStore> store;
  std::unique_ptr<SqlTemplateDiscretionStore> discretion;
  std::unique_ptr<redis::RedisPool> redis;
  std::unique_ptr<DueIndex> index;
  std::unique_ptr<RemindersService> api;
  std::unique_ptr<Dispatcher> dispatcher;
};

// Channels exist only when configured; scheduling refuses the others.
absl::Status AddChannels(RemindersParts& parts) {
  if (!absl::GetFlag(FLAGS_webhook_url).empty()) {
    ASSIGN_OR_RETURN(std::string secret, config::ReadSecretFile(absl::GetFlag(FLAGS_webhook_secret_file)));
    WebhookChannelOptions options;
    options.url = absl::GetFlag(FLAGS_webhook_url);
    options.secret = std::string(absl::StripAsciiWhitespace(secret));
    options.ca_file = absl::GetFlag(FLAGS_webhook_ca_file);
    options.allow_plain_http = absl::GetFlag(FLAGS_webhook_allow_http);
    options.timeout = absl::Milliseconds(absl::GetFlag(FLAGS_webhook_timeout_ms));
    ASSIGN_OR_RETURN(std::unique_ptr<WebhookChannel> webhook, WebhookChannel::Create(std::move(options)));
    parts.channels[ChannelKind::kWebhook] = webhook.get();
    parts.owned_channels.push_back(std::move(webhook));
  }
  if (!absl::GetFlag(FLAGS_smtp_url).empty()) {
    SmtpChannelOptions options;
    options.url = absl::GetFlag(FLAGS_smtp_url);
    options.from_address = absl::GetFlag(FLAGS_smtp_from);
    options.username = absl::GetFlag(FLAGS_smtp_username);
    if (!absl::GetFlag(FLAGS_smtp_password_file).empty()) {
      ASSIGN_OR_RETURN(std::string password, config::ReadSecretFile(absl::GetFlag(FLAGS_smtp_password_file)));
      options.password = std::string(absl::StripTrailingAsciiWhitespace(password));
    }
    options.require_starttls = absl::GetFlag(FLAGS_smtp_starttls);
    options.allow_plaintext = absl::GetFlag(FLAGS_smtp_allow_plaintext);
    ASSIGN_OR_RETURN(std::unique_ptr<SmtpChannel> smtp, SmtpChannel::Create(std::move(options)));
    parts.channels[ChannelKind::kEmail] = smtp.get();
    parts.owned_channels.push_back(std::move(smtp));
  }
  if (absl::GetFlag(FLAGS_log_channel)) {
    parts.owned_channels.push_back(std::make_unique<LogChannel>());
    parts.channels[ChannelKind::kLog] = parts.owned_channels.back().get();
  }
  return absl::OkStatus();
}

DispatcherOptions DispatcherOptionsFromFlags() {
  char hostname[256] = {};
  gethostname(hostname, sizeof(hostname) - 1);
  DispatcherOptions options;
  options.worker_id = absl::StrCat(hostname, "-", getpid(), "-", NewUuidV7().substr(24));
  options.threads = absl::GetFlag(FLAGS_dispatch_threads);
  options.batch = absl::GetFlag(FLAGS_dispatch_batch);
  options.lease = absl::Milliseconds(absl::GetFlag(FLAGS_lease_ms));
  options.move_interval = absl::Milliseconds(absl::GetFlag(FLAGS_move_interval_ms));
  options.reclaim_interval = absl::Milliseconds(absl::GetFlag(FLAGS_reclaim_interval_ms));
  options.reconcile_interval = absl::Milliseconds(absl::GetFlag(FLAGS_reconcile_interval_ms));
  return options;
}

}  // namespace

service::ServiceDefinition RemindersDefinition() {
  return {"reminders", 50061, 9461, {&migrations::reminders()}};
}

absl::StatusOr<std::unique_ptr<service::ServiceParts>> BuildReminders(service::Runtime& runtime) {
  auto parts = std::make_unique<RemindersParts>();
  RETURN_IF_ERROR(AddChannels(*parts));
  ASSIGN_OR_RETURN(DiscretionPolicy policy, LoadPolicy());
  parts->policy = std::make_unique<DiscretionPolicy>(std::move(policy));
  parts->random = std::make_unique<BitGenRandomSource>();
  BackoffPolicy backoff_policy;
  backoff_policy.base = absl::Milliseconds(absl::GetFlag(FLAGS_backoff_base_ms));
  backoff_policy.cap = absl::Milliseconds(absl::GetFlag(FLAGS_backoff_cap_ms));
  backoff_policy.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  ASSIGN_OR_RETURN(Backoff backoff, Backoff::Create(backoff_policy, *parts->random));
  parts->backoff = std::make_unique<Backoff>(backoff);

  ASSIGN_OR_RETURN(redis::RedisPoolOptions redis_options, runtime.RedisOptions());
  // Consumers block in XREADGROUP for up to read_block: the command timeout must be longer.
  redis_options.command_timeout = absl::Seconds(2);
  redis_options.pool_size = absl::GetFlag(FLAGS_dispatch_threads) + runtime.config().worker_threads + 2;
  parts->redis = std::make_unique<redis::RedisPool>(redis_options);
  parts->index = std::make_unique<DueIndex>(*parts->redis, absl::GetFlag(FLAGS_redis_prefix));
  parts->store = std::make_unique<SqlReminderStore>(runtime.database(), runtime.cipher(), runtime.audit());
  parts->discretion = std::make_unique<SqlTemplateDiscretionStore>(runtime.database(), runtime.audit());

  RemindersServiceDeps deps;
  deps.service_name = runtime.definition().name;
  deps.store = parts->store.get();
  deps.index = parts->index.get();
  deps.verifier = &runtime.verifier();
  deps.audit = &runtime.audit();
  deps.workers = &runtime.workers();
  deps.policy = parts->policy.get();
  deps.discretion = parts->discretion.get();
  for (const auto& [kind, channel] : parts->channels) deps.channels.insert(kind);
  deps.limits.past_grace = absl::Seconds(absl::GetFlag(FLAGS_past_grace_s));
  parts->api = std::make_unique<RemindersService>(std::move(deps));
  runtime.AddService(parts->api.get(), parts->api->rules());

  if (absl::GetFlag(FLAGS_dispatch)) {
    parts->dispatcher =
        std::make_unique<Dispatcher>(*parts->store, *parts->index, parts->channels, *parts->policy,
                                     *parts->backoff, Clock::Real(), DispatcherOptionsFromFlags());
  }
  return parts;
}

}  // namespace tandem::reminders
