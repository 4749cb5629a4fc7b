#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_SCHEDULING_STORE_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_SCHEDULING_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_entry.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/domain/interval.h"
#include "tandem/scheduling/v1/scheduling.pb.h"

namespace tandem::scheduling {

using ClinicianProto = tandem::scheduling::v1::Clinician;
using AvailabilityProto = tandem::scheduling::v1::Availability;
using ClientProto = tandem::scheduling::v1::Client;
using AppointmentProto = tandem::scheduling::v1::Appointment;
using WaitlistEntryProto = tandem::scheduling::v1::WaitlistEntry;

// At most this many clinicians on one care team.
inline constexpr int kMaxCareTeamSize = 20;

// A booking as the service validated it: the appointment with its ids, times and status set, the interval it
// keeps from the clinician's (and the room's) other appointments, and the retry key it was asked under.
struct NewAppointment {
  AppointmentProto appointment;
  Interval protected_interval;  // ProtectedInterval(appointment, the clinician's buffers at booking)
  std::string caller;           // the subject the idempotency key belongs to
  std::string idempotency_key;
  std::string
      request_hash;  // db::RequestHash of the request: a reused key with another body is ALREADY_EXISTS
};

// What a change of one appointment produces from its current state.
struct AppointmentChange {
  AppointmentProto updated;
  // Set when the times changed (a reschedule): the new protected interval, checked against the others in the
  // same transaction. Unset: the stored one is kept.
  std::optional<Interval> protected_interval;
};

// A series booking as the service validated it: every occurrence to book, with its protected interval.
struct NewSeries {
  tandem::scheduling::v1::BookSeriesResponse response;  // series_id set; `skipped` holds the past occurrences
  std::vector<NewAppointment> occurrences;              // in start order; idempotency fields are ignored here
  bool skip_conflicts = false;                          // false: one conflict books nothing
  std::string caller;
  std::string idempotency_key;
  std::string request_hash;
};

// Decides a change from the appointment as stored, inside the write's transaction; an error aborts it.
using AppointmentMutation = absl::FunctionRef<absl::StatusOr<AppointmentChange>(const AppointmentProto&)>;
// For each occurrence of a series in scope: its change, or nullopt to leave it as it is (one that was already
// cancelled or has started).
using SeriesMutation =
    absl::FunctionRef<absl::StatusOr<std::optional<AppointmentChange>>(const AppointmentProto&)>;

struct AppointmentFilter {
  std::string clinic_id;
  std::string clinician_id;                                         // empty: any
  std::string client_id;                                            // empty: any
  std::optional<absl::Time> starts_from;                            // start_time >= this
  std::optional<absl::Time> starts_before;                          // start_time < this
  std::vector<tandem::scheduling::v1::AppointmentStatus> statuses;  // empty: any
};

// A position in start order: the last appointment of the previous page.
struct AppointmentCursor {
  absl::Time start;
  std::string appointment_id;
};

struct AppointmentPage {
  std::vector<AppointmentProto> appointments;  // start order, ties by id
  bool more = false;                           // another page follows the last one
};

// A call to another service that must follow a write: enqueued in the write's transaction (the kit's
// outbox) and delivered after it commits, at least once and in order per ordering key.
struct FollowUpCall {
  std::string ordering_key;
  std::string target;   // the gRPC method path: "/tandem.reminders.v1.ReminderService/ScheduleReminder"
  std::string payload;  // the serialized request
  // When set, the call is enqueued only the first time the clinic's writes name this key (a template
  // registered before a clinic's first reminder).
  std::string once_key;
};

// Decides the calls that follow a change of an appointment or of how its clients are reached. The store
// calls it inside the write's transaction, so the calls commit or vanish with the change.
class FollowUpPlanner {
 public:
  virtual ~FollowUpPlanner() = default;
  // `previous` is nullptr for a new booking; `clients` are the appointment's clients as now stored, in the
  // appointment's order (a client the store no longer has is left out).
  virtual std::vector<FollowUpCall> AfterChange(const AppointmentProto* previous,
                                                const AppointmentProto& current,
                                                const std::vector<ClientProto>& clients) const = 0;
};

// A slot freed by a cancellation before its start, as the waitlist sees it.
struct FreedSlot {
  AppointmentProto cancelled;  // the appointment that held it (opened: its room and modality)
  ClinicianProto clinician;
  // The clinician's waiting entries in queue order, and the ids of those the slot was offered to before.
  std::vector<WaitlistEntryProto> queue;
  absl::flat_hash_set<std::string> offered_before;
};

// What becomes of a freed slot: the entry it is offered to, with the hold (a proposed appointment of that
// entry's client with hold_expire_time and waitlist_entry_id set; its idempotency fields are ignored), or
// nullopt when nobody waits for it.
struct WaitlistOffer {
  std::string entry_id;
  NewAppointment hold;
};
using OfferDecision = absl::FunctionRef<absl::StatusOr<std::optional<WaitlistOffer>>(const FreedSlot&)>;

// An open hold, as the worker that ends holds sees it.
struct HoldRef {
  std::string clinic_id;
  std::string appointment_id;
};

// Scheduling's durable state: the roster (clinicians, their availability, clients and care teams) and every
// appointment. Writes take the audit row of the call they serve and append it in the same transaction as the
// change. Records of another clinic are NOT_FOUND. Personal data (the fields marked sensitive) is sealed at
// rest with the clinic's key.
class SchedulingStore {
 public:
  virtual ~SchedulingStore() = default;

