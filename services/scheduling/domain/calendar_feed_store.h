#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_CALENDAR_FEED_STORE_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_CALENDAR_FEED_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_entry.h"

namespace tandem::scheduling {

// One calendar feed URL as stored: never its token, only the token's hash (which stays in the store).
struct CalendarFeedRecord {
  std::string clinic_id;
  std::string feed_id;
  std::string clinician_id;
  absl::Time created_at;
  std::optional<absl::Time> revoked_at;
};

// The storage port of calendar feeds. Writes append their audit row in their own transaction.
class CalendarFeedStore {
 public:
  virtual ~CalendarFeedStore() = default;

  virtual absl::Status CreateFeed(const CalendarFeedRecord& feed, const std::string& token_hash,
                                  const audit::AuditEntry& audit) = 0;
  // The feed, revoked or not; NOT_FOUND when the clinic has no such feed.
  virtual absl::StatusOr<CalendarFeedRecord> GetFeed(const std::string& clinic_id,
                                                     const std::string& feed_id) = 0;
  // Marks the feed revoked at `now`; NOT_FOUND when the clinic has no such feed or it is revoked already.
  virtual absl::Status RevokeFeed(const std::string& clinic_id, const std::string& feed_id, absl::Time now,
                                  const audit::AuditEntry& audit) = 0;
  // The clinician's feeds not revoked, newest first.
  virtual absl::StatusOr<std::vector<CalendarFeedRecord>> ListFeeds(const std::string& clinic_id,
                                                                    const std::string& clinician_id) = 0;
  // The feed not revoked whose token hashes to `token_hash`; NOT_FOUND otherwise, unknown or revoked alike.
  virtual absl::StatusOr<CalendarFeedRecord> FindActiveFeed(const std::string& token_hash) = 0;
};

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_CALENDAR_FEED_STORE_H_
