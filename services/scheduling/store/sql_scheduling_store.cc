#include "services/scheduling/store/sql_scheduling_store.h"

#include <algorithm>
#include <cstddef>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/sensitive_fields.h"
#include "common/status/error_details.h"
#include "common/status/field_violations.h"
#include "common/status/status_macros.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/proto_status.h"
#include "services/scheduling/domain/proto_time.h"
#include "services/scheduling/store/store_records.h"

namespace tandem::scheduling {
namespace {

using store_records::Binding;
using store_records::DomainStatus;
using store_records::kRecordVersion;
using store_records::NotFoundField;

// The longest an appointment with its buffers may be: a session (8 h) and both buffers (4 h each) fit. The
// overlap check relies on it to bound its index scans.
constexpr absl::Duration kLongestProtectedInterval = absl::Hours(24);

constexpr char kBookRpc[] = "BookAppointment";
constexpr char kBookSeriesRpc[] = "BookSeries";
constexpr int kMaxPageSize = 1000;
constexpr int kMaxClientsPerAppointment = 2;
// A booking refused by an exclusion constraint whose cause is gone when looked for (the other appointment was
// cancelled meanwhile) is tried again, a few times.
constexpr int kMaxWriteAttempts = 3;

// The stored first response of a booking belongs to its idempotency key, not to the appointment row.
crypto::SealBinding ResponseBinding(const NewAppointment& booking) {
  return {booking.appointment.clinic_id(),
          absl::StrCat(kBookRpc, "/", booking.caller, "/", booking.idempotency_key), kRecordVersion};
}

crypto::SealBinding ResponseBinding(const NewSeries& series) {
  return {series.occurrences.front().appointment.clinic_id(),
          absl::StrCat(kBookSeriesRpc, "/", series.caller, "/", series.idempotency_key), kRecordVersion};
}

absl::Status OverlapError(const std::string& appointment_id) {
  return ConflictError(absl::StatusCode::kAlreadyExists,
                       "the time overlaps another appointment of the clinician or the room",
                       "tandem.scheduling.v1.Appointment", absl::StrCat("appointments/", appointment_id),
                       "APPOINTMENT_OVERLAPS");
}

}  // namespace

absl::Status SqlSchedulingStore::EnsureClinicKey(const std::string& clinic_id) {
  return cipher_.Seal(clinic_id, "key-check", kRecordVersion, "").status();
}

absl::StatusOr<bool> SqlSchedulingStore::Exists(db::Transaction& tx, const char* table, const char* id_column,
                                                const std::string& clinic_id, const std::string& id) {
  ASSIGN_OR_RETURN(db::ResultSet rows,
                   tx.Execute(absl::StrCat("SELECT 1 AS found FROM ", table, " WHERE clinic_id = $1 AND ",
                                           id_column, " = $2"),
                              {clinic_id, id}));
  return !rows.empty();
}

// ---- Clinicians and availability -------------------------------------------------------------------------

absl::StatusOr<ClinicianProto> SqlSchedulingStore::UpsertClinician(const ClinicianProto& clinician,
                                                                   const audit::AuditEntry& audit) {
  ClinicianProto stored = clinician;
  const absl::Time now = clock_.Now();
  *stored.mutable_update_time() = ToProto(now);
  // Sealed before the transaction: the clinic's first data key is created in a transaction of its own.
  ASSIGN_OR_RETURN(
      std::string sealed,
      crypto::SealMessage(cipher_, Binding(stored.clinic_id(), "clinician", stored.clinician_id()), stored));
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    if (!stored.supervisor_id().empty()) {
      FieldViolations v;
      if (stored.supervisor_id() == stored.clinician_id()) {
        v.Add("clinician.supervisor_id", "cannot be the clinician");
      } else {
        ASSIGN_OR_RETURN(
            bool found, Exists(tx, "clinicians", "clinician_id", stored.clinic_id(), stored.supervisor_id()));
        if (!found) v.Add("clinician.supervisor_id", "is not a clinician of the clinic");
      }
      RETURN_IF_ERROR(v.ToStatus());
    }
    RETURN_IF_ERROR(tx.Execute("INSERT INTO clinicians (clinic_id, clinician_id, record, updated_at) "
                               "VALUES ($1, $2, $3, $4) ON CONFLICT (clinic_id, clinician_id) DO UPDATE "
                               "SET record = excluded.record, updated_at = excluded.updated_at",
                               {stored.clinic_id(), stored.clinician_id(), db::Bytes{sealed}, now})
                        .status());
    return audit_.Append(tx, audit).status();
  }));
  return stored;
}

absl::StatusOr<ClinicianProto> SqlSchedulingStore::GetClinician(const std::string& clinic_id,
                                                                const std::string& clinician_id) {
  std::optional<std::string> record;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute("SELECT record FROM clinicians WHERE clinic_id = $1 AND clinician_id = $2",
                                {clinic_id, clinician_id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(record, rows[0].GetBytes("record"));
    return absl::OkStatus();
  }));
  if (!record.has_value()) return absl::NotFoundError("clinician not found");
  ClinicianProto clinician;
  RETURN_IF_ERROR(
      crypto::OpenMessage(cipher_, Binding(clinic_id, "clinician", clinician_id), *record, clinician));
  return clinician;
}

