#include "common/service/runtime.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_migrations.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/keys.h"
#include "common/config/secret_file.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/key_encryption_key.h"
#include "common/db/idempotency_migrations.h"
#include "common/db/idempotency_store.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/log/log.h"
#include "common/redis/redis_url.h"
#include "common/service/service_main.h"
#include "common/status/status_macros.h"

ABSL_FLAG(std::string, listen_address, "0.0.0.0", "gRPC listen address");
ABSL_FLAG(int, port, 0, "gRPC port (0: any free port, printed at start)");
ABSL_FLAG(int, admin_port, -1, "admin HTTP port for /metrics and health (-1: off)");
ABSL_FLAG(std::string, admin_address, "",
          "admin HTTP listen address, e.g. 127.0.0.1 where probes and scrapes come from the pod itself "
          "(empty: --listen_address)");
ABSL_FLAG(bool, grpc_reflection, false,
          "serve gRPC reflection, which describes every API to any caller (local runs and tools)");
ABSL_FLAG(std::string, db_url, "", "database (sqlite:///path.db or postgresql://...)");
ABSL_FLAG(std::string, db_migrate_url, "",
          "PostgreSQL owner URL for migrations; --db_url is then the least-privilege runtime role");
ABSL_FLAG(bool, migrate_only, false, "apply the migrations (as --db_migrate_url when set) and exit");
ABSL_FLAG(bool, migrate_at_start, true,
          "apply migrations before serving (off where a migration job runs them with the owner credentials)");
ABSL_FLAG(std::string, redis_url, "redis://127.0.0.1:6379", "Redis for durable indexes (noeviction)");
ABSL_FLAG(std::string, cache_redis_url, "", "Redis for the evicting cache (empty: --redis_url)");
ABSL_FLAG(std::string, kek_file, "", "key-encryption key (hex) sealing clinical text");
ABSL_FLAG(std::vector<std::string>, previous_kek_files, {},
          "earlier key-encryption keys still accepted while data keys are re-wrapped (comma-separated)");
ABSL_FLAG(int, worker_threads, 8, "threads for database work");
ABSL_FLAG(std::string, signing_key_file, "", "this service's private key (PEM) for outbound service tokens");
ABSL_FLAG(int, maintenance_interval_s, 600, "how often expired idempotency keys are deleted (0: never)");

