#include "services/scheduling/domain/request_validation.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status/status_macros.h"
#include "common/text/contact_address.h"
#include "common/text/utf8.h"
#include "common/time/time_zone.h"
#include "google/protobuf/util/time_util.h"
#include "services/scheduling/domain/proto_status.h"
#include "services/scheduling/domain/recurrence.h"

namespace tandem::scheduling {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kDefaultSessionMinutes = 50;
constexpr int kMaxSessionMinutes = 480;
constexpr int kMaxBufferMinutes = 240;
constexpr int kMaxNoticeMinutes = 30 * 24 * 60;
constexpr int kDefaultHorizonDays = 90;
constexpr int kMaxHorizonDays = 730;
constexpr int kDefaultLateHours = 24;
constexpr int kMaxLateHours = 14 * 24;
constexpr int kMinReminderOffsetMinutes = 5;
constexpr int kMaxReminderOffsetMinutes = 14 * 24 * 60;
constexpr int kMaxSlotMinutes = 480;
constexpr int kMinutesPerDay = 24 * 60;

std::string Indexed(absl::string_view list, int i) { return absl::StrCat(list, "[", i, "]"); }
std::string Indexed(absl::string_view list, int i, absl::string_view field) {
  return absl::StrCat(list, "[", i, "].", field);
}

// Whether `text` is longer than `max_chars` Unicode code points (protobuf has already rejected malformed
// UTF-8 in string fields).
bool LongerThan(absl::string_view text, int max_chars) {
  return text::CountCodePoints(text) > static_cast<size_t>(max_chars);
}

// C0 controls, DEL and the C1 controls: none belongs in a name or a room, and they can forge lines in
// whatever later displays the text.
bool HasAnyControlCharacters(absl::string_view text) {
  return text::HasControlCharacters(text) || text::HasC1ControlCharacters(text);
}

// Visible ASCII only: no spaces, controls or non-ASCII bytes.
bool IsVisibleAscii(absl::string_view text) {
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

// A name shown to people: required, 1 to `max_chars` characters, no control characters.
void CheckName(FieldViolations& v, const std::string& field, const std::string& text, int max_chars) {
  if (text.empty()) {
    v.Add(field, "is required");
  } else if (LongerThan(text, max_chars)) {
    v.Add(field, absl::StrCat("must be at most ", max_chars, " characters"));
  } else if (HasAnyControlCharacters(text)) {
    v.Add(field, "must not contain control characters");
  }
}

// An optional reference to another record: empty, or a valid id.
void CheckOptionalRef(FieldViolations& v, const std::string& field, const std::string& value) {
  if (!value.empty()) CheckRef(v, field, value);
}

// The zone, or nullopt with a violation. A missing zone database is the server's problem, not the caller's:
// that status is returned through `server_error` instead.
std::optional<absl::TimeZone> CheckTimeZone(FieldViolations& v, const std::string& field,
                                            const std::string& name, absl::Status& server_error) {
  if (name.empty()) {
    v.Add(field, "is required (an IANA zone such as Europe/Berlin)");
    return std::nullopt;
  }
  absl::StatusOr<absl::TimeZone> zone = LoadTimeZone(name);
  if (zone.ok()) return *zone;
  if (zone.status().code() == absl::StatusCode::kInvalidArgument) {
    v.Add(field, "is not a known IANA time zone");
  } else {
    server_error = zone.status();
  }
  return std::nullopt;
}

// An int32 setting where 0 selects a default: the value in [1, max], or `default_value` for 0.
std::optional<int> CheckDefaulted(FieldViolations& v, const std::string& field, int32_t value, int max,
                                  int default_value) {
  if (value == 0) return default_value;
  if (value < 0 || value > max) {
    v.Add(field, absl::StrCat("must be 0 (the default, ", default_value, ") or 1-", max));
    return std::nullopt;
  }
  return value;
}

std::optional<int> CheckRange(FieldViolations& v, const std::string& field, int32_t value, int min, int max) {
  if (value < min || value > max) {
    v.Add(field, absl::StrCat("must be ", min, "-", max));
    return std::nullopt;
  }
  return value;
}

// The timestamp as an absl::Time, or nullopt with a violation when it is unset or out of the Timestamp range.
std::optional<absl::Time> CheckTimestamp(FieldViolations& v, const std::string& field, bool present,
                                         const google::protobuf::Timestamp& t) {
  if (!present) {
    v.Add(field, "is required");
    return std::nullopt;
  }
  if (t.seconds() < TimeUtil::kTimestampMinSeconds || t.seconds() > TimeUtil::kTimestampMaxSeconds ||
      t.nanos() < 0 || t.nanos() > 999999999) {
    v.Add(field, "is not a valid timestamp");
    return std::nullopt;
  }
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// An optional timestamp: nullopt when unset (no violation) or invalid (a violation).
std::optional<absl::Time> CheckOptionalTimestamp(FieldViolations& v, const std::string& field, bool present,
                                                 const google::protobuf::Timestamp& t) {
  if (!present) return std::nullopt;
  return CheckTimestamp(v, field, true, t);
}

// A real calendar date (no 31 April), years 1-9999.
std::optional<absl::CivilDay> CheckDate(FieldViolations& v, const std::string& field, bool present,
                                        const tandem::common::v1::CivilDate& d) {
  if (!present) {
    v.Add(field, "is required");
    return std::nullopt;
  }
  absl::CivilDay day(d.year(), d.month(), d.day());
  if (d.year() < 1 || d.year() > 9999 || day.year() != d.year() || day.month() != d.month() ||
      day.day() != d.day()) {
    v.Add(field, "is not a valid date");
    return std::nullopt;
  }
  return day;
}

// Minutes since midnight of a whole-minute time of day.
std::optional<int> CheckTimeOfDay(FieldViolations& v, const std::string& field, bool present,
                                  const tandem::common::v1::CivilTime& t) {
  if (!present) {
    v.Add(field, "is required");
    return std::nullopt;
  }
  if (t.hours() < 0 || t.hours() > 23 || t.minutes() < 0 || t.minutes() > 59 || t.seconds() != 0) {
    v.Add(field, "must be a time of day 00:00-23:59 in whole minutes");
    return std::nullopt;
  }
  return t.hours() * 60 + t.minutes();
}

// Whether ids[i] repeats an earlier id; adds "<list>[i]" for each repeat.
void CheckDistinct(FieldViolations& v, absl::string_view list,
                   const google::protobuf::RepeatedPtrField<std::string>& ids) {
  absl::flat_hash_set<absl::string_view> seen;
  for (int i = 0; i < ids.size(); ++i) {
    if (!ids[i].empty() && !seen.insert(ids[i]).second) v.Add(Indexed(list, i), "is listed more than once");
  }
}

// Start and end of an appointment: set, valid, end after start, at most kMaxSessionLength, not in the past.
std::optional<Interval> CheckAppointmentTimes(FieldViolations& v, bool has_start,
                                              const google::protobuf::Timestamp& start, bool has_end,
                                              const google::protobuf::Timestamp& end, absl::Time now) {
  std::optional<absl::Time> s = CheckTimestamp(v, "start_time", has_start, start);
  std::optional<absl::Time> e = CheckTimestamp(v, "end_time", has_end, end);
  if (s.has_value() && *s < now) v.Add("start_time", "must not be in the past");
  if (!s.has_value() || !e.has_value()) return std::nullopt;
  if (*e <= *s) {
    v.Add("end_time", "must be after start_time");
    return std::nullopt;
  }
  if (*e - *s > kMaxSessionLength) {
    v.Add("end_time",
          absl::StrCat("an appointment may last at most ", absl::FormatDuration(kMaxSessionLength)));
    return std::nullopt;
  }
  return Interval{*s, *e};
}

// A search/summary window: both set and valid, start before end.
std::optional<Interval> CheckWindow(FieldViolations& v, bool has_start,
                                    const google::protobuf::Timestamp& start, bool has_end,
                                    const google::protobuf::Timestamp& end) {
  std::optional<absl::Time> s = CheckTimestamp(v, "start_time", has_start, start);
  std::optional<absl::Time> e = CheckTimestamp(v, "end_time", has_end, end);
  if (!s.has_value() || !e.has_value()) return std::nullopt;
  if (*e <= *s) {
    v.Add("end_time", "must be after start_time");
    return std::nullopt;
  }
  return Interval{*s, *e};
}

// The https URL of a video session: a host, and nothing a mail or calendar client could mangle.
bool IsHttpsUrl(absl::string_view url) {
  constexpr absl::string_view kScheme = "https://";
  if (!IsVisibleAscii(url) || !absl::StartsWithIgnoreCase(url, kScheme)) return false;
  absl::string_view rest = url.substr(kScheme.size());
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // Credentials in a link ("https://trusted@elsewhere") disguise where it leads.
  return !authority.empty() && !absl::StrContains(authority, '@');
}

// Weekly intervals named "<list>[i].<field>": weekday 1-7; start and end whole-minute times (end 00:00 with
// until_midnight for 24:00); effective dates real. Returns the intervals whose own fields are valid, with
// the proto index of each in `index`; the checks across fields (end after start, dates in order) are
// ValidateCalendar's.
std::vector<WorkingHoursRule> CheckWorkingIntervals(
    FieldViolations& v, const std::string& list,
    const google::protobuf::RepeatedPtrField<v1::WorkingInterval>& intervals, std::vector<int>& index) {
  std::vector<WorkingHoursRule> rules;
  for (int i = 0; i < intervals.size(); ++i) {
    const v1::WorkingInterval& w = intervals.Get(i);
    const std::string base = Indexed(list, i);
    const size_t before = v.size();
    std::optional<int> weekday = CheckRange(v, base + ".weekday", w.weekday(), 1, 7);
    std::optional<int> start = CheckTimeOfDay(v, base + ".start", w.has_start(), w.start());
    std::optional<int> end;
    if (w.until_midnight()) {
      std::optional<int> written =
          w.has_end() ? CheckTimeOfDay(v, base + ".end", true, w.end()) : std::optional<int>(0);
      if (written.has_value() && *written != 0) {
        v.Add(base + ".end", "must be 00:00 (or unset) with until_midnight");
      } else if (written.has_value()) {
        end = kMinutesPerDay;
      }
    } else {
      end = CheckTimeOfDay(v, base + ".end", w.has_end(), w.end());
    }
    std::optional<absl::CivilDay> from;
    std::optional<absl::CivilDay> until;
    if (w.has_effective_from()) from = CheckDate(v, base + ".effective_from", true, w.effective_from());
    if (w.has_effective_until()) until = CheckDate(v, base + ".effective_until", true, w.effective_until());
    if (v.size() != before) continue;
    // ISO weekday 1 (Monday) .. 7 (Sunday); absl::Weekday starts at Monday too.
    rules.push_back({static_cast<absl::Weekday>(*weekday - 1), *start, *end, from, until});
    index.push_back(i);
  }
  return rules;
}

// Maps a ValidateCalendar field ("working_hours[3].end_minute") to the request's proto path, through the
// index of the proto entry each calendar entry came from. Unknown shapes keep their name under `prefix`.
std::string CalendarFieldToProto(absl::string_view field, const std::string& prefix,
                                 const std::vector<int>& working_index,
                                 const std::vector<int>& days_off_index,
                                 const std::vector<int>& time_off_index) {
  size_t open = field.find('[');
  size_t close = field.find(']');
  int k = 0;
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open ||
      !absl::SimpleAtoi(field.substr(open + 1, close - open - 1), &k) || k < 0) {
    return absl::StrCat(prefix, ".", field);
  }
  absl::string_view list = field.substr(0, open);
  absl::string_view leaf = absl::StripPrefix(field.substr(close + 1), ".");
  const std::vector<int>* index = nullptr;
  if (list == "working_hours") {
    index = &working_index;
    if (leaf == "start_minute") leaf = "start";
    if (leaf == "end_minute") leaf = "end";
  } else if (list == "days_off") {
    index = &days_off_index;
  } else if (list == "time_off") {
    index = &time_off_index;
    if (leaf == "start") leaf = "start_time";
    if (leaf == "end") leaf = "end_time";
  }
  if (index == nullptr || k >= static_cast<int>(index->size())) return absl::StrCat(prefix, ".", field);
  return Indexed(absl::StrCat(prefix, ".", list), (*index)[k], leaf);
}

}  // namespace

void ValidateContacts(const google::protobuf::RepeatedPtrField<v1::ContactChannel>& contacts,
                      const std::string& prefix, FieldViolations& violations) {
  if (contacts.size() > kMaxContacts) {
    violations.Add(prefix, absl::StrCat("must hold at most ", kMaxContacts, " channels"));
  }
  for (int i = 0; i < contacts.size(); ++i) {
    const v1::ContactChannel& c = contacts[i];
    const std::string address_field = Indexed(prefix, i, "address");
    if (c.kind() != v1::CONTACT_KIND_EMAIL && c.kind() != v1::CONTACT_KIND_SMS) {
      violations.Add(Indexed(prefix, i, "kind"), "must be CONTACT_KIND_EMAIL or CONTACT_KIND_SMS");
    }
    // The rules of the reminders channels these addresses are handed to: an address accepted here is never
    // refused when a reminder is sent.
    std::optional<std::string> problem;
    if (c.address().empty()) {
      problem = "is required";
    } else if (c.kind() == v1::CONTACT_KIND_EMAIL) {
      problem = text::EmailAddressProblem(c.address());
    } else if (c.kind() == v1::CONTACT_KIND_SMS) {
      problem = text::E164Problem(c.address());
    }
    if (problem.has_value()) violations.Add(address_field, *std::move(problem));
  }
}

absl::StatusOr<ClinicianPolicy> ValidateClinician(const v1::Clinician& clinician) {
  FieldViolations v;
  absl::Status server_error;
  CheckRef(v, "clinician.clinic_id", clinician.clinic_id());
  CheckRef(v, "clinician.clinician_id", clinician.clinician_id());
  CheckName(v, "clinician.display_name", clinician.display_name(), kMaxDisplayNameChars);
  std::optional<absl::TimeZone> zone =
      CheckTimeZone(v, "clinician.time_zone", clinician.time_zone(), server_error);
  std::optional<int> session =
      CheckDefaulted(v, "clinician.default_session_minutes", clinician.default_session_minutes(),
                     kMaxSessionMinutes, kDefaultSessionMinutes);
  std::optional<int> before = CheckRange(v, "clinician.buffer_before_minutes",
                                         clinician.buffer_before_minutes(), 0, kMaxBufferMinutes);
  std::optional<int> after =
      CheckRange(v, "clinician.buffer_after_minutes", clinician.buffer_after_minutes(), 0, kMaxBufferMinutes);
  std::optional<int> notice = CheckRange(v, "clinician.minimum_notice_minutes",
                                         clinician.minimum_notice_minutes(), 0, kMaxNoticeMinutes);
  std::optional<int> horizon =
      CheckDefaulted(v, "clinician.booking_horizon_days", clinician.booking_horizon_days(), kMaxHorizonDays,
                     kDefaultHorizonDays);
  std::optional<int> late =
      CheckDefaulted(v, "clinician.late_cancellation_hours", clinician.late_cancellation_hours(),
                     kMaxLateHours, kDefaultLateHours);
  CheckOptionalRef(v, "clinician.supervisor_id", clinician.supervisor_id());
  if (!clinician.supervisor_id().empty() && clinician.supervisor_id() == clinician.clinician_id()) {
    v.Add("clinician.supervisor_id", "must not be the clinician themselves");
  }
  ValidateContacts(clinician.contacts(), "clinician.contacts", v);
  if (!server_error.ok()) return server_error;
  if (!v.empty()) return v.ToStatus();

  ClinicianPolicy policy;
  policy.time_zone = *zone;
  policy.default_session_length = absl::Minutes(*session);
  policy.buffers = {absl::Minutes(*before), absl::Minutes(*after)};
  policy.minimum_notice = absl::Minutes(*notice);
  policy.booking_horizon = absl::Hours(24 * *horizon);
  policy.self_booking_allowed = clinician.self_booking_allowed();
  policy.late_cancellation_window = absl::Hours(*late);
  return policy;
}

absl::StatusOr<ClinicianPolicy> ValidateUpsertClinician(const v1::UpsertClinicianRequest& request) {
  if (!request.has_clinician()) {
    FieldViolations v;
    v.Add("clinician", "is required");
    return v.ToStatus();
  }
  return ValidateClinician(request.clinician());
}

absl::StatusOr<AvailabilityRules> ValidateAvailability(const v1::Availability& availability) {
  const std::string prefix = "availability";
  FieldViolations v;
  CheckRef(v, "availability.clinic_id", availability.clinic_id());
  CheckRef(v, "availability.clinician_id", availability.clinician_id());
  const std::pair<absl::string_view, int> limits[] = {{"working_hours", kMaxWorkingIntervals},
                                                      {"days_off", kMaxDaysOffRanges},
                                                      {"time_off", kMaxTimeOffIntervals}};
  const int sizes[] = {availability.working_hours_size(), availability.days_off_size(),
                       availability.time_off_size()};
  for (int l = 0; l < 3; ++l) {
    if (sizes[l] > limits[l].second) {
      v.Add(absl::StrCat(prefix, ".", limits[l].first), absl::StrCat("must hold at most ", limits[l].second));
    }
  }

  // Entries whose own fields are valid go into the calendar, remembering their proto index, so the calendar
  // checks (end after start, dates in order) report only what the field checks could not see.
  ClinicianCalendar calendar;
  std::vector<int> working_index;
  std::vector<int> days_off_index;
  std::vector<int> time_off_index;
  calendar.working_hours = CheckWorkingIntervals(v, absl::StrCat(prefix, ".working_hours"),
                                                 availability.working_hours(), working_index);
  for (int i = 0; i < availability.days_off_size(); ++i) {
    const v1::DaysOff& d = availability.days_off(i);
    const std::string base = Indexed(absl::StrCat(prefix, ".days_off"), i);
    std::optional<absl::CivilDay> first = CheckDate(v, base + ".first", d.has_first(), d.first());
    std::optional<absl::CivilDay> last = CheckDate(v, base + ".last", d.has_last(), d.last());
    if (!first.has_value() || !last.has_value()) continue;
    calendar.days_off.push_back({*first, *last});
    days_off_index.push_back(i);
  }
  for (int i = 0; i < availability.time_off_size(); ++i) {
    const v1::TimeOff& t = availability.time_off(i);
    const std::string base = Indexed(absl::StrCat(prefix, ".time_off"), i);
    std::optional<absl::Time> start =
        CheckTimestamp(v, base + ".start_time", t.has_start_time(), t.start_time());
    std::optional<absl::Time> end = CheckTimestamp(v, base + ".end_time", t.has_end_time(), t.end_time());
    if (!start.has_value() || !end.has_value()) continue;
    calendar.time_off.push_back({*start, *end});
    time_off_index.push_back(i);
  }
  for (const FieldViolation& f : ValidateCalendar(calendar)) {
    // The calendar speaks of minutes; the caller wrote CivilTimes named start and end.
    v.Add(CalendarFieldToProto(f.field, prefix, working_index, days_off_index, time_off_index),
          absl::StrReplaceAll(f.description, {{"start_minute", "start"}}));
  }
  if (!v.empty()) return v.ToStatus();
  return AvailabilityRules{std::move(calendar.working_hours), std::move(calendar.days_off),
                           std::move(calendar.time_off)};
}

absl::StatusOr<AvailabilityRules> ValidateSetAvailability(const v1::SetAvailabilityRequest& request) {
  if (!request.has_availability()) {
    FieldViolations v;
    v.Add("availability", "is required");
    return v.ToStatus();
  }
  return ValidateAvailability(request.availability());
}

absl::Status ValidateUpsertClient(const v1::UpsertClientRequest& request) {
  FieldViolations v;
  if (!request.has_client()) {
    v.Add("client", "is required");
    return v.ToStatus();
  }
  const v1::Client& client = request.client();
  absl::Status server_error;
  CheckRef(v, "client.clinic_id", client.clinic_id());
  CheckRef(v, "client.client_id", client.client_id());
  CheckName(v, "client.display_name", client.display_name(), kMaxDisplayNameChars);
  CheckTimeZone(v, "client.time_zone", client.time_zone(), server_error);
  ValidateContacts(client.contacts(), "client.contacts", v);
  const v1::ReminderPreferences& reminders = client.reminders();
  if (reminders.offsets_minutes_size() > kMaxReminderOffsets) {
    v.Add("client.reminders.offsets_minutes", absl::StrCat("must hold at most ", kMaxReminderOffsets));
  }
  for (int i = 0; i < reminders.offsets_minutes_size(); ++i) {
    CheckRange(v, Indexed("client.reminders.offsets_minutes", i), reminders.offsets_minutes(i),
               kMinReminderOffsetMinutes, kMaxReminderOffsetMinutes);
  }
  if (reminders.has_quiet_hours()) {
    const v1::QuietHours& q = reminders.quiet_hours();
    std::optional<int> start =
        CheckTimeOfDay(v, "client.reminders.quiet_hours.start", q.has_start(), q.start());
    std::optional<int> end = CheckTimeOfDay(v, "client.reminders.quiet_hours.end", q.has_end(), q.end());
    if (start.has_value() && end.has_value() && *start == *end) {
      v.Add("client.reminders.quiet_hours.end", "must differ from start");
    }
  }
  CheckOptionalRef(v, "client.partner_client_id", client.partner_client_id());
  if (!client.partner_client_id().empty() && client.partner_client_id() == client.client_id()) {
    v.Add("client.partner_client_id", "must not be the client themselves");
  }
  if (!server_error.ok()) return server_error;
  return v.ToStatus();
}

absl::StatusOr<std::vector<std::string>> ValidateSetCareTeam(const v1::SetCareTeamRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "client_id", request.client_id());
  if (request.clinician_ids_size() > kMaxCareTeamSize) {
    v.Add("clinician_ids", absl::StrCat("must hold at most ", kMaxCareTeamSize));
  }
  for (int i = 0; i < request.clinician_ids_size(); ++i) {
    CheckRef(v, Indexed("clinician_ids", i), request.clinician_ids(i));
  }
  CheckDistinct(v, "clinician_ids", request.clinician_ids());
  if (!v.empty()) return v.ToStatus();
  return std::vector<std::string>(request.clinician_ids().begin(), request.clinician_ids().end());
}

