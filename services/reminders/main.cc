// The reminders service: the internal gRPC API and, in the same process unless --dispatch=false, the
// dispatcher that sends due reminders. Flags only; every flag also reads TANDEM_<FLAG> from the environment;
// the token, drain and log flags are common/service's.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/audit/audit_log.h"
#include "common/audit/audit_migrations.h"
#include "common/auth/jwt_verifier.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/key_encryption_key.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/grpc/server_host.h"
#include "common/log/log.h"
#include "common/redis/redis_url.h"
#include "common/service/service_main.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "services/reminders/dispatcher.h"
#include "services/reminders/log_channel.h"
#include "services/reminders/reminders_migrations.h"
#include "services/reminders/reminders_service.h"
#include "services/reminders/smtp_channel.h"
#include "services/reminders/sql_reminder_store.h"
#include "services/reminders/webhook_channel.h"

ABSL_FLAG(std::string, listen_address, "0.0.0.0", "gRPC listen address");
ABSL_FLAG(int, port, 50061, "gRPC port (0: any free port, printed at start)");
ABSL_FLAG(int, admin_port, 9461, "admin HTTP port for /metrics and health (-1: off)");
ABSL_FLAG(std::string, db_url, "sqlite://reminders.db", "database (sqlite:///path.db or postgresql://...)");
ABSL_FLAG(std::string, db_migrate_url, "",
          "PostgreSQL owner URL for migrations; --db_url is then the least-privilege runtime role");
ABSL_FLAG(std::string, redis_url, "redis://127.0.0.1:6379", "Redis holding the due index");
ABSL_FLAG(std::string, redis_prefix, "tandem:reminders:", "prefix of the Redis keys");
ABSL_FLAG(std::string, kek_file, "", "key-encryption key (hex) sealing recipients and parameters");
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
          "discretion deny-list, one word per line (empty: the built-in list)");
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
ABSL_FLAG(int, worker_threads, 8, "threads for database work");

namespace tandem::reminders {
namespace {

int Fail(absl::string_view event, const absl::Status& status) {
  log::Error(event, {{"reason", std::string(status.message())}});
  return 2;
}

absl::StatusOr<DiscretionPolicy> LoadPolicy() {
  const std::string path = absl::GetFlag(FLAGS_denied_words_file);
  if (path.empty()) return DiscretionPolicy::Default();
  ASSIGN_OR_RETURN(std::string text, auth::ReadSecretFile(path));
  std::vector<std::string> words;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') words.emplace_back(line);
  }
  return DiscretionPolicy::Create(words);
}

// The role --db_url logs in as, which migrations grant the runtime privileges to.
absl::StatusOr<std::string> CurrentRole(db::Database& database) {
  std::string role;
  RETURN_IF_ERROR(database.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows, tx.Execute("SELECT current_user AS role", {}));
    if (rows.empty()) return absl::InternalError("no current user");
    ASSIGN_OR_RETURN(role, rows[0].GetText("role"));
    return absl::OkStatus();
  }));
  return role;
}

