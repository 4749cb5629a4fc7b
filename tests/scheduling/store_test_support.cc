#include "tests/scheduling/store_test_support.h"

#include <string>
#include <utility>

#include "common/audit/audit_migrations.h"
#include "common/crypto/crypto_migrations.h"
#include "common/db/idempotency_migrations.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/db/outbox_migrations.h"
#include "common/status/status_macros.h"
#include "services/scheduling/store/scheduling_migrations.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"

namespace tandem::scheduling::store_testing {

absl::StatusOr<StoreTestDatabase> OpenStoreTestDatabase(const std::string& backend, const Clock& clock) {
  StoreTestDatabase parts;
  std::string url;
  if (backend == "sqlite") {
    ASSIGN_OR_RETURN(parts.dir, tandem::testing::MakeTempDir("scheduling"));
    url = "sqlite://" + parts.dir + "/scheduling.db";
  } else {
    ASSIGN_OR_RETURN(url, tandem::testing::NewTestDatabaseUrl());
  }
  ASSIGN_OR_RETURN(parts.db, db::OpenDatabase(url));
  RETURN_IF_ERROR(db::ApplyMigrations(*parts.db, migrations::audit()));
  RETURN_IF_ERROR(db::ApplyMigrations(*parts.db, migrations::idempotency()));
  RETURN_IF_ERROR(db::ApplyMigrations(*parts.db, migrations::crypto()));
  RETURN_IF_ERROR(db::ApplyMigrations(*parts.db, migrations::outbox()));
  RETURN_IF_ERROR(db::ApplyMigrations(*parts.db, migrations::scheduling()));
  parts.keys = std::make_unique<crypto::SqlDataKeyStore>(*parts.db);
  ASSIGN_OR_RETURN(crypto::KeyEncryptionKey kek, crypto::ParseKeyEncryptionKey(std::string(64, 'a')));
  parts.cipher = std::make_unique<crypto::ClinicalCipher>(crypto::KeyRing(std::move(kek)), *parts.keys);
  parts.audit = std::make_unique<audit::AuditLog>(*parts.db, clock);
  return parts;
}

void CloseStoreTestDatabase(StoreTestDatabase& parts) {
  parts.audit.reset();
  parts.cipher.reset();
  parts.keys.reset();
  parts.db.reset();
  if (!parts.dir.empty()) tandem::testing::RemoveTree(parts.dir);
  parts.dir.clear();
}

audit::AuditEntry DeskEntry(const std::string& action, const std::string& resource_type,
                            const std::string& clinic_id) {
  audit::AuditEntry entry;
  entry.clinic_id = clinic_id;
  entry.actor = "front-desk-1";
  entry.actor_role = "front_desk";
  entry.action = action;
  entry.resource_type = resource_type;
  entry.outcome = std::string(audit::kOutcomeOk);
  return entry;
}

absl::Status ExecuteScript(db::Database& db, const std::string& sql) {
  absl::StatusOr<db::Transaction> tx = db.Begin(db::TxMode::kWrite);
  if (!tx.ok()) return tx.status();
  absl::Status run = tx->ExecuteScript(sql);
  if (!run.ok()) return run;
  return tx->Commit();
}

absl::Status BreakAuditTrail(db::Database& db, bool postgres) {
  return ExecuteScript(db, postgres ? "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS "
                                      "$$ BEGIN RAISE EXCEPTION 'audit trail down'; END $$; "
                                      "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                                      "FOR EACH ROW EXECUTE FUNCTION audit_down();"
                                    : "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                                      "BEGIN SELECT RAISE(ABORT, 'audit trail down'); END;");
}

absl::Status RepairAuditTrail(db::Database& db, bool postgres) {
  return ExecuteScript(db, postgres ? "DROP TRIGGER audit_down ON audit_log; DROP FUNCTION audit_down();"
                                    : "DROP TRIGGER audit_down;");
}

}  // namespace tandem::scheduling::store_testing
