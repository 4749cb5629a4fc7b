#ifndef TANDEM_TESTS_SCHEDULING_STORE_TEST_SUPPORT_H_
#define TANDEM_TESTS_SCHEDULING_STORE_TEST_SUPPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/database.h"
#include "common/time/clock.h"

namespace tandem::scheduling::store_testing {

// A fresh scheduling database with every migration the store needs, and the parts a SqlSchedulingStore is
// built from. The store tests run once per backend, so each gets its own empty database.
struct StoreTestDatabase {
  std::string dir;  // the SQLite database's temporary directory; empty on PostgreSQL
  std::unique_ptr<db::Database> db;
  std::unique_ptr<crypto::SqlDataKeyStore> keys;
  std::unique_ptr<crypto::ClinicalCipher> cipher;
  std::unique_ptr<audit::AuditLog> audit;
};

// `backend` is a store test's parameter: "sqlite" (a file in a new temporary directory) or "postgresql"
// (a new database on the test run's server). `clock` dates the audit rows and must outlive the result.
absl::StatusOr<StoreTestDatabase> OpenStoreTestDatabase(const std::string& backend, const Clock& clock);

// Closes the parts in dependency order and removes the SQLite directory.
void CloseStoreTestDatabase(StoreTestDatabase& parts);

// The audit row a store write takes in these tests: front desk "front-desk-1" doing `action` to a record of
// `resource_type` in `clinic_id`, successfully (the store fills in the record's id).
audit::AuditEntry DeskEntry(const std::string& action, const std::string& resource_type,
                            const std::string& clinic_id = "c1");

// Runs `sql` (one or more statements) in a write transaction of its own.
absl::Status ExecuteScript(db::Database& db, const std::string& sql);

// Makes the audit trail refuse every new row, as a full disk or a revoked grant would (a trigger on
// audit_log), and takes that away again. `postgres` selects the dialect.
absl::Status BreakAuditTrail(db::Database& db, bool postgres);
absl::Status RepairAuditTrail(db::Database& db, bool postgres);

}  // namespace tandem::scheduling::store_testing

#endif  // TANDEM_TESTS_SCHEDULING_STORE_TEST_SUPPORT_H_
