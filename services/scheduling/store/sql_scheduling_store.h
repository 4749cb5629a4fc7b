#ifndef TANDEM_SERVICES_SCHEDULING_STORE_SQL_SCHEDULING_STORE_H_
#define TANDEM_SERVICES_SCHEDULING_STORE_SQL_SCHEDULING_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "common/audit/audit_log.h"
#include "common/crypto/clinical_cipher.h"
#include "common/db/database.h"
#include "common/db/idempotency_store.h"
#include "common/db/outbox.h"
#include "common/time/clock.h"
#include "services/scheduling/domain/scheduling_store.h"

namespace tandem::scheduling {

// SchedulingStore on common/db (SQLite or PostgreSQL). Every record is kept whole in a `record` column with
// its sensitive fields sealed by the clinic's data key, beside the columns queries filter on. Double bookings
// are refused twice over: a check for an overlapping appointment inside the write transaction (which names
// the one in the way) and, on PostgreSQL, exclusion constraints for the bookings that commit at the same
// moment; on SQLite the write transaction holds the database's only write lock from its start, so the check
// suffices.
class SqlSchedulingStore final : public SchedulingStore {
 public:
  // `follow_ups`, when given, decides the calls (reminders) each appointment change must cause; they are
  // enqueued in the kit's outbox in the change's transaction, sealed like the records they come from.
  SqlSchedulingStore(db::Database& db, crypto::ClinicalCipher& cipher, const audit::AuditLog& audit,
                     const Clock& clock = Clock::Real(), const FollowUpPlanner* follow_ups = nullptr)
      : db_(db),
        cipher_(cipher),
        audit_(audit),
        clock_(clock),
        idempotency_(clock),
        follow_ups_(follow_ups),
        outbox_(clock, &cipher) {}

  absl::StatusOr<ClinicianProto> UpsertClinician(const ClinicianProto& clinician,
                                                 const audit::AuditEntry& audit) override;
  absl::StatusOr<ClinicianProto> GetClinician(const std::string& clinic_id,
                                              const std::string& clinician_id) override;
  absl::StatusOr<AvailabilityProto> SetAvailability(const AvailabilityProto& availability,
                                                    const audit::AuditEntry& audit) override;
  absl::StatusOr<AvailabilityProto> GetAvailability(const std::string& clinic_id,
                                                    const std::string& clinician_id) override;
  absl::StatusOr<ClientProto> UpsertClient(const ClientProto& client,
                                           const audit::AuditEntry& audit) override;
  absl::StatusOr<ClientProto> GetClient(const std::string& clinic_id, const std::string& client_id) override;
  absl::StatusOr<ClientProto> SetCareTeam(const std::string& clinic_id, const std::string& client_id,
                                          const std::vector<std::string>& clinician_ids,
                                          const audit::AuditEntry& audit) override;
  absl::StatusOr<bool> IsOnCareTeam(const std::string& clinic_id, const std::string& client_id,
                                    const std::string& clinician_id) override;
  absl::StatusOr<AppointmentProto> Book(const NewAppointment& booking,
                                        const audit::AuditEntry& audit) override;
  absl::StatusOr<std::optional<AppointmentProto>> EarlierBooking(const std::string& clinic_id,
                                                                 const std::string& caller,
                                                                 const std::string& idempotency_key,
                                                                 const std::string& request_hash) override;
  absl::StatusOr<AppointmentProto> GetAppointment(const std::string& clinic_id,
                                                  const std::string& appointment_id) override;
  absl::StatusOr<AppointmentProto> UpdateAppointment(const std::string& clinic_id,
                                                     const std::string& appointment_id,
                                                     AppointmentMutation mutation,
                                                     const audit::AuditEntry& audit) override;
  absl::StatusOr<AppointmentPage> ListAppointments(const AppointmentFilter& filter, int page_size,
                                                   const std::optional<AppointmentCursor>& after) override;
  absl::StatusOr<std::vector<BusyAppointment>> ListBusy(const std::string& clinic_id,
                                                        const std::string& clinician_id, absl::Time from,
                                                        absl::Time before) override;
  absl::StatusOr<tandem::scheduling::v1::BookSeriesResponse> BookSeries(
      const NewSeries& series, const audit::AuditEntry& audit) override;
  absl::StatusOr<std::vector<AppointmentProto>> UpdateSeries(const std::string& clinic_id,
                                                             const std::string& series_id, absl::Time from,
                                                             SeriesMutation mutation,
                                                             const audit::AuditEntry& audit) override;
  // The waitlist (sql_waitlist.cc).
  absl::StatusOr<WaitlistEntryProto> JoinWaitlist(const WaitlistEntryProto& entry,
                                                  const audit::AuditEntry& audit) override;
  absl::StatusOr<WaitlistEntryProto> GetWaitlistEntry(const std::string& clinic_id,
                                                      const std::string& entry_id) override;
  absl::StatusOr<WaitlistEntryProto> LeaveWaitlist(const std::string& clinic_id, const std::string& entry_id,
                                                   const audit::AuditEntry& audit) override;
  absl::StatusOr<std::vector<WaitlistEntryProto>> ListWaitlist(const std::string& clinic_id,
                                                               const std::string& clinician_id,
                                                               const std::string& client_id,
                                                               bool include_closed) override;
  absl::StatusOr<std::vector<AppointmentProto>> OfferFreedSlots(absl::Time now, int limit,
                                                                OfferDecision decide,
                                                                const audit::AuditEntry& audit) override;
  absl::StatusOr<std::vector<HoldRef>> ExpiredHolds(absl::Time now, int limit) override;