absl::StatusOr<AvailabilityProto> SqlSchedulingStore::SetAvailability(const AvailabilityProto& availability,
                                                                      const audit::AuditEntry& audit) {
  AvailabilityProto stored = availability;
  const absl::Time now = clock_.Now();
  *stored.mutable_update_time() = ToProto(now);
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::SealMessage(
                       cipher_, Binding(stored.clinic_id(), "availability", stored.clinician_id()), stored));
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool found,
                     Exists(tx, "clinicians", "clinician_id", stored.clinic_id(), stored.clinician_id()));
    if (!found) return absl::NotFoundError("clinician not found");
    RETURN_IF_ERROR(tx.Execute("INSERT INTO availability (clinic_id, clinician_id, record, updated_at) "
                               "VALUES ($1, $2, $3, $4) ON CONFLICT (clinic_id, clinician_id) DO UPDATE "
                               "SET record = excluded.record, updated_at = excluded.updated_at",
                               {stored.clinic_id(), stored.clinician_id(), db::Bytes{sealed}, now})
                        .status());
    return audit_.Append(tx, audit).status();
  }));
  return stored;
}

absl::StatusOr<AvailabilityProto> SqlSchedulingStore::GetAvailability(const std::string& clinic_id,
                                                                      const std::string& clinician_id) {
  bool clinician_found = false;
  std::optional<std::string> record;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(clinician_found, Exists(tx, "clinicians", "clinician_id", clinic_id, clinician_id));
    if (!clinician_found) return absl::OkStatus();
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute("SELECT record FROM availability WHERE clinic_id = $1 AND clinician_id = $2",
                                {clinic_id, clinician_id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(record, rows[0].GetBytes("record"));
    return absl::OkStatus();
  }));
  if (!clinician_found) return absl::NotFoundError("clinician not found");
  AvailabilityProto availability;
  if (!record.has_value()) {
    availability.set_clinic_id(clinic_id);
    availability.set_clinician_id(clinician_id);
    return availability;
  }
  RETURN_IF_ERROR(
      crypto::OpenMessage(cipher_, Binding(clinic_id, "availability", clinician_id), *record, availability));
  return availability;
}

// ---- Clients and care teams ------------------------------------------------------------------------------

// The client's record with their care team, sorted, from its own table.
absl::StatusOr<std::optional<ClientProto>> SqlSchedulingStore::SelectClient(db::Transaction& tx,
                                                                            const std::string& clinic_id,
                                                                            const std::string& client_id) {
  ASSIGN_OR_RETURN(db::ResultSet rows,
                   tx.Execute("SELECT record FROM clients WHERE clinic_id = $1 AND client_id = $2",
                              {clinic_id, client_id}));
  if (rows.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::string record, rows[0].GetBytes("record"));
  ClientProto client;
  RETURN_IF_ERROR(crypto::OpenMessage(cipher_, Binding(clinic_id, "client", client_id), record, client));
  client.clear_care_team();
  ASSIGN_OR_RETURN(db::ResultSet team,
                   tx.Execute("SELECT clinician_id FROM care_team WHERE clinic_id = $1 AND "
                              "client_id = $2 ORDER BY clinician_id",
                              {clinic_id, client_id}));
  for (const db::Row& row : team) {
    ASSIGN_OR_RETURN(*client.add_care_team(), row.GetText("clinician_id"));
  }
  return client;
}

absl::StatusOr<ClientProto> SqlSchedulingStore::UpsertClient(const ClientProto& client,
                                                             const audit::AuditEntry& audit) {
  ClientProto stored = client;
  stored.clear_care_team();  // output only: the care_team table is the one truth
  const absl::Time now = clock_.Now();
  *stored.mutable_update_time() = ToProto(now);
  ASSIGN_OR_RETURN(
      std::string sealed,
      crypto::SealMessage(cipher_, Binding(stored.clinic_id(), "client", stored.client_id()), stored));
  std::optional<ClientProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool existed,
                     Exists(tx, "clients", "client_id", stored.clinic_id(), stored.client_id()));
    if (!stored.partner_client_id().empty()) {
      FieldViolations v;
      if (stored.partner_client_id() == stored.client_id()) {
        v.Add("client.partner_client_id", "cannot be the client");
      } else {
        ASSIGN_OR_RETURN(bool found,
                         Exists(tx, "clients", "client_id", stored.clinic_id(), stored.partner_client_id()));
        if (!found) v.Add("client.partner_client_id", "is not a client of the clinic");
      }
      RETURN_IF_ERROR(v.ToStatus());
    }
    RETURN_IF_ERROR(tx.Execute("INSERT INTO clients (clinic_id, client_id, record, updated_at) "
                               "VALUES ($1, $2, $3, $4) ON CONFLICT (clinic_id, client_id) DO UPDATE "
                               "SET record = excluded.record, updated_at = excluded.updated_at",
                               {stored.clinic_id(), stored.client_id(), db::Bytes{sealed}, now})
                        .status());
    if (existed) RETURN_IF_ERROR(ReviseUpcomingAppointments(tx, stored.clinic_id(), stored.client_id()));
    RETURN_IF_ERROR(audit_.Append(tx, audit).status());
    ASSIGN_OR_RETURN(result, SelectClient(tx, stored.clinic_id(), stored.client_id()));
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::InternalError("stored client not found");
  return *std::move(result);
}

absl::StatusOr<ClientProto> SqlSchedulingStore::GetClient(const std::string& clinic_id,
                                                          const std::string& client_id) {
  std::optional<ClientProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectClient(tx, clinic_id, client_id));
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::NotFoundError("client not found");
  return *std::move(result);
}

