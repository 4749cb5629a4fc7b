#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_REQUEST_VALIDATION_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_REQUEST_VALIDATION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/field_violations.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/domain/interval.h"
#include "services/scheduling/domain/recurrence.h"
#include "services/scheduling/domain/scheduling_store.h"
#include "tandem/scheduling/v1/scheduling.pb.h"

// Validation of every SchedulingService request before it reaches the store. Each function checks the whole
// request and either returns the domain value the handler needs or INVALID_ARGUMENT whose
// google.rpc.BadRequest (common/status FieldViolations) names every bad field at once, so a client fixes them
// in one round trip. Field names are proto field paths relative to the request ("clinician.time_zone",
// "availability.working_hours[2].end", "client_ids[1]", "end_time"). Descriptions never quote a value: names,
// addresses, reasons and links are personal or clinical data. Pure: no I/O except loading time zones, and the
// current time is a parameter. A missing zone database (tzdata) is the server's fault, not the caller's: it
// is FAILED_PRECONDITION from the functions that load a zone, never a field violation.
namespace tandem::scheduling {

// Limits shared with the API documentation.
inline constexpr int kMaxDisplayNameChars = 200;  // Unicode code points
inline constexpr int kMaxContacts = 10;
inline constexpr int kMaxWorkingIntervals = 50;
inline constexpr int kMaxDaysOffRanges = 200;
inline constexpr int kMaxTimeOffIntervals = 500;
inline constexpr int kMaxReminderOffsets = 4;
inline constexpr int kMaxIdempotencyKeyBytes = 200;
inline constexpr int kMaxRoomChars = 100;
inline constexpr int kMaxTelehealthUrlBytes = 2000;
inline constexpr int kMaxCancellationReasonChars = 1000;
inline constexpr int kMaxSlotSearchClinicians = 10;
inline constexpr absl::Duration kMaxAttendanceWindow = absl::Hours(24 * (3 * 365 + 1));  // three years
inline constexpr absl::Duration kDefaultSlotStep = absl::Minutes(15);

// ---- Roster ----

// An UpsertClinicianRequest: "clinician" is required; then, under "clinician.": clinic_id and clinician_id
// valid ids; display_name 1-200 characters without control characters; time_zone a loadable IANA zone;
// default_session_minutes 0 (50 minutes) or 1-480; buffer_before/after_minutes 0-240; minimum_notice_minutes
// 0-43200 (30 days); booking_horizon_days 0 (90 days) or 1-730; late_cancellation_hours 0 (24 hours) or
// 1-336; supervisor_id empty or a valid id other than clinician_id; at most 10 contacts (see
// ValidateContacts). Returns the clinician's policy with the defaults applied (self_booking_allowed copied).
absl::StatusOr<ClinicianPolicy> ValidateUpsertClinician(const v1::UpsertClinicianRequest& request);

// The same checks for a Clinician on its own (a stored profile), with fields named "clinician.<field>".
absl::StatusOr<ClinicianPolicy> ValidateClinician(const v1::Clinician& clinician);

// A clinician's availability converted to the calendar rules slot search uses.
struct AvailabilityRules {
  std::vector<WorkingHoursRule> working_hours;
  std::vector<DaysOff> days_off;
  std::vector<Interval> time_off;  // UTC, in request order
};

// A SetAvailabilityRequest: "availability" is required; then, under "availability.": clinic_id and
// clinician_id valid ids; at most 50 working_hours, 200 days_off and 500 time_off. Each working interval:
// weekday 1-7; start and end set with hours 0-23, minutes 0-59, seconds 0 (whole minutes); end after start,
// or end 00:00 with until_midnight (the interval runs to 24:00); effective_from/effective_until, when set,
// real dates with from <= until. Each days_off: first and last set, real dates, first <= last. Each time_off:
// start_time and end_time set, valid timestamps, end after start. Names are
// "availability.working_hours[2].end" and the like (ValidateCalendar's findings are reported under the proto
// names too).
absl::StatusOr<AvailabilityRules> ValidateSetAvailability(const v1::SetAvailabilityRequest& request);

// The same checks for an Availability on its own (a stored one), with fields named "availability.<field>".
absl::StatusOr<AvailabilityRules> ValidateAvailability(const v1::Availability& availability);

// An UpsertClientRequest: "client" is required; then, under "client.": clinic_id and client_id valid ids;
// display_name 1-200 characters without control characters; time_zone a loadable IANA zone; at most 10
// contacts (see ValidateContacts); reminders.offsets_minutes at most 4, each 5-20160 (14 days);
// reminders.quiet_hours, when set, start and end set, valid whole-minute times that differ;
// partner_client_id empty or a valid id other than client_id. care_team is output only and ignored.
absl::Status ValidateUpsertClient(const v1::UpsertClientRequest& request);

// A SetCareTeamRequest: clinic_id and client_id valid ids; at most kMaxCareTeamSize clinician_ids, each a
// valid id ("clinician_ids[i]") and none repeated. Returns the clinician ids in request order.
absl::StatusOr<std::vector<std::string>> ValidateSetCareTeam(const v1::SetCareTeamRequest& request);

// Contact channels of a clinician or client, named "<prefix>[i].kind" / "<prefix>[i].address" (prefix such as
// "clinician.contacts"): at most 10; kind EMAIL or SMS; address non-empty and valid for its kind by the rules
// the reminders channels apply when they deliver, from common/text/contact_address.h (EMAIL: an RFC 5321
// subset, EmailAddressProblem; SMS: E.164, '+' then 7-15 digits, the first not 0). Adds to `violations`.
void ValidateContacts(const google::protobuf::RepeatedPtrField<v1::ContactChannel>& contacts,
                      const std::string& prefix, FieldViolations& violations);

// Requests that only name records: every id a valid id (common/status IsValidRef).
absl::Status ValidateGetClinician(const v1::GetClinicianRequest& request);
absl::Status ValidateGetAvailability(const v1::GetAvailabilityRequest& request);
absl::Status ValidateGetClient(const v1::GetClientRequest& request);
absl::Status ValidateCheckCareTeam(const v1::CheckCareTeamRequest& request);
absl::Status ValidateGetAppointment(const v1::GetAppointmentRequest& request);

// A GetContactRequest: clinic_id and person_id valid ids; kind CLIENT or CLINICIAN.
absl::Status ValidateGetContact(const v1::GetContactRequest& request);

// ---- Appointments ----

// A BookAppointmentRequest. clinic_id and clinician_id valid ids; idempotency_key 1-200 bytes of printable
// ASCII; client_ids one or two valid, distinct ids ("client_ids[1]" for a repeat); start_time and end_time
// set and valid; end after start; at most kMaxSessionLength; start_time not before `now`; modality IN_PERSON
// or TELEHEALTH; room (at most 100 characters, no control characters) only for IN_PERSON; telehealth_url only
// for TELEHEALTH, an https:// URL with a host, at most 2000 bytes, no spaces or control characters. Returns
// the appointment's interval (without buffers).
absl::StatusOr<Interval> ValidateBookAppointment(const v1::BookAppointmentRequest& request, absl::Time now);

// A RescheduleAppointmentRequest: clinic_id and appointment_id valid ids; the new times as for booking
// (set, valid, end after start, at most kMaxSessionLength, start not before `now`). Returns the new interval.
absl::StatusOr<Interval> ValidateRescheduleAppointment(const v1::RescheduleAppointmentRequest& request,
                                                       absl::Time now);

// A CancelAppointmentRequest: clinic_id and appointment_id valid ids; reason optional, at most 1000
// characters.
absl::Status ValidateCancelAppointment(const v1::CancelAppointmentRequest& request);

// A RecordAttendanceRequest: clinic_id and appointment_id valid ids; action one of the known actions.
absl::Status ValidateRecordAttendance(const v1::RecordAttendanceRequest& request);

// A ListAppointmentsRequest as a store filter. clinic_id a valid id; clinician_id and client_id empty or
// valid; start_time/end_time, when set, valid timestamps with start before end when both are set; statuses
// known and not UNSPECIFIED ("statuses[i]"); page.page_size >= 0. The page size and token are left to the
// handler (db::EffectivePageSize, db::DecodePageToken); who may list what is the handler's to decide.
struct AppointmentQuery {
  AppointmentFilter filter;
  int page_size = 0;  // as requested: 0 means the default
};
absl::StatusOr<AppointmentQuery> ValidateListAppointments(const v1::ListAppointmentsRequest& request);

// A GetClinicianDayRequest: clinic_id and clinician_id valid ids; date set and a real date. Returns the date.
absl::StatusOr<absl::CivilDay> ValidateGetClinicianDay(const v1::GetClinicianDayRequest& request);

// A FindSlotsRequest. clinic_id a valid id; clinician_ids 1-10 valid, distinct ids; client_id empty or valid;
// first_date and last_date set and real dates, first <= last, at most kMaxSlotSearchDays days inclusive;
// duration_minutes 0-480; step_minutes 0-480.
struct SlotSearch {
  std::vector<std::string> clinician_ids;
  absl::CivilDay first_date;
  absl::CivilDay last_date;
  absl::Duration duration;                 // zero: each clinician's default session length
  absl::Duration step = kDefaultSlotStep;  // step_minutes, or 15 minutes for 0
};
absl::StatusOr<SlotSearch> ValidateFindSlots(const v1::FindSlotsRequest& request);

// A BookSeriesRequest: the booking fields as for BookAppointment (clinic_id, idempotency_key,
// clinician_id, client_ids, modality, room, telehealth_url); on_conflict BOOK_NONE or SKIP_CONFLICTS;
// recurrence required, with first_date and start set and valid, weekdays 1-7, and the rule's own checks
// (ValidateRecurrence: interval, weekdays, duration, exactly one of count and until, at most 260
// occurrences and five years) under "recurrence.<field>". Whether occurrences lie in the past is the
// handler's to decide (it needs the clinician's zone).
struct SeriesBooking {
  RecurrenceRule rule;
  bool skip_conflicts = false;
};
absl::StatusOr<SeriesBooking> ValidateBookSeries(const v1::BookSeriesRequest& request);

// A GetAttendanceSummaryRequest: clinic_id and client_id valid ids; start_time and end_time set and valid,
// start before end, at most kMaxAttendanceWindow apart. Returns the window.
absl::StatusOr<Interval> ValidateGetAttendanceSummary(const v1::GetAttendanceSummaryRequest& request);

// ---- Waitlist ----

inline constexpr int kMaxWaitlistWindows = 14;

// A JoinWaitlistRequest's windows as rules, and its zone when one is named (empty: the client's).
struct WaitlistWindows {
  std::vector<WorkingHoursRule> windows;
  std::optional<absl::TimeZone> zone;
};

// A JoinWaitlistRequest: "entry" is required; then, under "entry.": clinic_id, client_id and clinician_id
// valid ids; 1-14 windows, each checked like a working interval ("entry.windows[i].end"); time_zone empty
// or a loadable IANA zone; modality IN_PERSON or TELEHEALTH. Status, offer and times are output only.
absl::StatusOr<WaitlistWindows> ValidateJoinWaitlist(const v1::JoinWaitlistRequest& request);

// A LeaveWaitlistRequest: clinic_id and entry_id valid ids.
absl::Status ValidateLeaveWaitlist(const v1::LeaveWaitlistRequest& request);

// A ListWaitlistRequest: clinic_id a valid id; clinician_id or client_id (or both), each valid when set.
absl::Status ValidateListWaitlist(const v1::ListWaitlistRequest& request);

// An Accept/DeclineWaitlistOfferRequest: clinic_id and appointment_id valid ids.
absl::Status ValidateWaitlistOfferAnswer(const std::string& clinic_id, const std::string& appointment_id);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_REQUEST_VALIDATION_H_
