#ifndef TANDEM_COMMON_SERVICE_RUNTIME_H_
#define TANDEM_COMMON_SERVICE_RUNTIME_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/audit/audit_log.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/service_token_source.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/database.h"
#include "common/db/migration.h"
#include "common/grpc/server_host.h"
#include "common/redis/redis_pool.h"
#include "common/service/authz_rule.h"

namespace tandem::service {

// Everything the standard flags configure, so tests can build a runtime without flags.
struct RuntimeConfig {
  std::string listen_address = "0.0.0.0";
  int port = 0;               // 0: any free port
  int admin_port = -1;        // -1: off, 0: any free port
  std::string admin_address;  // empty: listen_address
  bool grpc_reflection = false;
  std::string db_url;
  std::string db_migrate_url;  // PostgreSQL owner; --db_url is then the least-privilege runtime role
  bool migrate_at_start = true;
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string cache_redis_url;  // empty: redis_url
  std::string kek_file;
  std::vector<std::string> previous_kek_files;  // still accepted for unwrapping during a rotation
  int worker_threads = 8;
  std::string signing_key_file;  // this service's own key, for outbound `service` tokens
  std::string jwks_file;
  std::string hs256_secret_file;
  std::string jwt_issuer;
  std::string jwt_audience = "tandem";
  // How often expired idempotency keys are deleted (zero: never, for tests that look at the table).
  absl::Duration maintenance_interval = absl::Minutes(10);
};

// What a service is, for the runtime: its name, its ports and its migrations.
struct ServiceDefinition {
  std::string name;  // logs, metrics, the token subject and the default database file
  int default_port = 50051;
  int default_admin_port = 9451;
  // The service's own migrations; the audit trail, the data keys and the idempotency keys are always applied.
  std::vector<const db::MigrationSet*> migrations;
};

// The config the standard flags (and their TANDEM_* environment variables) describe.
RuntimeConfig RuntimeConfigFromFlags();

// What a service builds on the runtime and owns while it serves: background work starts after the server
// and stops before it drains.
class ServiceParts {
 public:
  virtual ~ServiceParts() = default;
  virtual void Start() {}
  virtual void Stop() {}
};

// The shared half of every service: the database (migrated with the owner credentials when given), the
// clinical cipher, the audit trail, the token verifier, the service's own outbound identity and the gRPC
// host. A service's main() hands its definition and a build function to ServiceMain and writes nothing else.
class Runtime {
 public:
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(ServiceDefinition definition, RuntimeConfig config);
  ~Runtime();

  // Applies every migration set (owner URL when given, granting the runtime role) and returns.
  static absl::Status Migrate(const ServiceDefinition& definition, const RuntimeConfig& config);

  const ServiceDefinition& definition() const { return definition_; }
  const RuntimeConfig& config() const { return config_; }
  db::Database& database() { return *database_; }
  crypto::ClinicalCipher& cipher() { return *cipher_; }
  const audit::AuditLog& audit() const { return *audit_; }
  const auth::JwtVerifier& verifier() const { return *verifier_; }
  ServerHost& host() { return *host_; }
  WorkerPool& workers() { return host_->workers(); }
  // This service's identity for calls to others: FAILED_PRECONDITION, at build time, when --signing_key_file
  // is not set, so a service that calls others refuses to start rather than failing its first call.
  absl::StatusOr<auth::ServiceTokenSource*> RequireIdentity();
  // nullptr unless --signing_key_file is set.
  auth::ServiceTokenSource* identity() { return identity_.get(); }
  // The Redis holding durable indexes (--redis_url) and the one for the evicting cache (--cache_redis_url,
  // defaulting to the first); callers adjust pool sizes and timeouts before creating a pool.
  absl::StatusOr<redis::RedisPoolOptions> RedisOptions() const;
  absl::StatusOr<redis::RedisPoolOptions> CacheRedisOptions() const;

  // Registers a gRPC service with its authorization table; Start fails unless the table covers every method.
  void AddService(grpc::Service* service, const AuthzTable& rules);

  // Starts serving, then `parts`. Returns the error of a table that does not validate or a port in use.
  absl::Status Start(ServiceParts* parts);
  // Turns health NOT_SERVING and drains in-flight calls for up to `grace` (they still have the service's
  // parts), then stops `parts` and the maintenance.
  void Shutdown(absl::Duration grace);

  // One round of the shared housekeeping the runtime runs every maintenance_interval: deletes expired
  // idempotency keys. Returns how many rows went.
  absl::StatusOr<int> RunMaintenance();

 private:
  Runtime(ServiceDefinition definition, RuntimeConfig config)
      : definition_(std::move(definition)), config_(std::move(config)) {}

  ServiceDefinition definition_;
  RuntimeConfig config_;
  std::unique_ptr<auth::JwtVerifier> verifier_;
  std::unique_ptr<auth::ServiceTokenSource> identity_;
  std::unique_ptr<db::Database> database_;
  std::unique_ptr<crypto::SqlDataKeyStore> data_keys_;
  std::unique_ptr<crypto::ClinicalCipher> cipher_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<ServerHost> host_;
  std::vector<const AuthzTable*> tables_;
  ServiceParts* parts_ = nullptr;
  absl::Notification stop_maintenance_;
  std::thread maintenance_;
};

// Builds a service's own objects on a ready runtime and registers its gRPC services.
using BuildService = std::function<absl::StatusOr<std::unique_ptr<ServiceParts>>(Runtime&)>;

// The whole life of a service process: flags (with `definition`'s defaults), logging, then either
// --migrate_only, or the runtime, `build`, serving until SIGTERM and the drain. Returns the process exit
// code: 0, or 2 after one log line naming what was wrong with the configuration or the start.
int ServiceMain(int argc, char** argv, const ServiceDefinition& definition, const BuildService& build);

}  // namespace tandem::service

#endif  // TANDEM_COMMON_SERVICE_RUNTIME_H_
