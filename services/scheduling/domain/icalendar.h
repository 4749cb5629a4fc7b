#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_ICALENDAR_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_ICALENDAR_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tandem/scheduling/v1/scheduling.pb.h"

namespace tandem::scheduling {

// The media type of a calendar feed.
inline constexpr char kCalendarContentType[] = "text/calendar; charset=utf-8";

// How far a feed reaches around the moment it is fetched: recent history, and the months a calendar app
// shows ahead.
inline constexpr absl::Duration kCalendarFeedPast = absl::Hours(24 * 30);
inline constexpr absl::Duration kCalendarFeedAhead = absl::Hours(24 * 180);

// A clinician's appointments as an iCalendar (RFC 5545) document, generated at `now` (DTSTAMP). A
// subscribed calendar is copied to phones and third-party calendar services, so each event carries only its
// time, a summary that names the modality ("Session (telehealth)"), its status and its revision: never a
// client, a room, a video link or a cancellation reason. UIDs are "<appointment_id>@tandem" so that an app
// updates the same event when an appointment moves (SEQUENCE is the appointment's revision).
std::string RenderCalendar(const std::vector<tandem::scheduling::v1::Appointment>& appointments,
                           absl::Time now);

// One TEXT value escaped per RFC 5545 3.3.11: backslash, semicolon, comma and line breaks.
std::string EscapeCalendarText(absl::string_view text);

// One content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character, each physical line
// ending in CRLF.
std::string FoldCalendarLine(absl::string_view line);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_ICALENDAR_H_