absl::Status ValidateGetClinician(const v1::GetClinicianRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "clinician_id", request.clinician_id());
  return v.ToStatus();
}

absl::Status ValidateGetAvailability(const v1::GetAvailabilityRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "clinician_id", request.clinician_id());
  return v.ToStatus();
}

absl::Status ValidateGetClient(const v1::GetClientRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "client_id", request.client_id());
  return v.ToStatus();
}

absl::Status ValidateCheckCareTeam(const v1::CheckCareTeamRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "client_id", request.client_id());
  CheckRef(v, "clinician_id", request.clinician_id());
  return v.ToStatus();
}

absl::Status ValidateGetAppointment(const v1::GetAppointmentRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "appointment_id", request.appointment_id());
  return v.ToStatus();
}

absl::Status ValidateGetContact(const v1::GetContactRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  if (request.kind() != v1::PERSON_KIND_CLIENT && request.kind() != v1::PERSON_KIND_CLINICIAN) {
    v.Add("kind", "must be PERSON_KIND_CLIENT or PERSON_KIND_CLINICIAN");
  }
  CheckRef(v, "person_id", request.person_id());
  return v.ToStatus();
}

namespace {

// What a booking and a series booking share: the clinic, the retry key, the people, the modality and its
// room or link. Both requests name these fields alike.
template <typename Request>
void CheckBookingFields(FieldViolations& v, const Request& request) {
  CheckRef(v, "clinic_id", request.clinic_id());
  const std::string& key = request.idempotency_key();
  if (key.empty()) {
    v.Add("idempotency_key", "is required");
  } else if (key.size() > kMaxIdempotencyKeyBytes) {
    v.Add("idempotency_key", absl::StrCat("must be at most ", kMaxIdempotencyKeyBytes, " bytes"));
  } else if (!IsVisibleAscii(key)) {
    v.Add("idempotency_key", "must be printable ASCII without spaces");
  }
  CheckRef(v, "clinician_id", request.clinician_id());
  if (request.client_ids().empty()) {
    v.Add("client_ids", "is required (one client, or two for a couple)");
  } else if (request.client_ids_size() > 2) {
    v.Add("client_ids", "must hold one client, or two for a couple");
  }
  for (int i = 0; i < request.client_ids_size(); ++i) {
    CheckRef(v, Indexed("client_ids", i), request.client_ids(i));
  }
  CheckDistinct(v, "client_ids", request.client_ids());
  const bool in_person = request.modality() == v1::MODALITY_IN_PERSON;
  const bool telehealth = request.modality() == v1::MODALITY_TELEHEALTH;
  if (!in_person && !telehealth) v.Add("modality", "must be MODALITY_IN_PERSON or MODALITY_TELEHEALTH");
  if (!request.room().empty()) {
    if (!in_person) {
      v.Add("room", "is only for an in-person appointment");
    } else if (LongerThan(request.room(), kMaxRoomChars)) {
      v.Add("room", absl::StrCat("must be at most ", kMaxRoomChars, " characters"));
    } else if (HasAnyControlCharacters(request.room())) {
      v.Add("room", "must not contain control characters");
    }
  }
  if (!request.telehealth_url().empty()) {
    if (!telehealth) {
      v.Add("telehealth_url", "is only for a telehealth appointment");
    } else if (request.telehealth_url().size() > kMaxTelehealthUrlBytes) {
      v.Add("telehealth_url", absl::StrCat("must be at most ", kMaxTelehealthUrlBytes, " bytes"));
    } else if (!IsHttpsUrl(request.telehealth_url())) {
      v.Add("telehealth_url", "must be an https:// URL with a host and no spaces or credentials");
    }
  }
}

// ISO weekday 1 (Monday) .. 7 (Sunday); absl::Weekday starts at Monday too.
std::optional<absl::Weekday> IsoWeekday(int32_t iso) {
  if (iso < 1 || iso > 7) return std::nullopt;
  return static_cast<absl::Weekday>(iso - 1);
}

void CheckScope(FieldViolations& v, v1::ChangeScope scope) {
  if (!v1::ChangeScope_IsValid(scope)) v.Add("scope", "is not a change scope");
}

// The recurrence's own findings (ValidateRecurrence) under the proto's names.
std::string RecurrenceFieldToProto(absl::string_view field) {
  if (field == "start_minute") return "recurrence.start";
  if (field == "duration") return "recurrence.duration_minutes";
  return absl::StrCat("recurrence.", field);
}

}  // namespace