namespace tandem::service {
namespace {

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

absl::StatusOr<crypto::KeyRing> LoadKeyRing(const RuntimeConfig& config) {
  if (config.kek_file.empty()) return absl::InvalidArgumentError("--kek_file is required");
  ASSIGN_OR_RETURN(crypto::KeyEncryptionKey primary, crypto::LoadKeyEncryptionKeyFile(config.kek_file));
  std::vector<crypto::KeyEncryptionKey> previous;
  for (const std::string& path : config.previous_kek_files) {
    ASSIGN_OR_RETURN(crypto::KeyEncryptionKey key, crypto::LoadKeyEncryptionKeyFile(path));
    previous.push_back(std::move(key));
  }
  return crypto::KeyRing(std::move(primary), std::move(previous));
}

absl::StatusOr<std::unique_ptr<auth::ServiceTokenSource>> LoadIdentity(const std::string& service_name,
                                                                       const RuntimeConfig& config) {
  if (config.signing_key_file.empty()) return nullptr;
  ASSIGN_OR_RETURN(std::string pem, tandem::config::ReadSecretFile(config.signing_key_file));
  ASSIGN_OR_RETURN(auth::EvpPkeyPtr key, auth::ParsePrivateKeyPem(pem));
  // The key id is the key's own thumbprint, as tandemctl publishes it in the JWKS.
  ASSIGN_OR_RETURN(std::string kid, auth::JwkThumbprint(key.get()));
  ASSIGN_OR_RETURN(std::unique_ptr<auth::JwtSigner> signer,
                   auth::JwtSigner::FromPrivateKeyPem(pem, kid, config.jwt_issuer));
  return std::make_unique<auth::ServiceTokenSource>(std::move(signer), service_name);
}

std::vector<const db::MigrationSet*> AllMigrations(const ServiceDefinition& definition) {
  std::vector<const db::MigrationSet*> sets = {&migrations::audit(), &migrations::crypto(),
                                               &migrations::idempotency()};
  sets.insert(sets.end(), definition.migrations.begin(), definition.migrations.end());
  return sets;
}

}  // namespace

RuntimeConfig RuntimeConfigFromFlags() {
  RuntimeConfig config;
  config.listen_address = absl::GetFlag(FLAGS_listen_address);
  config.port = absl::GetFlag(FLAGS_port);
  config.admin_port = absl::GetFlag(FLAGS_admin_port);
  config.admin_address = absl::GetFlag(FLAGS_admin_address);
  config.grpc_reflection = absl::GetFlag(FLAGS_grpc_reflection);
  config.db_url = absl::GetFlag(FLAGS_db_url);
  config.db_migrate_url = absl::GetFlag(FLAGS_db_migrate_url);
  config.migrate_at_start = absl::GetFlag(FLAGS_migrate_at_start);
  config.redis_url = absl::GetFlag(FLAGS_redis_url);
  config.cache_redis_url = absl::GetFlag(FLAGS_cache_redis_url);
  config.kek_file = absl::GetFlag(FLAGS_kek_file);
  config.previous_kek_files = absl::GetFlag(FLAGS_previous_kek_files);
  config.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  config.signing_key_file = absl::GetFlag(FLAGS_signing_key_file);
  config.jwks_file = absl::GetFlag(FLAGS_jwks_file);
  config.hs256_secret_file = absl::GetFlag(FLAGS_hs256_secret_file);
  config.jwt_issuer = absl::GetFlag(FLAGS_jwt_issuer);
  config.jwt_audience = absl::GetFlag(FLAGS_jwt_audience);
  config.maintenance_interval = absl::Seconds(absl::GetFlag(FLAGS_maintenance_interval_s));
  return config;
}

absl::Status Runtime::Migrate(const ServiceDefinition& definition, const RuntimeConfig& config) {
  const std::string& url = config.db_migrate_url.empty() ? config.db_url : config.db_migrate_url;
  ASSIGN_OR_RETURN(std::unique_ptr<db::Database> owner, db::OpenDatabase(url));
  db::MigrationOptions options;
  if (!config.db_migrate_url.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<db::Database> runtime, db::OpenDatabase(config.db_url));
    ASSIGN_OR_RETURN(options.runtime_role, CurrentRole(*runtime));
  }
  for (const db::MigrationSet* set : AllMigrations(definition)) {
    RETURN_IF_ERROR(db::ApplyMigrations(*owner, *set, options));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(ServiceDefinition definition, RuntimeConfig config) {
  if (config.db_url.empty()) return absl::InvalidArgumentError("--db_url is required");
  std::unique_ptr<Runtime> runtime(new Runtime(std::move(definition), std::move(config)));
  const RuntimeConfig& c = runtime->config_;
  ASSIGN_OR_RETURN(crypto::KeyRing ring, LoadKeyRing(c));
  ASSIGN_OR_RETURN(runtime->verifier_, auth::JwtVerifier::FromFiles(c.jwks_file, c.hs256_secret_file,
                                                                    {c.jwt_issuer, c.jwt_audience}));
  ASSIGN_OR_RETURN(runtime->identity_, LoadIdentity(runtime->definition_.name, c));
  RETURN_IF_ERROR(runtime->RedisOptions().status());
  RETURN_IF_ERROR(runtime->CacheRedisOptions().status());
  if (c.migrate_at_start) RETURN_IF_ERROR(Migrate(runtime->definition_, c));
  ASSIGN_OR_RETURN(runtime->database_, db::OpenDatabase(c.db_url));
  runtime->data_keys_ = std::make_unique<crypto::SqlDataKeyStore>(*runtime->database_);
  runtime->cipher_ = std::make_unique<crypto::ClinicalCipher>(std::move(ring), *runtime->data_keys_);
  // Rows from before KEK ids were keyed still name their KEK by a public fingerprint of it: rename them.
  ASSIGN_OR_RETURN(int renamed, runtime->cipher_->AdoptLegacyKekIds());
  if (renamed > 0) log::Info("kek_ids_renamed", {{"rows", renamed}});
  runtime->audit_ = std::make_unique<audit::AuditLog>(*runtime->database_);
  ServerOptions options;
  options.service_name = runtime->definition_.name;
  options.address = c.listen_address;
  options.port = c.port;
  options.admin_port = c.admin_port;
  options.admin_address = c.admin_address;
  options.reflection = c.grpc_reflection;
  options.worker_threads = c.worker_threads;
  runtime->host_ = std::make_unique<ServerHost>(options);
  return runtime;
}

Runtime::~Runtime() {
  if (!stop_maintenance_.HasBeenNotified()) stop_maintenance_.Notify();
  if (maintenance_.joinable()) maintenance_.join();
  if (host_ != nullptr) host_->Shutdown(absl::ZeroDuration());
}

absl::StatusOr<redis::RedisPoolOptions> Runtime::RedisOptions() const {
  return redis::ParseRedisUrl(config_.redis_url);
}

absl::StatusOr<redis::RedisPoolOptions> Runtime::CacheRedisOptions() const {
  return redis::ParseRedisUrl(config_.cache_redis_url.empty() ? config_.redis_url : config_.cache_redis_url);
}

void Runtime::AddService(grpc::Service* service, const AuthzTable& rules) {
  host_->AddService(service);
  tables_.push_back(&rules);
}

absl::Status Runtime::Start(ServiceParts* parts) {
  for (const AuthzTable* table : tables_) RETURN_IF_ERROR(table->Validate());
  RETURN_IF_ERROR(host_->Start());
  parts_ = parts;
  if (parts_ != nullptr) parts_->Start();
  if (config_.maintenance_interval > absl::ZeroDuration()) {
    maintenance_ = std::thread([this] {
      while (!stop_maintenance_.WaitForNotificationWithTimeout(config_.maintenance_interval)) {
        if (absl::StatusOr<int> swept = RunMaintenance(); !swept.ok()) {
          log::Warn("maintenance_failed", {{"code", absl::StatusCodeToString(swept.status().code())}});
        }
      }
    });
  }
  log::Info("listening",
            {{"service", definition_.name}, {"port", host_->port()}, {"admin_port", host_->admin_port()}});
  return absl::OkStatus();
}

void Runtime::Shutdown(absl::Duration grace) {
  host_->Shutdown(grace);
  if (parts_ != nullptr) parts_->Stop();
  parts_ = nullptr;
  if (!stop_maintenance_.HasBeenNotified()) stop_maintenance_.Notify();
  if (maintenance_.joinable()) maintenance_.join();
}

absl::StatusOr<auth::ServiceTokenSource*> Runtime::RequireIdentity() {
  if (identity_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("--signing_key_file is required: ", definition_.name, " calls other services"));
  }
  return identity_.get();
}

absl::StatusOr<int> Runtime::RunMaintenance() {
  // A bounded batch per statement keeps each delete's write lock short; a backlog drains over the loop.
  constexpr int kBatch = 1000;
  const db::IdempotencyStore keys;
  int total = 0;
  for (;;) {
    ASSIGN_OR_RETURN(int deleted, keys.DeleteExpired(*database_, kBatch));
    total += deleted;
    if (deleted < kBatch || stop_maintenance_.HasBeenNotified()) break;
  }
  if (total > 0) log::Info("idempotency_keys_expired", {{"deleted", total}});
  return total;
}

int ServiceMain(int argc, char** argv, const ServiceDefinition& definition, const BuildService& build) {
  // The service's own defaults, before the command line and the environment override them.
  absl::SetFlag(&FLAGS_port, definition.default_port);
  absl::SetFlag(&FLAGS_admin_port, definition.default_admin_port);
  absl::SetFlag(&FLAGS_db_url, absl::StrCat("sqlite://", definition.name, ".db"));
  if (!InitProcess(argc, argv, definition.name)) return 2;
  const RuntimeConfig config = RuntimeConfigFromFlags();
  auto fail = [](absl::string_view event, const absl::Status& status) {
    log::Error(event, {{"code", absl::StatusCodeToString(status.code())},
                       {"reason", std::string(status.message())}});
    return 2;
  };
  if (absl::GetFlag(FLAGS_migrate_only)) {
    absl::Status migrated = Runtime::Migrate(definition, config);
    if (!migrated.ok()) return fail("migration_failed", migrated);
    log::Info("migrated", {{"service", definition.name}});
    return 0;
  }
  absl::StatusOr<std::unique_ptr<Runtime>> runtime = Runtime::Create(definition, config);
  if (!runtime.ok()) return fail("bad_configuration", runtime.status());
  absl::StatusOr<std::unique_ptr<ServiceParts>> parts = build(**runtime);
  if (!parts.ok()) return fail("bad_configuration", parts.status());
  if (absl::Status started = (*runtime)->Start(parts->get()); !started.ok()) {
    return fail("start_failed", started);
  }
  (*runtime)->Shutdown(WaitForShutdown());
  return 0;
}

}  // namespace tandem::service
