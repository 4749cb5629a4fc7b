#ifndef TANDEM_SERVICES_REMINDERS_DISPATCH_DUE_INDEX_H_
#define TANDEM_SERVICES_REMINDERS_DISPATCH_DUE_INDEX_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_pool.h"

namespace tandem::reminders {

// One stream entry: the reminder it names, and the entry id to acknowledge once it is handled.
struct DueEntry {
  std::string entry_id;
  std::string reminder_id;
};

struct DueIndexDepth {
  int64_t waiting = 0;  // in the sorted set, not yet due or not yet moved
  int64_t queued = 0;   // in the stream: moved, not yet acknowledged
};

// Redis's half of reminder durability: a sorted set of reminder ids scored by the time they are next due, and
// a stream read through one consumer group. A Lua script moves due ids from the set into the stream
// atomically, so any number of replicas may run it with no leader and no id is queued twice by one move.
// Redis holds ids only, never recipients or text. Everything here is an index the database can rebuild
// (see Reconciler): losing it delays reminders, never loses them.
class DueIndex {
 public:
  // `prefix` namespaces the keys, e.g. "tandem:reminders:".
  DueIndex(redis::RedisPool& redis, const std::string& prefix);

  // Adds or moves reminders to their next due time (ZADD; one round trip for the whole batch).
  absl::Status Add(const std::vector<std::pair<std::string, absl::Time>>& reminders);
  // Moves up to `limit` ids due at `now` into the stream; returns the ids moved.
  absl::StatusOr<std::vector<std::string>> MoveDue(absl::Time now, int limit);
  // New entries for `consumer`, waiting up to `block` for some (less than the pool's command timeout). A
  // consumer group lost with Redis (NOGROUP) is created again, and the read retried once.
  absl::StatusOr<std::vector<DueEntry>> Read(const std::string& consumer, int count, absl::Duration block);
  // Entries another consumer read but did not acknowledge for `min_idle` (its worker died), now owned by
  // `consumer` (XAUTOCLAIM, one pass from the start of the pending list).
  absl::StatusOr<std::vector<DueEntry>> Reclaim(const std::string& consumer, absl::Duration min_idle,
                                                int count);
  // Acknowledges and deletes handled entries, so the stream holds only work in progress.
  absl::Status Ack(const std::vector<std::string>& entry_ids);
  absl::StatusOr<DueIndexDepth> Depth();
  // Creates the stream and the consumer group when missing (BUSYGROUP is success).
  absl::Status EnsureGroup();

  const std::string& due_key() const { return due_key_; }
  const std::string& stream_key() const { return stream_key_; }
  static constexpr char kGroup[] = "dispatchers";

 private:
  redis::RedisPool& redis_;
  const std::string due_key_;
  const std::string stream_key_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DISPATCH_DUE_INDEX_H_
