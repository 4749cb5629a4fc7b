#ifndef TANDEM_TOOLS_TANDEMCTL_SQLITE_BACKUP_H_
#define TANDEM_TOOLS_TANDEMCTL_SQLITE_BACKUP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tandem::tandemctl {

struct BackupOptions {
  // Pages copied per step; between steps the source is free for other connections.
  int pages_per_step = 64;
  // Pause between steps, so a large copy does not keep the disk busy for the services.
  absl::Duration pause = absl::Milliseconds(2);
  // How long a step waits for a lock another connection holds before it is tried again.
  absl::Duration busy_timeout = absl::Seconds(5);
};

// `tandemctl backup --db SOURCE --out DESTINATION`: a consistent copy of a live SQLite database with SQLite's
// online backup API, while the services keep reading and writing it.
//
// In WAL mode (every Tandem service's database) the copy is the snapshot of the moment it starts: one read
// transaction is held on the source for the whole copy, which never blocks a writer there (it only keeps the
// WAL from being checkpointed past that snapshot until the copy ends). In rollback-journal mode each step
// holds the read lock only while it copies its pages; a write between steps restarts the copy, and after a
// bounded number of restarts the rest is copied in one step.
//
// The copy goes to a fresh temporary file next to DESTINATION (mode 0600, created with O_EXCL|O_NOFOLLOW), is
// switched to a rollback journal (one self-contained file: no -wal to carry along), synced, checked with
// `PRAGMA integrity_check` on a fresh connection, and only then renamed over DESTINATION. A failed check is
// DATA_LOSS and leaves DESTINATION as it was. NOT_FOUND when SOURCE does not exist; INVALID_ARGUMENT when
// DESTINATION is SOURCE itself.
absl::Status BackupSqlite(const std::string& source, const std::string& destination,
                          const BackupOptions& options = {});

}  // namespace tandem::tandemctl

#endif  // TANDEM_TOOLS_TANDEMCTL_SQLITE_BACKUP_H_