absl::StatusOr<ClientProto> SqlSchedulingStore::SetCareTeam(const std::string& clinic_id,
                                                            const std::string& client_id,
                                                            const std::vector<std::string>& clinician_ids,
                                                            const audit::AuditEntry& audit) {
  if (clinician_ids.size() > static_cast<size_t>(kMaxCareTeamSize)) {
    FieldViolations v;
    v.Add("clinician_ids", absl::StrCat("has more than ", kMaxCareTeamSize, " clinicians"));
    return v.ToStatus();
  }
  // Opening the client's record inside the write transaction needs the clinic's key to exist already.
  RETURN_IF_ERROR(EnsureClinicKey(clinic_id));
  std::optional<ClientProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool client_found, Exists(tx, "clients", "client_id", clinic_id, client_id));
    if (!client_found) return absl::NotFoundError("client not found");
    FieldViolations v;
    for (size_t i = 0; i < clinician_ids.size(); ++i) {
      ASSIGN_OR_RETURN(bool found, Exists(tx, "clinicians", "clinician_id", clinic_id, clinician_ids[i]));
      if (!found) v.Add(absl::StrCat("clinician_ids[", i, "]"), "is not a clinician of the clinic");
    }
    RETURN_IF_ERROR(v.ToStatus());
    RETURN_IF_ERROR(
        tx.Execute("DELETE FROM care_team WHERE clinic_id = $1 AND client_id = $2", {clinic_id, client_id})
            .status());
    const std::set<std::string> team(clinician_ids.begin(), clinician_ids.end());
    for (const std::string& clinician_id : team) {
      RETURN_IF_ERROR(
          tx.Execute("INSERT INTO care_team (clinic_id, client_id, clinician_id) VALUES ($1, $2, $3)",
                     {clinic_id, client_id, clinician_id})
              .status());
    }
    RETURN_IF_ERROR(audit_.Append(tx, audit).status());
    ASSIGN_OR_RETURN(result, SelectClient(tx, clinic_id, client_id));
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::InternalError("stored client not found");
  return *std::move(result);
}

absl::StatusOr<bool> SqlSchedulingStore::IsOnCareTeam(const std::string& clinic_id,
                                                      const std::string& client_id,
                                                      const std::string& clinician_id) {
  bool on_team = false;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute("SELECT 1 AS found FROM care_team WHERE clinic_id = $1 AND client_id = $2 "
                                "AND clinician_id = $3",
                                {clinic_id, client_id, clinician_id}));
    on_team = !rows.empty();
    return absl::OkStatus();
  }));
  return on_team;
}

// ---- Appointments ----------------------------------------------------------------------------------------

absl::StatusOr<std::optional<std::string>> SqlSchedulingStore::FindConflict(
    db::Transaction& tx, const AppointmentProto& appointment, const Interval& protected_interval,
    const std::string& ignore_id) {
  // Anything that overlaps this interval starts after start - kLongestProtectedInterval: with that bound each
  // query is a short range scan of the (clinic, clinician | room, protected_start) index rather than a walk
  // over every earlier appointment of the clinic, so a booking costs the same in a full calendar as in an
  // empty one.
  const absl::Time earliest_start = protected_interval.start - kLongestProtectedInterval;
  struct Candidate {
    absl::Time start;
    std::string id;
  };
  std::optional<Candidate> first;
  auto consider = [&](absl::string_view column, const std::string& value) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::ResultSet rows,
        tx.Execute(absl::StrCat("SELECT appointment_id, start_at FROM appointments WHERE clinic_id = $1 "
                                "AND ",
                                column,
                                " = $2 AND protects AND protected_start > $3 AND protected_start < $4 "
                                "AND protected_end > $5 AND appointment_id <> $6 "
                                "ORDER BY start_at, appointment_id LIMIT 1"),
                   {appointment.clinic_id(), value, earliest_start, protected_interval.end,
                    protected_interval.start, ignore_id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::string id, rows[0].GetText("appointment_id"));
    ASSIGN_OR_RETURN(absl::Time start, rows[0].GetTime("start_at"));
    if (!first.has_value() || start < first->start || (start == first->start && id < first->id)) {
      first = Candidate{start, std::move(id)};
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(consider("clinician_id", appointment.clinician_id()));
  if (!appointment.room().empty()) RETURN_IF_ERROR(consider("room", appointment.room()));
  if (!first.has_value()) return std::nullopt;
  return first->id;
}

absl::StatusOr<std::optional<std::string>> SqlSchedulingStore::FindConflictNow(
    const AppointmentProto& appointment, const Interval& protected_interval, const std::string& ignore_id) {
  std::optional<std::string> conflict;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(conflict, FindConflict(tx, appointment, protected_interval, ignore_id));
    return absl::OkStatus();
  }));
  return conflict;
}

absl::StatusOr<std::optional<AppointmentProto>> SqlSchedulingStore::SelectAppointment(
    db::Transaction& tx, const std::string& clinic_id, const std::string& appointment_id) {
  ASSIGN_OR_RETURN(db::ResultSet rows,
                   tx.Execute("SELECT record FROM appointments WHERE clinic_id = $1 AND appointment_id = $2",
                              {clinic_id, appointment_id}));
  if (rows.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::string record, rows[0].GetBytes("record"));
  AppointmentProto appointment;
  RETURN_IF_ERROR(
      crypto::OpenMessage(cipher_, Binding(clinic_id, "appointment", appointment_id), record, appointment));
  return appointment;
}

