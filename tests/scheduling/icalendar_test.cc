// The calendar feed's document: RFC 5545 structure, line endings and folding, text escaping, and nothing of
// a client, a room, a video link or a cancellation reason in it.
#include "services/scheduling/domain/icalendar.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;
using google::protobuf::util::TimeUtil;

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

google::protobuf::Timestamp Stamp(const char* rfc3339) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(At(rfc3339)));
}

v1::Appointment Appointment(const std::string& id, v1::Modality modality, v1::AppointmentStatus status) {
  v1::Appointment a;
  a.set_clinic_id("clinic-1");
  a.set_appointment_id(id);
  a.set_clinician_id("clinician-1");
  a.add_client_ids("client-secret-id");
  *a.mutable_start_time() = Stamp("2026-03-10T14:00:00+01:00");
  *a.mutable_end_time() = Stamp("2026-03-10T14:50:00+01:00");
  a.set_modality(modality);
  a.set_room("Room Harbour View");
  a.set_telehealth_url("https://video.example/join/abc123");
  a.set_status(status);
  a.set_cancellation_reason("client relapsed into depression");
  a.set_series_id("series-9");
  a.set_revision(3);
  return a;
}

TEST(ICalendarTest, RendersACalendarWithOneEventPerAppointment) {
  const std::string doc =
      RenderCalendar({Appointment("a1", v1::MODALITY_TELEHEALTH, v1::APPOINTMENT_STATUS_BOOKED),
                      Appointment("a2", v1::MODALITY_IN_PERSON, v1::APPOINTMENT_STATUS_CANCELLED)},
                     At("2026-03-01T08:30:05Z"));
  const std::string expected =
      "BEGIN:VCALENDAR\r\n"
      "PRODID:-//Tandem//Scheduling//EN\r\n"
      "VERSION:2.0\r\n"
      "CALSCALE:GREGORIAN\r\n"
      "METHOD:PUBLISH\r\n"
      "X-WR-CALNAME:Appointments\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:a1@tandem\r\n"
      "DTSTAMP:20260301T083005Z\r\n"
      "DTSTART:20260310T130000Z\r\n"
      "DTEND:20260310T135000Z\r\n"
      "SUMMARY:Session (telehealth)\r\n"
      "STATUS:CONFIRMED\r\n"
      "SEQUENCE:3\r\n"
      "TRANSP:OPAQUE\r\n"
      "CLASS:PRIVATE\r\n"
      "END:VEVENT\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:a2@tandem\r\n"
      "DTSTAMP:20260301T083005Z\r\n"
      "DTSTART:20260310T130000Z\r\n"
      "DTEND:20260310T135000Z\r\n"
      "SUMMARY:Session (in person)\r\n"
      "STATUS:CANCELLED\r\n"
      "SEQUENCE:3\r\n"
      "TRANSP:TRANSPARENT\r\n"
      "CLASS:PRIVATE\r\n"
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  EXPECT_EQ(doc, expected);
}

TEST(ICalendarTest, AnEmptyCalendarIsStillACalendar) {
  const std::string doc = RenderCalendar({}, At("2026-03-01T00:00:00Z"));
  EXPECT_EQ(doc.rfind("BEGIN:VCALENDAR\r\n", 0), 0u);
  EXPECT_NE(doc.find("END:VCALENDAR\r\n"), std::string::npos);
  EXPECT_EQ(doc.find("VEVENT"), std::string::npos);
}

TEST(ICalendarTest, StatusesMapToEventStatuses) {
  struct Case {
    v1::AppointmentStatus status;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {v1::APPOINTMENT_STATUS_BOOKED, "STATUS:CONFIRMED"},
      {v1::APPOINTMENT_STATUS_FULFILLED, "STATUS:CONFIRMED"},
      {v1::APPOINTMENT_STATUS_NOSHOW, "STATUS:CONFIRMED"},
      {v1::APPOINTMENT_STATUS_CANCELLED, "STATUS:CANCELLED"},
      {v1::APPOINTMENT_STATUS_ENTERED_IN_ERROR, "STATUS:CANCELLED"},
      {v1::APPOINTMENT_STATUS_PENDING, "STATUS:TENTATIVE"},
      {v1::APPOINTMENT_STATUS_WAITLIST, "STATUS:TENTATIVE"},
  };
  for (const Case& c : cases) {
    const std::string doc =
        RenderCalendar({Appointment("a1", v1::MODALITY_UNSPECIFIED, c.status)}, At("2026-03-01T00:00:00Z"));
    EXPECT_NE(doc.find(absl::StrCat(c.expected, "\r\n")), std::string::npos) << c.expected;
    EXPECT_NE(doc.find("SUMMARY:Appointment\r\n"), std::string::npos);
  }
}

