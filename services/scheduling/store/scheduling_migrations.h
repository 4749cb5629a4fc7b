#ifndef TANDEM_SERVICES_SCHEDULING_STORE_SCHEDULING_MIGRATIONS_H_
#define TANDEM_SERVICES_SCHEDULING_STORE_SCHEDULING_MIGRATIONS_H_

#include "common/db/migration.h"

namespace tandem::migrations {

// The clinicians, availability, clients, care_team, appointments and calendar_feeds and waitlist tables.
const db::MigrationSet& scheduling();

}  // namespace tandem::migrations

#endif  // TANDEM_SERVICES_SCHEDULING_STORE_SCHEDULING_MIGRATIONS_H_