absl::Status SqlSchedulingStore::WriteAppointment(db::Transaction& tx, const AppointmentProto& a,
                                                  const Placement& placement,
                                                  const std::string& sealed_record, bool insert) {
  ASSIGN_OR_RETURN(AppointmentStatus status, DomainStatus(a.status()));
  const std::string client_1 = a.client_ids_size() > 0 ? a.client_ids(0) : "";
  const std::string client_2 = a.client_ids_size() > 1 ? a.client_ids(1) : "";
  const std::vector<db::Value> params = {a.clinic_id(),
                                         a.appointment_id(),
                                         a.clinician_id(),
                                         client_1,
                                         client_2,
                                         a.room(),
                                         FromProto(a.start_time()),
                                         FromProto(a.end_time()),
                                         placement.protected_interval.start,
                                         placement.protected_interval.end,
                                         std::string(AppointmentStatusName(status)),
                                         placement.protects,
                                         a.series_id(),
                                         db::Bytes{sealed_record}};
  if (insert) {
    return tx
        .Execute(
            "INSERT INTO appointments (clinic_id, appointment_id, clinician_id, client_id_1, client_id_2, "
            "room, start_at, end_at, protected_start, protected_end, status, protects, series_id, record) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            params)
        .status();
  }
  return tx
      .Execute(
          "UPDATE appointments SET clinician_id = $3, client_id_1 = $4, client_id_2 = $5, room = $6, "
          "start_at = $7, end_at = $8, protected_start = $9, protected_end = $10, status = $11, "
          "protects = $12, series_id = $13, record = $14 WHERE clinic_id = $1 AND appointment_id = $2",
          params)
      .status();
}

absl::StatusOr<AppointmentProto> SqlSchedulingStore::Book(const NewAppointment& booking,
                                                          const audit::AuditEntry& audit) {
  AppointmentProto a = booking.appointment;
  {
    FieldViolations v;
    if (booking.protected_interval.empty()) v.Add("appointment.start_time", "must be before the end time");
    if (booking.protected_interval.length() > kLongestProtectedInterval) {
      v.Add("appointment.end_time", "the appointment and its buffers may not span more than 24 hours");
    }
    if (a.client_ids_size() > kMaxClientsPerAppointment) {
      v.Add("appointment.client_ids", absl::StrCat("has more than ", kMaxClientsPerAppointment, " clients"));
    }
    RETURN_IF_ERROR(v.ToStatus());
  }
  RETURN_IF_ERROR(DomainStatus(a.status()).status());
  const absl::Time now = clock_.Now();
  if (!a.has_create_time()) *a.mutable_create_time() = ToProto(now);
  if (!a.has_update_time()) *a.mutable_update_time() = ToProto(now);
  // Sealed before the transaction: the clinic's first data key is created in a transaction of its own.
  ASSIGN_OR_RETURN(
      std::string sealed_record,
      crypto::SealMessage(cipher_, Binding(a.clinic_id(), "appointment", a.appointment_id()), a));
  ASSIGN_OR_RETURN(std::string sealed_response, crypto::SealMessage(cipher_, ResponseBinding(booking), a));
  for (int i = 0; i < kMaxWriteAttempts; ++i) {
    WriteAttempt attempt;
    absl::StatusOr<AppointmentProto> booked =
        BookOnce(booking, audit, sealed_record, sealed_response, attempt);
    if (!attempt.excluded) return booked;
    // A booking that committed after this one's check holds the time: name it, as the check would have.
    ASSIGN_OR_RETURN(std::optional<std::string> conflict,
                     FindConflictNow(a, booking.protected_interval, a.appointment_id()));
    if (conflict.has_value()) return OverlapError(*conflict);
  }
  return absl::UnavailableError("the schedule kept changing during the booking; try again");
}

absl::StatusOr<AppointmentProto> SqlSchedulingStore::BookOnce(const NewAppointment& booking,
                                                              const audit::AuditEntry& audit,
                                                              const std::string& sealed_record,
                                                              const std::string& sealed_response,
                                                              WriteAttempt& attempt) {
  AppointmentProto a = booking.appointment;
  const db::IdempotencyKey key{a.clinic_id(), booking.caller, kBookRpc, booking.idempotency_key};
  ASSIGN_OR_RETURN(AppointmentStatus status, DomainStatus(a.status()));
  const Placement placement{booking.protected_interval, ProtectsTime(status)};
  std::optional<AppointmentProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> first, idempotency_.Begin(tx, key, booking.request_hash));
    AppointmentProto booked;
    if (first.has_value()) {
      RETURN_IF_ERROR(crypto::OpenMessage(cipher_, ResponseBinding(booking), *first, booked));
    } else {
      RETURN_IF_ERROR(CheckParties(tx, a));
      if (placement.protects) {
        ASSIGN_OR_RETURN(std::optional<std::string> conflict,
                         FindConflict(tx, a, placement.protected_interval, a.appointment_id()));
        if (conflict.has_value()) return OverlapError(*conflict);
      }
      absl::Status written = WriteAppointment(tx, a, placement, sealed_record, /*insert=*/true);
      attempt.excluded = absl::IsAlreadyExists(written);
      RETURN_IF_ERROR(written);
      RETURN_IF_ERROR(EnqueueFollowUps(tx, nullptr, a));
      RETURN_IF_ERROR(idempotency_.Complete(tx, key, sealed_response));
      booked = a;
    }
    audit::AuditEntry entry = audit;
    entry.resource_id = booked.appointment_id();  // a retry audits the appointment it returns
    RETURN_IF_ERROR(audit_.Append(tx, entry).status());
    result = std::move(booked);
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::InternalError("booked appointment not found");
  return *std::move(result);
}

absl::Status SqlSchedulingStore::CheckParties(db::Transaction& tx, const AppointmentProto& a) {
  ASSIGN_OR_RETURN(bool clinician_found,
                   Exists(tx, "clinicians", "clinician_id", a.clinic_id(), a.clinician_id()));
  if (!clinician_found) return NotFoundField("clinician_id", "clinician");
  for (int i = 0; i < a.client_ids_size(); ++i) {
    ASSIGN_OR_RETURN(bool found, Exists(tx, "clients", "client_id", a.clinic_id(), a.client_ids(i)));
    if (!found) return NotFoundField(absl::StrCat("client_ids[", i, "]"), "client");
  }
  return absl::OkStatus();
}