absl::StatusOr<Interval> ValidateBookAppointment(const v1::BookAppointmentRequest& request, absl::Time now) {
  FieldViolations v;
  CheckBookingFields(v, request);
  std::optional<Interval> interval = CheckAppointmentTimes(v, request.has_start_time(), request.start_time(),
                                                           request.has_end_time(), request.end_time(), now);
  if (!v.empty()) return v.ToStatus();
  return *interval;
}

absl::StatusOr<Interval> ValidateRescheduleAppointment(const v1::RescheduleAppointmentRequest& request,
                                                       absl::Time now) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "appointment_id", request.appointment_id());
  std::optional<Interval> interval = CheckAppointmentTimes(v, request.has_start_time(), request.start_time(),
                                                           request.has_end_time(), request.end_time(), now);
  CheckScope(v, request.scope());
  if (!v.empty()) return v.ToStatus();
  return *interval;
}

absl::Status ValidateCancelAppointment(const v1::CancelAppointmentRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "appointment_id", request.appointment_id());
  if (LongerThan(request.reason(), kMaxCancellationReasonChars)) {
    v.Add("reason", absl::StrCat("must be at most ", kMaxCancellationReasonChars, " characters"));
  }
  CheckScope(v, request.scope());
  return v.ToStatus();
}

absl::Status ValidateRecordAttendance(const v1::RecordAttendanceRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "appointment_id", request.appointment_id());
  if (!FromProtoAction(request.action()).has_value()) {
    v.Add("action", "must be one of the attendance actions");
  }
  return v.ToStatus();
}