 private:
  // What the write of one appointment needs besides the proto: where it sits and whether it holds time.
  struct Placement {
    Interval protected_interval;
    bool protects = false;
  };
  // The outcome of one attempt at a booking or a change.
  struct WriteAttempt {
    // The write hit an exclusion constraint: another transaction committed an overlapping appointment after
    // this one checked.
    bool excluded = false;
    // What the attempt tried to write, to name the appointment in its way afterwards.
    AppointmentProto appointment;
    Interval protected_interval;
  };

  absl::StatusOr<AppointmentProto> BookOnce(const NewAppointment& booking, const audit::AuditEntry& audit,
                                            const std::string& sealed_record,
                                            const std::string& sealed_response, WriteAttempt& attempt);
  absl::StatusOr<AppointmentProto> UpdateOnce(const std::string& clinic_id, const std::string& appointment_id,
                                              AppointmentMutation mutation, const audit::AuditEntry& audit,
                                              WriteAttempt& attempt);
  absl::StatusOr<tandem::scheduling::v1::BookSeriesResponse> BookSeriesOnce(const NewSeries& series,
                                                                            const audit::AuditEntry& audit,
                                                                            bool& excluded);
  absl::StatusOr<std::vector<AppointmentProto>> UpdateSeriesOnce(const std::string& clinic_id,
                                                                 const std::string& series_id,
                                                                 absl::Time from, SeriesMutation mutation,
                                                                 const audit::AuditEntry& audit,
                                                                 WriteAttempt& attempt);
  // Inside a write transaction: reads one appointment, asks `mutation`, and writes the change with its
  // conflict check, follow-ups and audit row (resource id set to the appointment). nullopt when the mutation
  // left it as it was.
  absl::StatusOr<std::optional<AppointmentProto>> ChangeInTransaction(
      db::Transaction& tx, const std::string& clinic_id, const std::string& appointment_id,
      SeriesMutation mutation, const audit::AuditEntry& audit, WriteAttempt& attempt);
  // NOT_FOUND naming the field when the appointment's clinician or a client is not the clinic's.
  absl::Status CheckParties(db::Transaction& tx, const AppointmentProto& appointment);
  // The earliest appointment other than `ignore_id` whose protected interval overlaps `placement` for the
  // same clinician or, when `room` is set, the same room.
  static absl::StatusOr<std::optional<std::string>> FindConflict(db::Transaction& tx,
                                                                 const AppointmentProto& appointment,
                                                                 const Interval& protected_interval,
                                                                 const std::string& ignore_id);
  // After an attempt refused by an exclusion constraint: the appointment in its way, read anew.
  absl::StatusOr<std::optional<std::string>> FindConflictNow(const AppointmentProto& appointment,
                                                             const Interval& protected_interval,
                                                             const std::string& ignore_id);
  absl::StatusOr<std::optional<AppointmentProto>> SelectAppointment(db::Transaction& tx,
                                                                    const std::string& clinic_id,
                                                                    const std::string& appointment_id);
  absl::StatusOr<std::optional<ClientProto>> SelectClient(db::Transaction& tx, const std::string& clinic_id,
                                                          const std::string& client_id);
  static absl::StatusOr<bool> Exists(db::Transaction& tx, const char* table, const char* id_column,
                                     const std::string& clinic_id, const std::string& id);
  static absl::Status WriteAppointment(db::Transaction& tx, const AppointmentProto& appointment,
                                       const Placement& placement, const std::string& sealed_record,
                                       bool insert);
  // Enqueues the follow-up calls of `current` (changed from `previous`, nullptr for a booking).
  absl::Status EnqueueFollowUps(db::Transaction& tx, const AppointmentProto* previous,
                                const AppointmentProto& current);
  // After a client's contact channels or preferences changed: a new revision, and new follow-ups, for each
  // of their appointments still booked and not yet started.
  absl::Status ReviseUpcomingAppointments(db::Transaction& tx, const std::string& clinic_id,
                                          const std::string& client_id);
  // The waitlist's part of an appointment change, in its transaction: a hold leaving `proposed` closes its
  // offer (the entry booked or waiting again), and a cancellation before the start queues the slot as freed
  // when someone waits for the clinician.
  static absl::Status KeepWaitlist(db::Transaction& tx, const AppointmentProto& before,
                                   const AppointmentProto& after, absl::Time now);
  // One freed slot, offered or dropped, in one transaction; nullopt when nothing was held.
  absl::StatusOr<std::optional<AppointmentProto>> OfferOneFreedSlot(absl::Time now, OfferDecision decide,
                                                                    const audit::AuditEntry& audit,
                                                                    bool& none_left);
  static absl::StatusOr<std::optional<WaitlistEntryProto>> SelectWaitlistEntry(db::Transaction& tx,
                                                                               const std::string& clinic_id,
                                                                               const std::string& entry_id);
  static absl::Status WriteWaitlistEntry(db::Transaction& tx, const WaitlistEntryProto& entry, bool insert);
  // Creates the clinic's data key, if it has none, before a transaction that seals inside it: the first key
  // is written in a transaction of its own.
  absl::Status EnsureClinicKey(const std::string& clinic_id);

  db::Database& db_;
  crypto::ClinicalCipher& cipher_;
  const audit::AuditLog& audit_;
  const Clock& clock_;
  db::IdempotencyStore idempotency_;
  const FollowUpPlanner* follow_ups_;
  db::Outbox outbox_;
};

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_STORE_SQL_SCHEDULING_STORE_H_