absl::StatusOr<tandem::scheduling::v1::BookSeriesResponse> SqlSchedulingStore::BookSeries(
    const NewSeries& series, const audit::AuditEntry& audit) {
  if (series.occurrences.empty()) {
    return absl::FailedPreconditionError("the series has no occurrence to book");
  }
  const std::string& clinic_id = series.occurrences.front().appointment.clinic_id();
  for (const NewAppointment& occurrence : series.occurrences) {
    if (occurrence.protected_interval.empty() ||
        occurrence.protected_interval.length() > kLongestProtectedInterval ||
        occurrence.appointment.clinic_id() != clinic_id) {
      return absl::InvalidArgumentError("a series occurrence is not bookable as given");
    }
    RETURN_IF_ERROR(DomainStatus(occurrence.appointment.status()).status());
  }
  // Records are sealed inside the transaction (which occurrences are booked is decided there).
  RETURN_IF_ERROR(EnsureClinicKey(clinic_id));
  for (int i = 0; i < kMaxWriteAttempts; ++i) {
    bool excluded = false;
    absl::StatusOr<tandem::scheduling::v1::BookSeriesResponse> booked =
        BookSeriesOnce(series, audit, excluded);
    // An occurrence hit an exclusion constraint: a booking committed after this one's check. The next
    // attempt's check sees it and names it (or skips the occurrence).
    if (!excluded) return booked;
  }
  return absl::UnavailableError("the schedule kept changing during the booking; try again");
}

absl::StatusOr<tandem::scheduling::v1::BookSeriesResponse> SqlSchedulingStore::BookSeriesOnce(
    const NewSeries& series, const audit::AuditEntry& audit, bool& excluded) {
  const AppointmentProto& first = series.occurrences.front().appointment;
  const db::IdempotencyKey key{first.clinic_id(), series.caller, kBookSeriesRpc, series.idempotency_key};
  std::optional<tandem::scheduling::v1::BookSeriesResponse> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, idempotency_.Begin(tx, key, series.request_hash));
    tandem::scheduling::v1::BookSeriesResponse response;
    if (earlier.has_value()) {
      RETURN_IF_ERROR(crypto::OpenMessage(cipher_, ResponseBinding(series), *earlier, response));
      audit::AuditEntry entry = audit;
      entry.resource_id = response.series_id();
      RETURN_IF_ERROR(audit_.Append(tx, entry).status());
      result = std::move(response);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(CheckParties(tx, first));
    response = series.response;
    std::vector<google::rpc::PreconditionFailure::Violation> conflicts;
    for (const NewAppointment& occurrence : series.occurrences) {
      const AppointmentProto& a = occurrence.appointment;
      ASSIGN_OR_RETURN(std::optional<std::string> conflict,
                       FindConflict(tx, a, occurrence.protected_interval, a.appointment_id()));
      if (conflict.has_value()) {
        if (series.skip_conflicts) {
          tandem::scheduling::v1::SkippedOccurrence& skipped = *response.add_skipped();
          *skipped.mutable_start_time() = a.start_time();
          skipped.set_conflicting_appointment_id(*conflict);
        } else {
          conflicts.push_back(PreconditionViolation(
              "APPOINTMENT_OVERLAPS", absl::StrCat("appointments/", *conflict),
              absl::StrCat(
                  "the occurrence starting ",
                  absl::FormatTime(absl::RFC3339_sec, FromProto(a.start_time()), absl::UTCTimeZone()),
                  " overlaps it")));
        }
        continue;
      }
      if (!conflicts.empty()) continue;  // only the conflicts matter now
      ASSIGN_OR_RETURN(
          std::string sealed,
          crypto::SealMessage(cipher_, Binding(a.clinic_id(), "appointment", a.appointment_id()), a));
      absl::Status written =
          WriteAppointment(tx, a, Placement{occurrence.protected_interval, true}, sealed, /*insert=*/true);
      excluded = absl::IsAlreadyExists(written);
      RETURN_IF_ERROR(written);
      RETURN_IF_ERROR(EnqueueFollowUps(tx, nullptr, a));
      audit::AuditEntry entry = audit;
      entry.resource_id = a.appointment_id();
      RETURN_IF_ERROR(audit_.Append(tx, entry).status());
      *response.add_appointments() = a;
    }
    if (!conflicts.empty()) {
      return WithDetail(absl::AlreadyExistsError(absl::StrCat(conflicts.size(),
                                                              " occurrences overlap other appointments; "
                                                              "nothing was booked")),
                        [&] {
                          google::rpc::PreconditionFailure failure;
                          for (auto& c : conflicts) *failure.add_violations() = std::move(c);
                          return failure;
                        }());
    }
    ASSIGN_OR_RETURN(std::string sealed_response,
                     crypto::SealMessage(cipher_, ResponseBinding(series), response));
    RETURN_IF_ERROR(idempotency_.Complete(tx, key, sealed_response));
    result = std::move(response);
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::InternalError("booked series not found");
  return *std::move(result);
}

absl::StatusOr<std::vector<AppointmentProto>> SqlSchedulingStore::UpdateSeries(
    const std::string& clinic_id, const std::string& series_id, absl::Time from, SeriesMutation mutation,
    const audit::AuditEntry& audit) {
  RETURN_IF_ERROR(EnsureClinicKey(clinic_id));
  for (int i = 0; i < kMaxWriteAttempts; ++i) {
    WriteAttempt attempt;
    absl::StatusOr<std::vector<AppointmentProto>> updated =
        UpdateSeriesOnce(clinic_id, series_id, from, mutation, audit, attempt);
    if (!attempt.excluded) return updated;
    ASSIGN_OR_RETURN(std::optional<std::string> conflict,
                     FindConflictNow(attempt.appointment, attempt.protected_interval,
                                     attempt.appointment.appointment_id()));
    if (conflict.has_value()) return OverlapError(*conflict);
  }
  return absl::UnavailableError("the schedule kept changing during the change; try again");
}