  // Creates or replaces a clinician's profile; INVALID_ARGUMENT ("clinician.supervisor_id") when the
  // supervisor is not a clinician of the clinic or is the clinician.
  virtual absl::StatusOr<ClinicianProto> UpsertClinician(const ClinicianProto& clinician,
                                                         const audit::AuditEntry& audit) = 0;
  virtual absl::StatusOr<ClinicianProto> GetClinician(const std::string& clinic_id,
                                                      const std::string& clinician_id) = 0;

  // Replaces a clinician's working hours, days off and time off; NOT_FOUND for an unknown clinician.
  virtual absl::StatusOr<AvailabilityProto> SetAvailability(const AvailabilityProto& availability,
                                                            const audit::AuditEntry& audit) = 0;
  // An empty availability (no working hours) for a clinician who has none yet; NOT_FOUND for an unknown one.
  virtual absl::StatusOr<AvailabilityProto> GetAvailability(const std::string& clinic_id,
                                                            const std::string& clinician_id) = 0;

  // Creates or replaces a client's record, keeping their care team (SetCareTeam changes it);
  // INVALID_ARGUMENT ("client.partner_client_id") when the partner is not a client of the clinic or is the
  // client. When the record existed, each of the client's appointments still booked and not yet started
  // gets a new revision and its follow-up calls (their reminders follow the new contact channels and
  // preferences at once).
  virtual absl::StatusOr<ClientProto> UpsertClient(const ClientProto& client,
                                                   const audit::AuditEntry& audit) = 0;
  virtual absl::StatusOr<ClientProto> GetClient(const std::string& clinic_id,
                                                const std::string& client_id) = 0;
  // Replaces a client's care team; NOT_FOUND for an unknown client, INVALID_ARGUMENT naming
  // "clinician_ids[i]" for each id that is not a clinician of the clinic.
  virtual absl::StatusOr<ClientProto> SetCareTeam(const std::string& clinic_id, const std::string& client_id,
                                                  const std::vector<std::string>& clinician_ids,
                                                  const audit::AuditEntry& audit) = 0;
  // Whether the clinician is on the client's care team; false for unknown ids.
  virtual absl::StatusOr<bool> IsOnCareTeam(const std::string& clinic_id, const std::string& client_id,
                                            const std::string& clinician_id) = 0;