absl::StatusOr<AppointmentQuery> ValidateListAppointments(const v1::ListAppointmentsRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckOptionalRef(v, "clinician_id", request.clinician_id());
  CheckOptionalRef(v, "client_id", request.client_id());
  std::optional<absl::Time> start =
      CheckOptionalTimestamp(v, "start_time", request.has_start_time(), request.start_time());
  std::optional<absl::Time> end =
      CheckOptionalTimestamp(v, "end_time", request.has_end_time(), request.end_time());
  if (start.has_value() && end.has_value() && *end <= *start) v.Add("end_time", "must be after start_time");
  for (int i = 0; i < request.statuses_size(); ++i) {
    if (!FromProtoStatus(request.statuses(i)).has_value()) {
      v.Add(Indexed("statuses", i), "must be a known appointment status");
    }
  }
  if (request.page().page_size() < 0) v.Add("page.page_size", "must not be negative");
  if (!v.empty()) return v.ToStatus();

  AppointmentQuery query;
  query.filter.clinic_id = request.clinic_id();
  query.filter.clinician_id = request.clinician_id();
  query.filter.client_id = request.client_id();
  query.filter.starts_from = start;
  query.filter.starts_before = end;
  for (int i = 0; i < request.statuses_size(); ++i) query.filter.statuses.push_back(request.statuses(i));
  query.page_size = request.page().page_size();
  return query;
}

