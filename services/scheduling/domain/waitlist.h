#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_WAITLIST_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_WAITLIST_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/domain/interval.h"
#include "tandem/scheduling/v1/scheduling.pb.h"

// Who gets a freed slot. Pure: no I/O except loading time zones.
namespace tandem::scheduling {

// How long a freed slot is held for one waitlisted client before it goes to the next, unless the slot
// starts sooner.
inline constexpr absl::Duration kDefaultWaitlistHold = absl::Hours(2);

// Whether `slot` lies wholly inside one window, read on the wall clock of `zone`: the window's weekday is the
// slot's local start date's, that date is within the window's effective dates, and the local start and end
// minutes fall inside it (a slot that runs past local midnight fits only a window that runs to 24:00 and
// ends at midnight). On a clock-change day the wall clock decides: a 09:00-10:00 session fits "09:00-12:00"
// on either side of the change.
bool SlotFitsWindows(const Interval& slot, absl::Span<const WorkingHoursRule> windows, absl::TimeZone zone);

// The index in `queue` (waiting entries in the order they joined) of the entry the freed `slot` is offered
// to: the first whose windows hold it and whose id is not in `offered_before` (the entries this slot was
// already offered to, who declined it or let it lapse). nullopt when nobody waits for it. An entry whose
// zone does not load or whose stored windows are unreadable is passed over (FAILED_PRECONDITION only when
// the zone database itself is missing).
absl::StatusOr<std::optional<size_t>> ChooseWaitlistEntry(
    absl::Span<const v1::WaitlistEntry> queue, const Interval& slot,
    const absl::flat_hash_set<std::string>& offered_before);

// When a hold made at `now` ends: `now + hold`, but never after the slot starts.
absl::Time HoldExpiry(absl::Time now, absl::Duration hold, absl::Time slot_start);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_WAITLIST_H_