int Run() {
  auto kek = crypto::LoadKeyEncryptionKeyFile(absl::GetFlag(FLAGS_kek_file));
  if (!kek.ok()) return Fail("bad_configuration", kek.status());
  auto verifier = service::VerifierFromFlags();
  if (!verifier.ok()) return Fail("bad_configuration", verifier.status());
  auto policy = LoadPolicy();
  if (!policy.ok()) return Fail("bad_configuration", policy.status());

  // Channels: each one exists only when configured, and scheduling refuses the others.
  std::vector<std::unique_ptr<Channel>> owned_channels;
  Dispatcher::Channels channels;
  if (!absl::GetFlag(FLAGS_webhook_url).empty()) {
    auto secret = auth::ReadSecretFile(absl::GetFlag(FLAGS_webhook_secret_file));
    if (!secret.ok()) return Fail("bad_configuration", secret.status());
    WebhookChannelOptions options;
    options.url = absl::GetFlag(FLAGS_webhook_url);
    options.secret = std::string(absl::StripAsciiWhitespace(*secret));
    options.ca_file = absl::GetFlag(FLAGS_webhook_ca_file);
    options.allow_plain_http = absl::GetFlag(FLAGS_webhook_allow_http);
    options.timeout = absl::Milliseconds(absl::GetFlag(FLAGS_webhook_timeout_ms));
    auto webhook = WebhookChannel::Create(std::move(options));
    if (!webhook.ok()) return Fail("bad_configuration", webhook.status());
    channels[ChannelKind::kWebhook] = webhook->get();
    owned_channels.push_back(*std::move(webhook));
  }
  if (!absl::GetFlag(FLAGS_smtp_url).empty()) {
    SmtpChannelOptions options;
    options.url = absl::GetFlag(FLAGS_smtp_url);
    options.from_address = absl::GetFlag(FLAGS_smtp_from);
    options.username = absl::GetFlag(FLAGS_smtp_username);
    if (!absl::GetFlag(FLAGS_smtp_password_file).empty()) {
      auto password = auth::ReadSecretFile(absl::GetFlag(FLAGS_smtp_password_file));
      if (!password.ok()) return Fail("bad_configuration", password.status());
      options.password = std::string(absl::StripTrailingAsciiWhitespace(*password));
    }
    options.require_starttls = absl::GetFlag(FLAGS_smtp_starttls);
    options.allow_plaintext = absl::GetFlag(FLAGS_smtp_allow_plaintext);
    auto smtp = SmtpChannel::Create(std::move(options));
    if (!smtp.ok()) return Fail("bad_configuration", smtp.status());
    channels[ChannelKind::kEmail] = smtp->get();
    owned_channels.push_back(*std::move(smtp));
  }
  if (absl::GetFlag(FLAGS_log_channel)) {
    owned_channels.push_back(std::make_unique<LogChannel>());
    channels[ChannelKind::kLog] = owned_channels.back().get();
  }

  RandomSource* random = new BitGenRandomSource();  // lives as long as the process
  BackoffPolicy backoff_policy;
  backoff_policy.base = absl::Milliseconds(absl::GetFlag(FLAGS_backoff_base_ms));
  backoff_policy.cap = absl::Milliseconds(absl::GetFlag(FLAGS_backoff_cap_ms));
  backoff_policy.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  auto backoff = Backoff::Create(backoff_policy, *random);
  if (!backoff.ok()) return Fail("bad_configuration", backoff.status());

  auto redis_options = redis::ParseRedisUrl(absl::GetFlag(FLAGS_redis_url));
  if (!redis_options.ok()) return Fail("bad_configuration", redis_options.status());
  // Consumers block in XREADGROUP for up to read_block: the command timeout must be longer.
  redis_options->command_timeout = absl::Seconds(2);
  redis_options->pool_size = absl::GetFlag(FLAGS_dispatch_threads) + absl::GetFlag(FLAGS_worker_threads) + 2;

  // Database: migrate (as the owner when one is given), then run as the configured role.
  const std::string db_url = absl::GetFlag(FLAGS_db_url);
  const std::string migrate_url = absl::GetFlag(FLAGS_db_migrate_url);
  {
    auto migrate_db = db::OpenDatabase(migrate_url.empty() ? db_url : migrate_url);
    if (!migrate_db.ok()) return Fail("database_unavailable", migrate_db.status());
    db::MigrationOptions migration_options;
    if (!migrate_url.empty()) {
      auto runtime = db::OpenDatabase(db_url);
      if (!runtime.ok()) return Fail("database_unavailable", runtime.status());
      auto role = CurrentRole(**runtime);
      if (!role.ok()) return Fail("database_unavailable", role.status());
      migration_options.runtime_role = *role;
    }
    for (const db::MigrationSet* set :
         {&migrations::audit(), &migrations::crypto(), &migrations::reminders()}) {
      if (auto migrated = db::ApplyMigrations(**migrate_db, *set, migration_options); !migrated.ok()) {
        return Fail("migration_failed", migrated);
      }
    }
  }
  auto database = db::OpenDatabase(db_url);
  if (!database.ok()) return Fail("database_unavailable", database.status());

  crypto::SqlDataKeyStore data_keys(**database);
  crypto::ClinicalCipher cipher(crypto::KeyRing(*std::move(kek)), data_keys);
  SqlReminderStore store(**database, cipher);
  audit::AuditLog audit_log(**database);
  redis::RedisPool redis(*redis_options);
  DueIndex index(redis, absl::GetFlag(FLAGS_redis_prefix));

  ServerOptions server_options;
  server_options.service_name = "reminders";
  server_options.address = absl::GetFlag(FLAGS_listen_address);
  server_options.port = absl::GetFlag(FLAGS_port);
  server_options.admin_port = absl::GetFlag(FLAGS_admin_port);
  server_options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  ServerHost host(server_options);

  RemindersServiceDeps deps;
  deps.store = &store;
  deps.index = &index;
  deps.verifier = verifier->get();
  deps.audit = &audit_log;
  deps.workers = &host.workers();
  deps.policy = &*policy;
  for (const auto& [kind, channel] : channels) deps.channels.insert(kind);
  deps.limits.past_grace = absl::Seconds(absl::GetFlag(FLAGS_past_grace_s));
  RemindersService service(std::move(deps));
  host.AddService(&service);

  std::unique_ptr<Dispatcher> dispatcher;
  if (absl::GetFlag(FLAGS_dispatch)) {
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
    dispatcher =
        std::make_unique<Dispatcher>(store, index, channels, *policy, *backoff, Clock::Real(), options);
  }

  if (auto started = host.Start(); !started.ok()) return Fail("start_failed", started);
  if (dispatcher != nullptr) dispatcher->Start();
  log::Info("reminders_listening", {{"port", host.port()},
                                    {"admin_port", host.admin_port()},
                                    {"channels", static_cast<int>(channels.size())},
                                    {"dispatch", dispatcher != nullptr}});
  absl::Duration drain = service::WaitForShutdown();
  if (dispatcher != nullptr) dispatcher->Stop();
  host.Shutdown(drain);
  return 0;
}

}  // namespace
}  // namespace tandem::reminders

int main(int argc, char** argv) {
  if (!tandem::service::InitProcess(argc, argv, "reminders")) return 2;
  return tandem::reminders::Run();
}