absl::StatusOr<std::vector<AppointmentProto>> SqlSchedulingStore::UpdateSeriesOnce(
    const std::string& clinic_id, const std::string& series_id, absl::Time from, SeriesMutation mutation,
    const audit::AuditEntry& audit, WriteAttempt& attempt) {
  std::vector<AppointmentProto> changed;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::ResultSet rows,
        tx.Execute("SELECT appointment_id FROM appointments WHERE clinic_id = $1 AND series_id = $2 "
                   "AND start_at >= $3 ORDER BY start_at, appointment_id",
                   {clinic_id, series_id, from}));
    std::vector<std::string> ids;
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(ids.emplace_back(), row.GetText("appointment_id"));
    }
    // Occurrences moved later are written last-first, so each lands where a sibling no longer is (each write
    // is checked at once, by the overlap check and on PostgreSQL by the exclusion constraint). Every
    // occurrence moves the same way, so the first one the mutation changes tells the direction.
    for (const std::string& id : ids) {
      ASSIGN_OR_RETURN(std::optional<AppointmentProto> current, SelectAppointment(tx, clinic_id, id));
      if (!current.has_value()) continue;
      ASSIGN_OR_RETURN(std::optional<AppointmentChange> probe, mutation(*current));
      if (!probe.has_value()) continue;
      if (FromProto(probe->updated.start_time()) > FromProto(current->start_time())) {
        std::reverse(ids.begin(), ids.end());
      }
      break;
    }
    for (const std::string& appointment_id : ids) {
      ASSIGN_OR_RETURN(std::optional<AppointmentProto> updated,
                       ChangeInTransaction(tx, clinic_id, appointment_id, mutation, audit, attempt));
      if (updated.has_value()) changed.push_back(*std::move(updated));
    }
    return absl::OkStatus();
  }));
  std::sort(changed.begin(), changed.end(), [](const AppointmentProto& a, const AppointmentProto& b) {
    return FromProto(a.start_time()) < FromProto(b.start_time());
  });
  return changed;
}

absl::StatusOr<std::optional<AppointmentProto>> SqlSchedulingStore::EarlierBooking(
    const std::string& clinic_id, const std::string& caller, const std::string& idempotency_key,
    const std::string& request_hash) {
  NewAppointment probe;  // names the key as Book does
  probe.appointment.set_clinic_id(clinic_id);
  probe.caller = caller;
  probe.idempotency_key = idempotency_key;
  std::optional<AppointmentProto> earlier;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> sealed,
                     idempotency_.Find(tx, {clinic_id, caller, kBookRpc, idempotency_key}, request_hash));
    if (!sealed.has_value()) return absl::OkStatus();
    AppointmentProto booked;
    RETURN_IF_ERROR(crypto::OpenMessage(cipher_, ResponseBinding(probe), *sealed, booked));
    earlier = std::move(booked);
    return absl::OkStatus();
  }));
  return earlier;
}

absl::StatusOr<AppointmentProto> SqlSchedulingStore::GetAppointment(const std::string& clinic_id,
                                                                    const std::string& appointment_id) {
  std::optional<AppointmentProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectAppointment(tx, clinic_id, appointment_id));
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::NotFoundError("appointment not found");
  return *std::move(result);
}

absl::StatusOr<AppointmentProto> SqlSchedulingStore::UpdateAppointment(const std::string& clinic_id,
                                                                       const std::string& appointment_id,
                                                                       AppointmentMutation mutation,
                                                                       const audit::AuditEntry& audit) {
  // The new record is sealed inside the transaction (the mutation runs there), so the key must exist first.
  RETURN_IF_ERROR(EnsureClinicKey(clinic_id));
  for (int i = 0; i < kMaxWriteAttempts; ++i) {
    WriteAttempt attempt;
    absl::StatusOr<AppointmentProto> updated =
        UpdateOnce(clinic_id, appointment_id, mutation, audit, attempt);
    if (!attempt.excluded) return updated;
    ASSIGN_OR_RETURN(std::optional<std::string> conflict,
                     FindConflictNow(attempt.appointment, attempt.protected_interval, appointment_id));
    if (conflict.has_value()) return OverlapError(*conflict);
  }
  return absl::UnavailableError("the schedule kept changing during the change; try again");
}

absl::StatusOr<AppointmentProto> SqlSchedulingStore::UpdateOnce(const std::string& clinic_id,
                                                                const std::string& appointment_id,
                                                                AppointmentMutation mutation,
                                                                const audit::AuditEntry& audit,
                                                                WriteAttempt& attempt) {
  auto always = [&](const AppointmentProto& current) -> absl::StatusOr<std::optional<AppointmentChange>> {
    ASSIGN_OR_RETURN(AppointmentChange change, mutation(current));
    return change;
  };
  std::optional<AppointmentProto> result;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(result, ChangeInTransaction(tx, clinic_id, appointment_id, always, audit, attempt));
    return absl::OkStatus();
  }));
  if (!result.has_value()) return absl::InternalError("updated appointment not found");
  return *std::move(result);
}