TEST(ICalendarTest, NothingAboutTheClientTheRoomOrTheLinkLeaks) {
  const std::string doc =
      RenderCalendar({Appointment("a1", v1::MODALITY_TELEHEALTH, v1::APPOINTMENT_STATUS_CANCELLED),
                      Appointment("a2", v1::MODALITY_IN_PERSON, v1::APPOINTMENT_STATUS_BOOKED)},
                     At("2026-03-01T00:00:00Z"));
  for (const char* secret : {"client-secret-id", "Harbour", "video.example", "abc123", "relapsed",
                             "depression", "series-9", "clinic-1", "clinician-1"}) {
    EXPECT_EQ(doc.find(secret), std::string::npos) << secret;
  }
}

TEST(ICalendarTest, EveryLineEndsInCrlfAndNoneIsLongerThan75Octets) {
  v1::Appointment long_id =
      Appointment(std::string(200, 'x'), v1::MODALITY_IN_PERSON, v1::APPOINTMENT_STATUS_BOOKED);
  const std::string doc = RenderCalendar({long_id}, At("2026-03-01T00:00:00Z"));
  ASSERT_GE(doc.size(), 2u);
  EXPECT_EQ(doc.substr(doc.size() - 2), "\r\n");
  std::string unfolded;
  for (absl::string_view physical : absl::StrSplit(doc, "\r\n")) {
    EXPECT_LE(physical.size(), 75u);
    EXPECT_EQ(physical.find('\n'), absl::string_view::npos);
    EXPECT_EQ(physical.find('\r'), absl::string_view::npos);
  }
  // Unfolding (RFC 5545 3.1: drop each CRLF followed by a space) gives the UID back whole.
  std::string joined = doc;
  for (size_t at = joined.find("\r\n "); at != std::string::npos; at = joined.find("\r\n ")) {
    joined.erase(at, 3);
  }
  EXPECT_NE(joined.find(absl::StrCat("UID:", std::string(200, 'x'), "@tandem\r\n")), std::string::npos);
}

TEST(ICalendarTest, FoldingNeverSplitsAUtf8Character) {
  // "é" is two octets; 80 of them cannot all sit on 75-octet lines without a cut between characters.
  std::string line = "SUMMARY:";
  for (int i = 0; i < 80; ++i) line += "\xC3\xA9";
  const std::string folded = FoldCalendarLine(line);
  for (absl::string_view physical : absl::StrSplit(folded, "\r\n", absl::SkipEmpty())) {
    EXPECT_LE(physical.size(), 75u);
    // A continuation line starts with the folding space and then a whole character.
    absl::string_view content = physical.substr(0, 1) == " " ? physical.substr(1) : physical;
    ASSERT_FALSE(content.empty());
    EXPECT_NE(static_cast<unsigned char>(content[0]) & 0xC0, 0x80) << "starts inside a character";
  }
  EXPECT_EQ(FoldCalendarLine("SHORT:1"), "SHORT:1\r\n");
}

TEST(ICalendarTest, TextIsEscaped) {
  EXPECT_EQ(EscapeCalendarText("a\\b;c,d\ne\r\nf"), "a\\\\b\\;c\\,d\\ne\\nf");
  EXPECT_EQ(EscapeCalendarText(std::string("x\x01y\x7Fz", 5)), "xyz");
  EXPECT_EQ(EscapeCalendarText("tab\there"), "tab\there");
}

}  // namespace
}  // namespace tandem::scheduling