  // Books an appointment with its follow-up calls. Idempotent per (clinic, caller, key): a retry returns the
  // first appointment (and audits that one) and enqueues nothing. The clinician's protected interval, and the
  // room's when one is named, may not overlap the protected interval of another appointment whose status
  // protects time, even under concurrent bookings: ALREADY_EXISTS with a ConflictError detail naming the
  // earliest such appointment. NOT_FOUND
  // ("clinician_id" / "client_ids[i]") for a clinician or client the clinic does not have.
  virtual absl::StatusOr<AppointmentProto> Book(const NewAppointment& booking,
                                                const audit::AuditEntry& audit) = 0;
  // The appointment an earlier booking under (clinic, caller, key) made, for a retry: nullopt when the key is
  // unused; ALREADY_EXISTS when it was used with another request. Book itself still decides; this lets the
  // service answer a retry without refusing it for checks that only apply to a new booking (a start that has
  // passed since, a slot its own first booking now holds).
  virtual absl::StatusOr<std::optional<AppointmentProto>> EarlierBooking(const std::string& clinic_id,
                                                                         const std::string& caller,
                                                                         const std::string& idempotency_key,
                                                                         const std::string& request_hash) = 0;
  virtual absl::StatusOr<AppointmentProto> GetAppointment(const std::string& clinic_id,
                                                          const std::string& appointment_id) = 0;
  // Reads the appointment, asks `mutation` for its new state, and writes it with its follow-up calls in one
  // transaction, checking a changed protected interval (and a status that protects time again) against the
  // others like Book.
  virtual absl::StatusOr<AppointmentProto> UpdateAppointment(const std::string& clinic_id,
                                                             const std::string& appointment_id,
                                                             AppointmentMutation mutation,
                                                             const audit::AuditEntry& audit) = 0;
  // Books the occurrences of a series in one transaction. Idempotent per (clinic, caller, key) like Book. An
  // occurrence in conflict (as Book decides it) is added to the response's `skipped` with the appointment in
  // its way when `skip_conflicts`, and otherwise refuses the whole series: ALREADY_EXISTS with a
  // PreconditionFailure naming every conflict. One audit row per booked occurrence (`audit` with each id).
  virtual absl::StatusOr<tandem::scheduling::v1::BookSeriesResponse> BookSeries(
      const NewSeries& series, const audit::AuditEntry& audit) = 0;
  // Applies `mutation` to each appointment of the series that starts at or after `from`, in start order, in
  // one transaction with the conflict checks of UpdateAppointment and each change's follow-ups: all or
  // nothing. Returns the changed appointments; one audit row each.
  virtual absl::StatusOr<std::vector<AppointmentProto>> UpdateSeries(const std::string& clinic_id,
                                                                     const std::string& series_id,
                                                                     absl::Time from, SeriesMutation mutation,
                                                                     const audit::AuditEntry& audit) = 0;
  // The clinician's appointments that hold time and start in [from, before), as slot search needs them: id,
  // times and status, read without opening any record. At most 20,000 (FAILED_PRECONDITION beyond).
  virtual absl::StatusOr<std::vector<BusyAppointment>> ListBusy(const std::string& clinic_id,
                                                                const std::string& clinician_id,
                                                                absl::Time from, absl::Time before) = 0;
  // Up to page_size (1..1000) appointments matching the filter after `after`, in start order.
  virtual absl::StatusOr<AppointmentPage> ListAppointments(const AppointmentFilter& filter, int page_size,
                                                           const std::optional<AppointmentCursor>& after) = 0;

  // ---- The waitlist ----
  // Every appointment change above keeps it: cancelling an appointment that held time and has not started
  // queues its slot as freed (when someone waits for its clinician), in the change's transaction; a hold that
  // leaves `proposed` closes its offer, its entry becoming booked (the hold was accepted) or waiting again.

  // Adds an entry as waiting, at the end of the clinician's queue; NOT_FOUND ("client_id" / "clinician_id")
  // for a client or clinician the clinic does not have.
  virtual absl::StatusOr<WaitlistEntryProto> JoinWaitlist(const WaitlistEntryProto& entry,
                                                          const audit::AuditEntry& audit) = 0;
  virtual absl::StatusOr<WaitlistEntryProto> GetWaitlistEntry(const std::string& clinic_id,
                                                              const std::string& entry_id) = 0;
  // Takes a waiting entry off the list (status left). FAILED_PRECONDITION for an entry holding an offer (it
  // is declined first) or already booked or left.
  virtual absl::StatusOr<WaitlistEntryProto> LeaveWaitlist(const std::string& clinic_id,
                                                           const std::string& entry_id,
                                                           const audit::AuditEntry& audit) = 0;
  // A clinician's queue and/or a client's entries (either id may be empty, not both): waiting and offered
  // entries in queue order, then, with `include_closed`, the newest 500 booked and left ones.
  virtual absl::StatusOr<std::vector<WaitlistEntryProto>> ListWaitlist(const std::string& clinic_id,
                                                                       const std::string& clinician_id,
                                                                       const std::string& client_id,
                                                                       bool include_closed) = 0;
  // Takes up to `limit` freed slots, oldest first, each in a transaction of its own: a slot that has started
  // by `now` or whose clinician is gone is dropped; otherwise `decide` picks the offer, and the hold is
  // written as Book writes an appointment (a slot booked meanwhile is offered to nobody), the entry becomes
  // offered, the offer is remembered, and `audit` is appended with the hold's id and clinic. Returns the
  // holds made.
  virtual absl::StatusOr<std::vector<AppointmentProto>> OfferFreedSlots(absl::Time now, int limit,
                                                                        OfferDecision decide,
                                                                        const audit::AuditEntry& audit) = 0;
  // Up to `limit` holds still open whose hold_expire_time is at or before `now`.
  virtual absl::StatusOr<std::vector<HoldRef>> ExpiredHolds(absl::Time now, int limit) = 0;
};

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_SCHEDULING_STORE_H_