absl::StatusOr<absl::CivilDay> ValidateGetClinicianDay(const v1::GetClinicianDayRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "clinician_id", request.clinician_id());
  std::optional<absl::CivilDay> day = CheckDate(v, "date", request.has_date(), request.date());
  if (!v.empty()) return v.ToStatus();
  return *day;
}

absl::StatusOr<SlotSearch> ValidateFindSlots(const v1::FindSlotsRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  if (request.clinician_ids().empty()) {
    v.Add("clinician_ids", "is required (one to 10 clinicians)");
  } else if (request.clinician_ids_size() > kMaxSlotSearchClinicians) {
    v.Add("clinician_ids", absl::StrCat("must hold at most ", kMaxSlotSearchClinicians));
  }
  for (int i = 0; i < request.clinician_ids_size(); ++i) {
    CheckRef(v, Indexed("clinician_ids", i), request.clinician_ids(i));
  }
  CheckDistinct(v, "clinician_ids", request.clinician_ids());
  CheckOptionalRef(v, "client_id", request.client_id());
  std::optional<absl::CivilDay> first =
      CheckDate(v, "first_date", request.has_first_date(), request.first_date());
  std::optional<absl::CivilDay> last =
      CheckDate(v, "last_date", request.has_last_date(), request.last_date());
  if (first.has_value() && last.has_value()) {
    if (*last < *first) {
      v.Add("last_date", "must not be before first_date");
    } else if (*last - *first + 1 > kMaxSlotSearchDays) {
      v.Add("last_date", absl::StrCat("the range may span at most ", kMaxSlotSearchDays, " days"));
    }
  }
  std::optional<int> duration =
      CheckRange(v, "duration_minutes", request.duration_minutes(), 0, kMaxSlotMinutes);
  std::optional<int> step = CheckRange(v, "step_minutes", request.step_minutes(), 0, kMaxSlotMinutes);
  if (!v.empty()) return v.ToStatus();

  SlotSearch search;
  search.clinician_ids.assign(request.clinician_ids().begin(), request.clinician_ids().end());
  search.first_date = *first;
  search.last_date = *last;
  search.duration = absl::Minutes(*duration);
  if (*step != 0) search.step = absl::Minutes(*step);
  return search;
}

