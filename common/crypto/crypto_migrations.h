#ifndef TANDEM_COMMON_CRYPTO_CRYPTO_MIGRATIONS_H_
#define TANDEM_COMMON_CRYPTO_CRYPTO_MIGRATIONS_H_

#include "common/db/migration.h"

namespace tandem::migrations {

// The data_keys table; a service that stores clinical text applies it with its own migrations.
const db::MigrationSet& crypto();

}  // namespace tandem::migrations

#endif  // TANDEM_COMMON_CRYPTO_CRYPTO_MIGRATIONS_H_
