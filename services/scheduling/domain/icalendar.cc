#include "services/scheduling/domain/icalendar.h"

#include "absl/strings/str_cat.h"
#include "services/scheduling/domain/proto_time.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;

constexpr size_t kMaxLineOctets = 75;

// UTC date-time form (RFC 5545 3.3.5, form #2): no zone definitions needed, and every app agrees on it.
std::string UtcDateTime(absl::Time t) { return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone()); }

absl::string_view Summary(v1::Modality modality) {
  switch (modality) {
    case v1::MODALITY_TELEHEALTH:
      return "Session (telehealth)";
    case v1::MODALITY_IN_PERSON:
      return "Session (in person)";
    default:
      return "Appointment";
  }
}

// An event the clinic no longer expects is CANCELLED, so that apps strike or drop it rather than keep an old
// copy; one not yet settled is TENTATIVE.
absl::string_view EventStatus(v1::AppointmentStatus status) {
  switch (status) {
    case v1::APPOINTMENT_STATUS_CANCELLED:
    case v1::APPOINTMENT_STATUS_ENTERED_IN_ERROR:
      return "CANCELLED";
    case v1::APPOINTMENT_STATUS_PROPOSED:
    case v1::APPOINTMENT_STATUS_PENDING:
    case v1::APPOINTMENT_STATUS_WAITLIST:
      return "TENTATIVE";
    default:
      return "CONFIRMED";
  }
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string EscapeCalendarText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\r':
        // CRLF is one line break.
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        out += "\\n";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        // Other control characters are not allowed in TEXT (RFC 5545 3.3.11); a tab is.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') break;
        if (c == 0x7F) break;
        out += c;
    }
  }
  return out;
}

std::string FoldCalendarLine(absl::string_view line) {
  std::string out;
  // The first physical line holds 75 octets; each continuation starts with a space, leaving 74.
  size_t limit = kMaxLineOctets;
  while (line.size() > limit) {
    size_t cut = limit;
    while (cut > 0 && IsUtf8Continuation(line[cut])) --cut;
    if (cut == 0) cut = limit;  // not UTF-8: cut anyway rather than loop
    absl::StrAppend(&out, line.substr(0, cut), "\r\n ");
    line.remove_prefix(cut);
    limit = kMaxLineOctets - 1;
  }
  absl::StrAppend(&out, line, "\r\n");
  return out;
}

std::string RenderCalendar(const std::vector<v1::Appointment>& appointments, absl::Time now) {
  std::string out;
  auto line = [&out](absl::string_view name, absl::string_view value) {
    out += FoldCalendarLine(absl::StrCat(name, ":", value));
  };
  line("BEGIN", "VCALENDAR");
  line("PRODID", EscapeCalendarText("-//Tandem//Scheduling//EN"));
  line("VERSION", "2.0");
  line("CALSCALE", "GREGORIAN");
  line("METHOD", "PUBLISH");
  line("X-WR-CALNAME", EscapeCalendarText("Appointments"));
  const std::string stamp = UtcDateTime(now);
  for (const v1::Appointment& appointment : appointments) {
    line("BEGIN", "VEVENT");
    line("UID", EscapeCalendarText(absl::StrCat(appointment.appointment_id(), "@tandem")));
    line("DTSTAMP", stamp);
    line("DTSTART", UtcDateTime(FromProto(appointment.start_time())));
    line("DTEND", UtcDateTime(FromProto(appointment.end_time())));
    line("SUMMARY", EscapeCalendarText(Summary(appointment.modality())));
    line("STATUS", EventStatus(appointment.status()));
    line("SEQUENCE", absl::StrCat(appointment.revision()));
    // Busy while it holds the time; a cancelled one frees it.
    line("TRANSP", EventStatus(appointment.status()) == "CANCELLED" ? "TRANSPARENT" : "OPAQUE");
    line("CLASS", "PRIVATE");
    line("END", "VEVENT");
  }
  line("END", "VCALENDAR");
  return out;
}

}  // namespace tandem::scheduling