absl::StatusOr<std::optional<AppointmentProto>> SqlSchedulingStore::ChangeInTransaction(
    db::Transaction& tx, const std::string& clinic_id, const std::string& appointment_id,
    SeriesMutation mutation, const audit::AuditEntry& audit, WriteAttempt& attempt) {
  ASSIGN_OR_RETURN(db::ResultSet rows,
                   tx.Execute("SELECT protected_start, protected_end, protects FROM appointments "
                              "WHERE clinic_id = $1 AND appointment_id = $2",
                              {clinic_id, appointment_id}));
  if (rows.empty()) return absl::NotFoundError("appointment not found");
  ASSIGN_OR_RETURN(absl::Time stored_start, rows[0].GetTime("protected_start"));
  ASSIGN_OR_RETURN(absl::Time stored_end, rows[0].GetTime("protected_end"));
  ASSIGN_OR_RETURN(bool protected_before, rows[0].GetBool("protects"));
  ASSIGN_OR_RETURN(std::optional<AppointmentProto> current, SelectAppointment(tx, clinic_id, appointment_id));
  if (!current.has_value()) return absl::NotFoundError("appointment not found");
  ASSIGN_OR_RETURN(std::optional<AppointmentChange> decided, mutation(*current));
  if (!decided.has_value()) return std::nullopt;
  AppointmentChange& change = *decided;
  AppointmentProto updated = std::move(change.updated);
  // The identity of an appointment is not the mutation's to change.
  updated.set_clinic_id(clinic_id);
  updated.set_appointment_id(appointment_id);
  *updated.mutable_create_time() = current->create_time();
  const absl::Time now = clock_.Now();
  *updated.mutable_update_time() = ToProto(now);
  // A hold ends when its appointment leaves `proposed`, however it does.
  if (updated.status() != tandem::scheduling::v1::APPOINTMENT_STATUS_PROPOSED) {
    updated.clear_hold_expire_time();
  }
  ASSIGN_OR_RETURN(AppointmentStatus status, DomainStatus(updated.status()));
  const Interval stored_interval{stored_start, stored_end};
  const Placement placement{change.protected_interval.value_or(stored_interval), ProtectsTime(status)};
  if (placement.protected_interval.empty() ||
      placement.protected_interval.length() > kLongestProtectedInterval) {
    FieldViolations v;
    v.Add("appointment.start_time",
          "must be before the end time, and with its buffers span at most 24 hours");
    return v.ToStatus();
  }
  attempt.appointment = updated;
  attempt.protected_interval = placement.protected_interval;
  const bool moved = placement.protected_interval != stored_interval ||
                     updated.clinician_id() != current->clinician_id() || updated.room() != current->room();
  if (placement.protects && (moved || !protected_before)) {
    ASSIGN_OR_RETURN(std::optional<std::string> conflict,
                     FindConflict(tx, updated, placement.protected_interval, appointment_id));
    if (conflict.has_value()) return OverlapError(*conflict);
  }
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::SealMessage(cipher_, Binding(clinic_id, "appointment", appointment_id), updated));
  absl::Status written = WriteAppointment(tx, updated, placement, sealed, /*insert=*/false);
  attempt.excluded = absl::IsAlreadyExists(written);
  RETURN_IF_ERROR(written);
  RETURN_IF_ERROR(EnqueueFollowUps(tx, &*current, updated));
  RETURN_IF_ERROR(KeepWaitlist(tx, *current, updated, now));
  // One row per appointment changed (a series change writes several).
  audit::AuditEntry entry = audit;
  entry.resource_id = appointment_id;
  RETURN_IF_ERROR(audit_.Append(tx, entry).status());
  return updated;
}

absl::StatusOr<std::vector<BusyAppointment>> SqlSchedulingStore::ListBusy(const std::string& clinic_id,
                                                                          const std::string& clinician_id,
                                                                          absl::Time from,
                                                                          absl::Time before) {
  constexpr int kMaxBusy = 20000;
  std::vector<BusyAppointment> busy;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::ResultSet rows,
        tx.Execute("SELECT appointment_id, start_at, end_at, status FROM appointments "
                   "WHERE clinic_id = $1 AND clinician_id = $2 AND start_at >= $3 AND start_at < $4 "
                   "AND protects ORDER BY start_at, appointment_id LIMIT $5",
                   {clinic_id, clinician_id, from, before, int64_t{kMaxBusy + 1}}));
    if (rows.size() > kMaxBusy) {
      return absl::FailedPreconditionError("too many appointments in the window; ask for a shorter one");
    }
    for (const db::Row& row : rows) {
      BusyAppointment& b = busy.emplace_back();
      ASSIGN_OR_RETURN(b.id, row.GetText("appointment_id"));
      ASSIGN_OR_RETURN(b.interval.start, row.GetTime("start_at"));
      ASSIGN_OR_RETURN(b.interval.end, row.GetTime("end_at"));
      ASSIGN_OR_RETURN(std::string status, row.GetText("status"));
      ASSIGN_OR_RETURN(b.status, ParseAppointmentStatus(status));
    }
    return absl::OkStatus();
  }));
  return busy;
}

absl::Status SqlSchedulingStore::EnqueueFollowUps(db::Transaction& tx, const AppointmentProto* previous,
                                                  const AppointmentProto& current) {
  if (follow_ups_ == nullptr) return absl::OkStatus();
  std::vector<ClientProto> clients;
  for (const std::string& client_id : current.client_ids()) {
    ASSIGN_OR_RETURN(std::optional<ClientProto> client, SelectClient(tx, current.clinic_id(), client_id));
    if (client.has_value()) clients.push_back(*std::move(client));
  }
  for (const FollowUpCall& call : follow_ups_->AfterChange(previous, current, clients)) {
    if (!call.once_key.empty()) {
      ASSIGN_OR_RETURN(db::ResultSet first,
                       tx.Execute("INSERT INTO follow_up_once (clinic_id, once_key) VALUES ($1, $2) "
                                  "ON CONFLICT (clinic_id, once_key) DO NOTHING RETURNING once_key",
                                  {current.clinic_id(), call.once_key}));
      if (first.empty()) continue;
    }
    RETURN_IF_ERROR(
        outbox_.Enqueue(tx, {current.clinic_id(), call.ordering_key, call.target, call.payload}).status());
  }
  return absl::OkStatus();
}

