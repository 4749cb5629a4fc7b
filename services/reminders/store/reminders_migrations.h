#ifndef TANDEM_SERVICES_REMINDERS_STORE_REMINDERS_MIGRATIONS_H_
#define TANDEM_SERVICES_REMINDERS_STORE_REMINDERS_MIGRATIONS_H_

#include "common/db/migration.h"

namespace tandem::migrations {

// The reminders and reminder_templates tables.
const db::MigrationSet& reminders();

}  // namespace tandem::migrations

#endif  // TANDEM_SERVICES_REMINDERS_STORE_REMINDERS_MIGRATIONS_H_