absl::StatusOr<Interval> ValidateGetAttendanceSummary(const v1::GetAttendanceSummaryRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "client_id", request.client_id());
  std::optional<Interval> window = CheckWindow(v, request.has_start_time(), request.start_time(),
                                               request.has_end_time(), request.end_time());
  if (window.has_value() && window->length() > kMaxAttendanceWindow) {
    v.Add("end_time", "the window may span at most three years");
  }
  if (!v.empty()) return v.ToStatus();
  return *window;
}

absl::StatusOr<SeriesBooking> ValidateBookSeries(const v1::BookSeriesRequest& request) {
  FieldViolations v;
  CheckBookingFields(v, request);
  SeriesBooking series;
  if (request.on_conflict() == v1::SERIES_CONFLICT_POLICY_BOOK_NONE) {
    series.skip_conflicts = false;
  } else if (request.on_conflict() == v1::SERIES_CONFLICT_POLICY_SKIP_CONFLICTS) {
    series.skip_conflicts = true;
  } else {
    v.Add("on_conflict", "must be SERIES_CONFLICT_POLICY_BOOK_NONE or SERIES_CONFLICT_POLICY_SKIP_CONFLICTS");
  }
  if (!request.has_recurrence()) {
    v.Add("recurrence", "is required");
    return v.ToStatus();
  }
  const v1::Recurrence& r = request.recurrence();
  RecurrenceRule& rule = series.rule;
  std::optional<absl::CivilDay> first =
      CheckDate(v, "recurrence.first_date", r.has_first_date(), r.first_date());
  std::optional<int> start = CheckTimeOfDay(v, "recurrence.start", r.has_start(), r.start());
  rule.interval_weeks = r.interval_weeks() == 0 ? 1 : r.interval_weeks();
  for (int i = 0; i < r.weekdays_size(); ++i) {
    std::optional<absl::Weekday> weekday = IsoWeekday(r.weekdays(i));
    if (!weekday.has_value()) {
      v.Add(Indexed("recurrence.weekdays", i), "must be 1 (Monday) to 7 (Sunday)");
    } else {
      rule.weekdays.push_back(*weekday);
    }
  }
  rule.duration = absl::Minutes(r.duration_minutes());
  if (r.count() != 0) rule.count = r.count();
  if (r.has_until()) {
    std::optional<absl::CivilDay> until = CheckDate(v, "recurrence.until", true, r.until());
    if (until.has_value()) rule.until = *until;
  }
  // The rule's own checks need every part; without them its findings would only repeat the ones above.
  // An until that is not a date would read as a missing end ("needs a count or an until date").
  const bool until_read = !r.has_until() || rule.until.has_value();
  if (first.has_value() && start.has_value() && until_read &&
      static_cast<int>(rule.weekdays.size()) == r.weekdays_size()) {
    rule.first_date = *first;
    rule.start_minute = *start;
    for (const FieldViolation& violation : ValidateRecurrence(rule)) {
      v.Add(RecurrenceFieldToProto(violation.field), violation.description);
    }
  }
  if (!v.empty()) return v.ToStatus();
  return series;
}