absl::Status SqlSchedulingStore::ReviseUpcomingAppointments(db::Transaction& tx, const std::string& clinic_id,
                                                            const std::string& client_id) {
  if (follow_ups_ == nullptr) return absl::OkStatus();
  // Booked appointments not yet started: the ones whose reminders may still be sent. At most a few hundred
  // for one client (a weekly series runs at most five years).
  ASSIGN_OR_RETURN(
      db::ResultSet rows,
      tx.Execute("SELECT appointment_id, protected_start, protected_end, protects FROM appointments "
                 "WHERE clinic_id = $1 AND (client_id_1 = $2 OR client_id_2 = $2) "
                 "AND status = $3 AND start_at > $4 ORDER BY start_at, appointment_id",
                 {clinic_id, client_id, std::string(AppointmentStatusName(AppointmentStatus::kBooked)),
                  clock_.Now()}));
  for (const db::Row& row : rows) {
    ASSIGN_OR_RETURN(std::string appointment_id, row.GetText("appointment_id"));
    ASSIGN_OR_RETURN(absl::Time protected_start, row.GetTime("protected_start"));
    ASSIGN_OR_RETURN(absl::Time protected_end, row.GetTime("protected_end"));
    ASSIGN_OR_RETURN(bool protects, row.GetBool("protects"));
    ASSIGN_OR_RETURN(std::optional<AppointmentProto> current,
                     SelectAppointment(tx, clinic_id, appointment_id));
    if (!current.has_value()) continue;
    AppointmentProto revised = *current;
    revised.set_revision(current->revision() + 1);
    *revised.mutable_update_time() = ToProto(clock_.Now());
    ASSIGN_OR_RETURN(
        std::string sealed,
        crypto::SealMessage(cipher_, Binding(clinic_id, "appointment", appointment_id), revised));
    RETURN_IF_ERROR(
        WriteAppointment(tx, revised, Placement{{protected_start, protected_end}, protects}, sealed, false));
    RETURN_IF_ERROR(EnqueueFollowUps(tx, &*current, revised));
  }
  return absl::OkStatus();
}

absl::StatusOr<AppointmentPage> SqlSchedulingStore::ListAppointments(
    const AppointmentFilter& filter, int page_size, const std::optional<AppointmentCursor>& after) {
  if (page_size < 1 || page_size > kMaxPageSize) {
    FieldViolations v;
    v.Add("page.page_size", absl::StrCat("must be between 1 and ", kMaxPageSize));
    return v.ToStatus();
  }
  std::string sql = "SELECT appointment_id, record FROM appointments WHERE clinic_id = $1";
  std::vector<db::Value> params = {filter.clinic_id};
  if (!filter.clinician_id.empty()) {
    params.emplace_back(filter.clinician_id);
    absl::StrAppend(&sql, " AND clinician_id = $", params.size());
  }
  if (!filter.client_id.empty()) {
    params.emplace_back(filter.client_id);
    absl::StrAppend(&sql, " AND (client_id_1 = $", params.size(), " OR client_id_2 = $", params.size(), ")");
  }
  if (filter.starts_from.has_value()) {
    params.emplace_back(*filter.starts_from);
    absl::StrAppend(&sql, " AND start_at >= $", params.size());
  }
  if (filter.starts_before.has_value()) {
    params.emplace_back(*filter.starts_before);
    absl::StrAppend(&sql, " AND start_at < $", params.size());
  }
  if (!filter.statuses.empty()) {
    absl::StrAppend(&sql, " AND status IN (");
    for (size_t i = 0; i < filter.statuses.size(); ++i) {
      ASSIGN_OR_RETURN(AppointmentStatus status, DomainStatus(filter.statuses[i]));
      params.emplace_back(std::string(AppointmentStatusName(status)));
      absl::StrAppend(&sql, i == 0 ? "$" : ", $", params.size());
    }
    sql += ")";
  }
  if (after.has_value()) {
    params.emplace_back(after->start);
    const size_t start_param = params.size();
    params.emplace_back(after->appointment_id);
    absl::StrAppend(&sql, " AND (start_at > $", start_param, " OR (start_at = $", start_param,
                    " AND appointment_id > $", params.size(), "))");
  }
  absl::StrAppend(&sql, " ORDER BY start_at, appointment_id LIMIT ", page_size + 1);
  std::vector<std::pair<std::string, std::string>> records;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows, tx.Execute(sql, params));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(std::string id, row.GetText("appointment_id"));
      ASSIGN_OR_RETURN(std::string record, row.GetBytes("record"));
      records.emplace_back(std::move(id), std::move(record));
    }
    return absl::OkStatus();
  }));
  AppointmentPage page;
  page.more = records.size() > static_cast<size_t>(page_size);
  if (page.more) records.resize(static_cast<size_t>(page_size));
  for (const auto& [id, record] : records) {
    AppointmentProto appointment;
    RETURN_IF_ERROR(
        crypto::OpenMessage(cipher_, Binding(filter.clinic_id, "appointment", id), record, appointment));
    page.appointments.push_back(std::move(appointment));
  }
  return page;
}

}  // namespace tandem::scheduling