// ---- Waitlist ----

absl::StatusOr<WaitlistWindows> ValidateJoinWaitlist(const v1::JoinWaitlistRequest& request) {
  FieldViolations v;
  if (!request.has_entry()) {
    v.Add("entry", "is required");
    return v.ToStatus();
  }
  const v1::WaitlistEntry& entry = request.entry();
  CheckRef(v, "entry.clinic_id", entry.clinic_id());
  CheckRef(v, "entry.client_id", entry.client_id());
  CheckRef(v, "entry.clinician_id", entry.clinician_id());
  if (entry.windows_size() == 0 || entry.windows_size() > kMaxWaitlistWindows) {
    v.Add("entry.windows", absl::StrCat("must hold 1 to ", kMaxWaitlistWindows, " windows"));
  }
  std::vector<int> index;
  ClinicianCalendar calendar;
  calendar.working_hours = CheckWorkingIntervals(v, "entry.windows", entry.windows(), index);
  for (const FieldViolation& f : ValidateCalendar(calendar)) {
    const std::string field = CalendarFieldToProto(f.field, "entry", index, {}, {});
    v.Add(absl::StrReplaceAll(field, {{"entry.working_hours", "entry.windows"}}),
          absl::StrReplaceAll(f.description, {{"start_minute", "start"}}));
  }
  absl::Status server_error;
  std::optional<absl::TimeZone> zone;
  if (!entry.time_zone().empty()) zone = CheckTimeZone(v, "entry.time_zone", entry.time_zone(), server_error);
  if (entry.modality() != v1::MODALITY_IN_PERSON && entry.modality() != v1::MODALITY_TELEHEALTH) {
    v.Add("entry.modality", "must be IN_PERSON or TELEHEALTH");
  }
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(server_error);
  return WaitlistWindows{std::move(calendar.working_hours), zone};
}

absl::Status ValidateLeaveWaitlist(const v1::LeaveWaitlistRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  CheckRef(v, "entry_id", request.entry_id());
  return v.ToStatus();
}

absl::Status ValidateListWaitlist(const v1::ListWaitlistRequest& request) {
  FieldViolations v;
  CheckRef(v, "clinic_id", request.clinic_id());
  if (request.clinician_id().empty() && request.client_id().empty()) {
    v.Add("clinician_id", "or client_id is required");
  }
  CheckOptionalRef(v, "clinician_id", request.clinician_id());
  CheckOptionalRef(v, "client_id", request.client_id());
  return v.ToStatus();
}

absl::Status ValidateWaitlistOfferAnswer(const std::string& clinic_id, const std::string& appointment_id) {
  FieldViolations v;
  CheckRef(v, "clinic_id", clinic_id);
  CheckRef(v, "appointment_id", appointment_id);
  return v.ToStatus();
}

}  // namespace tandem::scheduling
