// The scheduling store contract on SQLite and PostgreSQL.
#include "services/scheduling/store/sql_scheduling_store.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/audit/audit_log.h"
#include "common/audit/audit_migrations.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/idempotency_migrations.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/db/outbox_migrations.h"
#include "common/status/error_details.h"
#include "common/status/field_violations.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "services/scheduling/domain/appointment_reminders.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/store/scheduling_migrations.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/scheduling/store_test_support.h"

namespace tandem::scheduling {
namespace {

using google::protobuf::util::TimeUtil;
using v1::AppointmentStatus;

constexpr char kClientName[] = "Robin Quillfeather";
constexpr char kClientAddress[] = "robin.quillfeather@example.org";
constexpr char kTelehealthUrl[] = "https://video.example/quillfeather-room";
constexpr char kCancellationReason[] = "felt too unwell to travel";

// 2026-01-05 09:00 UTC plus `minutes`.
absl::Time At(int minutes) { return absl::FromUnixSeconds(1767603600) + absl::Minutes(minutes); }
google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

// The appointment a refusal names, from its ResourceInfo detail.
std::string Named(const absl::Status& status) {
  auto info = FindDetail<google::rpc::ResourceInfo>(status);
  return info.has_value() ? info->resource_name() : "";
}

std::vector<std::string> Team(const absl::StatusOr<ClientProto>& client) {
  if (!client.ok()) return {"(" + client.status().ToString() + ")"};
  return {client->care_team().begin(), client->care_team().end()};
}

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(status)) fields.push_back(v.field());
  return fields;
}

// A listing filter; every field spelled, as the port's struct has no defaults for designated initializers.
AppointmentFilter Filter(const std::string& clinic, const std::string& clinician = "",
                         const std::string& client = "", std::optional<absl::Time> from = std::nullopt,
                         std::optional<absl::Time> before = std::nullopt,
                         std::vector<AppointmentStatus> statuses = {}) {
  AppointmentFilter f;
  f.clinic_id = clinic;
  f.clinician_id = clinician;
  f.client_id = client;
  f.starts_from = from;
  f.starts_before = before;
  f.statuses = std::move(statuses);
  return f;
}

class SqlSchedulingStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto parts = store_testing::OpenStoreTestDatabase(GetParam(), clock_);
    ASSERT_TRUE(parts.ok()) << parts.status();
    dir_ = parts->dir;
    db_ = std::move(parts->db);
    keys_ = std::move(parts->keys);
    cipher_ = std::move(parts->cipher);
    audit_ = std::move(parts->audit);
    store_ = std::make_unique<SqlSchedulingStore>(*db_, *cipher_, *audit_, clock_);

    // dr-a keeps 10 minutes before and 15 after each appointment; dr-b and dr-c keep none.
    AddClinician("dr-a", 10, 15);
    AddClinician("dr-b");
    AddClinician("dr-c");
    AddClient("cl-1");
    AddClient("cl-2");
    AddClient("cl-3");
  }
  void TearDown() override {
    store_.reset();
    planner_.reset();
    audit_.reset();
    cipher_.reset();
    keys_.reset();
    db_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  bool IsPostgres() const { return GetParam() == "postgresql"; }

  // From here on the store plans each appointment's reminders into the outbox, as the service runs it.
  void PlanReminders() {
    planner_ = std::make_unique<AppointmentReminderPlanner>(clock_, std::nullopt);
    store_ = std::make_unique<SqlSchedulingStore>(*db_, *cipher_, *audit_, clock_, planner_.get());
  }
  // Every outbox message, payload opened, in delivery order.
  std::vector<db::OutboxRow> OutboxRows() {
    std::vector<std::string> ids;
    {
      auto tx = db_->Begin(db::TxMode::kRead);
      EXPECT_TRUE(tx.ok()) << tx.status();
      if (!tx.ok()) return {};
      auto rows = tx->Execute("SELECT id FROM outbox ORDER BY seq");
      EXPECT_TRUE(rows.ok()) << rows.status();
      if (!rows.ok()) return {};
      for (const db::Row& row : *rows) ids.push_back(*row.GetText("id"));
    }
    const db::Outbox outbox(clock_, cipher_.get());
    std::vector<db::OutboxRow> out;
    for (const std::string& id : ids) {
      auto row = outbox.Get(*db_, id);
      EXPECT_TRUE(row.ok()) << row.status();
      if (row.ok()) out.push_back(*std::move(row));
    }
    return out;
  }
  // The methods of the outbox messages after the first `skip`, in order ("ScheduleReminder", ...).
  std::vector<std::string> Methods(size_t skip = 0) {
    std::vector<std::string> methods;
    std::vector<db::OutboxRow> rows = OutboxRows();
    for (size_t i = skip; i < rows.size(); ++i) {
      methods.push_back(rows[i].target.substr(rows[i].target.rfind('/') + 1));
    }
    return methods;
  }
  // A reschedule as the service makes it: new times and the next revision.
  absl::StatusOr<AppointmentProto> Move(const std::string& id, int from, int to) {
    return store_->UpdateAppointment(
        "c1", id,
        [&](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
          AppointmentChange change{current, std::nullopt};
          change.updated.set_revision(current.revision() + 1);
          *change.updated.mutable_start_time() = Ts(At(from));
          *change.updated.mutable_end_time() = Ts(At(to));
          change.protected_interval =
              ProtectedInterval(Interval{At(from), At(to)}, buffers_["c1/" + current.clinician_id()]);
          return change;
        },
        Entry("appointment.reschedule"));
  }

  static audit::AuditEntry Entry(const std::string& action, const std::string& clinic_id = "c1") {
    return store_testing::DeskEntry(action, "appointment", clinic_id);
  }

  void AddClinician(const std::string& id, int before = 0, int after = 0, const std::string& clinic = "c1") {
    ClinicianProto c;
    c.set_clinic_id(clinic);
    c.set_clinician_id(id);
    c.set_display_name("Dr " + id);
    c.set_time_zone("Europe/Berlin");
    c.set_buffer_before_minutes(before);
    c.set_buffer_after_minutes(after);
    auto stored = store_->UpsertClinician(c, Entry("clinician.upsert", clinic));
    ASSERT_TRUE(stored.ok()) << stored.status();
    buffers_[clinic + "/" + id] = Buffers{absl::Minutes(before), absl::Minutes(after)};
  }
  static ClientProto Client(const std::string& id, const std::string& clinic = "c1") {
    ClientProto c;
    c.set_clinic_id(clinic);
    c.set_client_id(id);
    c.set_display_name(kClientName);
    c.set_time_zone("Europe/Berlin");
    auto* contact = c.add_contacts();
    contact->set_kind(v1::CONTACT_KIND_EMAIL);
    contact->set_address(kClientAddress);
    contact->set_opted_in(true);
    return c;
  }
  void AddClient(const std::string& id, const std::string& clinic = "c1") {
    auto stored = store_->UpsertClient(Client(id, clinic), Entry("client.upsert", clinic));
    ASSERT_TRUE(stored.ok()) << stored.status();
  }

  // A validated booking of [At(from), At(to)) with the clinician's buffers.
  NewAppointment Booking(const std::string& key, int from, int to, const std::string& clinician = "dr-a",
                         AppointmentStatus status = v1::APPOINTMENT_STATUS_BOOKED,
                         const std::string& room = "", const std::vector<std::string>& clients = {"cl-1"},
                         const std::string& clinic = "c1") {
    NewAppointment n;
    n.caller = "front-desk-1";
    n.idempotency_key = key;
    n.request_hash = "hash-" + key;
    AppointmentProto& a = n.appointment;
    a.set_clinic_id(clinic);
    a.set_appointment_id(NewUuidV7(clock_));
    a.set_clinician_id(clinician);
    for (const std::string& client : clients) a.add_client_ids(client);
    *a.mutable_start_time() = Ts(At(from));
    *a.mutable_end_time() = Ts(At(to));
    a.set_modality(room.empty() ? v1::MODALITY_TELEHEALTH : v1::MODALITY_IN_PERSON);
    a.set_room(room);
    if (room.empty()) a.set_telehealth_url(kTelehealthUrl);
    a.set_status(status);
    a.set_revision(1);
    n.protected_interval = ProtectedInterval(Interval{At(from), At(to)}, buffers_[clinic + "/" + clinician]);
    return n;
  }
  absl::StatusOr<AppointmentProto> Book(const NewAppointment& n) {
    return store_->Book(n, Entry("appointment.book", n.appointment.clinic_id()));
  }
  absl::StatusOr<AppointmentProto> Reschedule(const std::string& id, int from, int to,
                                              const std::string& clinic = "c1") {
    return store_->UpdateAppointment(
        clinic, id,
        [&](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
          AppointmentChange change{current, std::nullopt};
          *change.updated.mutable_start_time() = Ts(At(from));
          *change.updated.mutable_end_time() = Ts(At(to));
          change.protected_interval =
              ProtectedInterval(Interval{At(from), At(to)}, buffers_[clinic + "/" + current.clinician_id()]);
          return change;
        },
        Entry("appointment.reschedule", clinic));
  }
  absl::StatusOr<AppointmentProto> SetStatus(const std::string& id, AppointmentStatus status,
                                             const std::string& reason = "") {
    return store_->UpdateAppointment(
        "c1", id,
        [&](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
          AppointmentChange change{current, std::nullopt};
          change.updated.set_status(status);
          if (!reason.empty()) change.updated.set_cancellation_reason(reason);
          return change;
        },
        Entry("appointment.status"));
  }

  int64_t Count(const std::string& table) {
    auto tx = db_->Begin(db::TxMode::kRead);
    auto rows = tx->Execute("SELECT COUNT(*) AS n FROM " + table);
    return *(*rows)[0].GetInt64("n");
  }
  // Makes the trail refuse every new row, as a full disk or a revoked grant would.
  void BreakTheAuditTrail() {
    absl::Status broken = store_testing::BreakAuditTrail(*db_, IsPostgres());
    ASSERT_TRUE(broken.ok()) << broken;
  }
  void RepairTheAuditTrail() {
    absl::Status repaired = store_testing::RepairAuditTrail(*db_, IsPostgres());
    ASSERT_TRUE(repaired.ok()) << repaired;
  }

  FakeClock clock_;
  std::string dir_;
  std::map<std::string, Buffers> buffers_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<crypto::SqlDataKeyStore> keys_;
  std::unique_ptr<crypto::ClinicalCipher> cipher_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<AppointmentReminderPlanner> planner_;
  std::unique_ptr<SqlSchedulingStore> store_;
};

template <typename Request>
Request Parsed(const db::OutboxRow& row) {
  Request request;
  EXPECT_TRUE(request.ParseFromString(row.payload)) << row.target;
  return request;
}
using ScheduleRequest = tandem::reminders::v1::ScheduleReminderRequest;
using CancelRequest = tandem::reminders::v1::CancelRemindersRequest;
using TemplateRequest = tandem::reminders::v1::RegisterTemplateRequest;

TEST_P(SqlSchedulingStoreTest, FiftyConcurrentBookingsOfOneSlotStoreExactlyOne) {
  constexpr int kThreads = 50;
  std::vector<NewAppointment> bookings;
  bookings.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) bookings.push_back(Booking("race-" + std::to_string(i), 60, 110));
  std::vector<absl::StatusOr<AppointmentProto>> results(kThreads, absl::UnknownError("not run"));
  // On PostgreSQL the audit trail is held shut for a moment, so the bookings that get a connection all run
  // their overlap check and insert before any of them can commit: the window a race needs, made wide. Only
  // the exclusion constraint stands between them then. (SQLite runs one write transaction at a time.)
  std::optional<db::Transaction> gate;
  if (IsPostgres()) {
    auto begun = db_->Begin(db::TxMode::kWrite);
    ASSERT_TRUE(begun.ok()) << begun.status();
    gate = *std::move(begun);
    ASSERT_TRUE(gate->Execute("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE").ok());
  }
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      results[i] = Book(bookings[i]);
    });
  }
  if (gate.has_value()) {
    absl::SleepFor(absl::Milliseconds(500));
    EXPECT_TRUE(gate->Commit().ok());  // no ASSERT: the threads must be joined
  }
  for (std::thread& t : threads) t.join();

  std::vector<std::string> winners;
  for (const auto& r : results) {
    if (r.ok()) winners.push_back(r->appointment_id());
  }
  ASSERT_EQ(winners.size(), 1u);
  EXPECT_EQ(Count("appointments"), 1);
  int refused = 0;
  for (const auto& r : results) {
    if (r.ok()) continue;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists) << r.status();
    EXPECT_EQ(Named(r.status()), "appointments/" + winners[0]) << r.status();
    ++refused;
  }
  EXPECT_EQ(refused, kThreads - 1);
}

TEST_P(SqlSchedulingStoreTest, BuffersKeepTheGapBetweenAppointments) {
  // dr-a: 10 minutes before, 15 after. 10:00-11:00 protects 09:50-11:15.
  auto first = Book(Booking("b1", 60, 120));
  ASSERT_TRUE(first.ok()) << first.status();
  // Later: its start minus 10 must be at or after 11:15.
  auto too_soon = Book(Booking("b2", 120 + 20, 180));
  EXPECT_EQ(too_soon.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Named(too_soon.status()), "appointments/" + first->appointment_id());
  EXPECT_TRUE(Book(Booking("b3", 120 + 25, 180)).ok());
  // Earlier: its end plus 15 must be at or before 09:50.
  EXPECT_EQ(Book(Booking("b4", 0, 40)).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Book(Booking("b5", 0, 35)).ok());
  // Without buffers, back to back is fine and one minute of overlap is not.
  EXPECT_TRUE(Book(Booking("z1", 60, 120, "dr-b")).ok());
  EXPECT_TRUE(Book(Booking("z2", 120, 180, "dr-b")).ok());
  EXPECT_TRUE(Book(Booking("z3", 0, 60, "dr-b")).ok());
  EXPECT_EQ(Book(Booking("z4", 179, 200, "dr-b")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Count("appointments"), 6);  // b1, b3, b5, z1, z2, z3
}

TEST_P(SqlSchedulingStoreTest, ARoomIsNotBookedTwice) {
  auto blue = Book(Booking("r1", 60, 120, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "blue"));
  ASSERT_TRUE(blue.ok()) << blue.status();
  auto clash = Book(Booking("r2", 90, 150, "dr-c", v1::APPOINTMENT_STATUS_BOOKED, "blue", {"cl-2"}));
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Named(clash.status()), "appointments/" + blue->appointment_id());
  EXPECT_TRUE(Book(Booking("r3", 90, 150, "dr-c", v1::APPOINTMENT_STATUS_BOOKED, "green", {"cl-2"})).ok());
  EXPECT_TRUE(Book(Booking("r4", 120, 180, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "blue", {"cl-3"})).ok());
  // Telehealth appointments (no room) share no room with each other.
  EXPECT_TRUE(Book(Booking("r5", 300, 360, "dr-b")).ok());
  EXPECT_TRUE(Book(Booking("r6", 300, 360, "dr-c")).ok());
  // A room change into a taken room is refused like a reschedule.
  auto moved = store_->UpdateAppointment(
      "c1", blue->appointment_id(),
      [](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
        AppointmentChange change{current, std::nullopt};
        change.updated.set_room("green");
        return change;
      },
      Entry("appointment.update"));
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetAppointment("c1", blue->appointment_id())->room(), "blue");
}

TEST_P(SqlSchedulingStoreTest, StatusesThatHoldNoTimeBlockNothing) {
  int slot = 0;
  for (AppointmentStatus status :
       {v1::APPOINTMENT_STATUS_CANCELLED, v1::APPOINTMENT_STATUS_NOSHOW,
        v1::APPOINTMENT_STATUS_ENTERED_IN_ERROR, v1::APPOINTMENT_STATUS_WAITLIST}) {
    const int from = slot * 240;
    ++slot;
    const std::string key = "free-" + std::to_string(slot);
    ASSERT_TRUE(Book(Booking(key + "a", from, from + 60, "dr-a", status, "blue")).ok()) << status;
    // A second one of the same kind on top of it, and a booked one: neither is held up.
    ASSERT_TRUE(Book(Booking(key + "b", from, from + 60, "dr-a", status, "blue")).ok()) << status;
    EXPECT_TRUE(Book(Booking(key + "c", from, from + 60, "dr-a", v1::APPOINTMENT_STATUS_BOOKED, "blue")).ok())
        << status;
  }
  // A waitlisted client's wish can sit on a booked slot, but cannot become booked while it is taken.
  auto wish = Book(Booking("wish", 0, 60, "dr-a", v1::APPOINTMENT_STATUS_WAITLIST));
  ASSERT_TRUE(wish.ok()) << wish.status();
  auto promoted = SetStatus(wish->appointment_id(), v1::APPOINTMENT_STATUS_BOOKED);
  EXPECT_EQ(promoted.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetAppointment("c1", wish->appointment_id())->status(), v1::APPOINTMENT_STATUS_WAITLIST);
  // Cancelling the booked one frees the slot for it.
  auto page = store_->ListAppointments(Filter("c1", "", "", At(0), At(1), {v1::APPOINTMENT_STATUS_BOOKED}),
                                       10, std::nullopt);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->appointments.size(), 1u);
  ASSERT_TRUE(SetStatus(page->appointments[0].appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED).ok());
  EXPECT_TRUE(SetStatus(wish->appointment_id(), v1::APPOINTMENT_STATUS_BOOKED).ok());
}

TEST_P(SqlSchedulingStoreTest, RescheduleIntoAConflictIsRefusedAndNothingChanges) {
  auto a = Book(Booking("a", 60, 120, "dr-b"));
  auto b = Book(Booking("b", 180, 240, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-2"}));
  ASSERT_TRUE(a.ok() && b.ok());
  const int64_t audit_rows = Count("audit_log");
  auto refused = Reschedule(b->appointment_id(), 90, 150);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Named(refused.status()), "appointments/" + a->appointment_id());
  auto unchanged = store_->GetAppointment("c1", b->appointment_id());
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(FromTs(unchanged->start_time()), At(180));
  EXPECT_EQ(FromTs(unchanged->end_time()), At(240));
  EXPECT_EQ(Count("audit_log"), audit_rows);
  // The stored protected interval did not move either: the old slot is still held, the wanted one free.
  EXPECT_EQ(Book(Booking("c", 200, 220, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-3"})).status().code(),
            absl::StatusCode::kAlreadyExists);
  // Into a free slot, back to back with `a`, and over its own old time: fine.
  auto moved = Reschedule(b->appointment_id(), 120, 180);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(FromTs(moved->start_time()), At(120));
  EXPECT_TRUE(Reschedule(b->appointment_id(), 150, 210).ok());
  // Another clinic cannot reschedule it.
  EXPECT_EQ(Reschedule(b->appointment_id(), 300, 360, "c2").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(SqlSchedulingStoreTest, ARetryReturnsTheFirstAppointmentAndAnotherBodyIsRefused) {
  NewAppointment first_try = Booking("retry-1", 60, 120);
  auto first = Book(first_try);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->telehealth_url(), kTelehealthUrl);
  const int64_t audit_rows = Count("audit_log");

  NewAppointment retry = Booking("retry-1", 60, 120);  // a new id, the same key and body
  auto second = Book(retry);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->appointment_id(), first->appointment_id());
  EXPECT_EQ(second->telehealth_url(), kTelehealthUrl);
  EXPECT_EQ(Count("appointments"), 1);
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);
  auto trail = audit_->List("c1", {}, 100, "");
  ASSERT_TRUE(trail.ok()) << trail.status();
  ASSERT_FALSE(trail->entries.empty());
  EXPECT_EQ(trail->entries.front().resource_id, first->appointment_id());  // newest first

  NewAppointment other_body = Booking("retry-1", 200, 260);
  other_body.request_hash = "another body";
  EXPECT_EQ(Book(other_body).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Count("appointments"), 1);
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);
  // The same key from another caller is another booking.
  NewAppointment other_caller = Booking("retry-1", 200, 260);
  other_caller.caller = "front-desk-2";
  EXPECT_TRUE(Book(other_caller).ok());
}

TEST_P(SqlSchedulingStoreTest, AnotherClinicsRecordsAreNotFound) {
  auto booked = Book(Booking("own", 60, 120));
  ASSERT_TRUE(booked.ok()) << booked.status();
  ASSERT_TRUE(store_->SetCareTeam("c1", "cl-1", {"dr-a"}, Entry("care_team.set")).ok());
  AddClinician("dr-x", 0, 0, "c2");
  AddClient("cl-x", "c2");
  const auto not_found = absl::StatusCode::kNotFound;
  const audit::AuditEntry c2 = Entry("any", "c2");

  EXPECT_EQ(store_->GetClinician("c2", "dr-a").status().code(), not_found);
  EXPECT_EQ(store_->GetAvailability("c2", "dr-a").status().code(), not_found);
  AvailabilityProto availability;
  availability.set_clinic_id("c2");
  availability.set_clinician_id("dr-a");
  EXPECT_EQ(store_->SetAvailability(availability, c2).status().code(), not_found);
  EXPECT_EQ(store_->GetClient("c2", "cl-1").status().code(), not_found);
  EXPECT_EQ(store_->SetCareTeam("c2", "cl-1", {"dr-x"}, c2).status().code(), not_found);
  EXPECT_FALSE(*store_->IsOnCareTeam("c2", "cl-1", "dr-a"));
  EXPECT_EQ(store_->GetAppointment("c2", booked->appointment_id()).status().code(), not_found);
  EXPECT_EQ(SetStatus(booked->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED).status().code(),
            absl::StatusCode::kOk);  // its own clinic can
  EXPECT_EQ(store_
                ->UpdateAppointment(
                    "c2", booked->appointment_id(),
                    [](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
                      return AppointmentChange{current, std::nullopt};
                    },
                    c2)
                .status()
                .code(),
            not_found);
  auto listed = store_->ListAppointments(Filter("c2"), 100, std::nullopt);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->appointments.empty());
  // Another clinic's clinician or client cannot be booked, supervise, partner or join a care team.
  auto cross_clinician =
      Book(Booking("x1", 60, 120, "dr-a", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-x"}, "c2"));
  EXPECT_EQ(cross_clinician.status().code(), not_found);
  EXPECT_NE(cross_clinician.status().message().find("clinician_id"), std::string::npos);
  auto cross_client =
      Book(Booking("x2", 60, 120, "dr-x", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-x", "cl-1"}, "c2"));
  EXPECT_EQ(cross_client.status().code(), not_found);
  EXPECT_NE(cross_client.status().message().find("client_ids[1]"), std::string::npos);
  ClinicianProto supervised;
  supervised.set_clinic_id("c2");
  supervised.set_clinician_id("dr-y");
  supervised.set_supervisor_id("dr-a");
  EXPECT_EQ(ViolatedFields(store_->UpsertClinician(supervised, c2).status()),
            std::vector<std::string>{"clinician.supervisor_id"});
  ClientProto partnered = Client("cl-y", "c2");
  partnered.set_partner_client_id("cl-1");
  EXPECT_EQ(ViolatedFields(store_->UpsertClient(partnered, c2).status()),
            std::vector<std::string>{"client.partner_client_id"});
  EXPECT_EQ(ViolatedFields(store_->SetCareTeam("c2", "cl-x", {"dr-x", "dr-a"}, c2).status()),
            std::vector<std::string>{"clinician_ids[1]"});
}

TEST_P(SqlSchedulingStoreTest, ReferencesAreChecked) {
  auto unknown_clinician = Book(Booking("u1", 60, 120, "dr-nobody"));
  EXPECT_EQ(unknown_clinician.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown_clinician.status().message().find("clinician_id"), std::string::npos);
  auto unknown_client =
      Book(Booking("u2", 60, 120, "dr-a", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-1", "cl-9"}));
  EXPECT_EQ(unknown_client.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown_client.status().message().find("client_ids[1]"), std::string::npos);
  EXPECT_EQ(Count("appointments"), 0);
  EXPECT_EQ(Count("idempotency_keys"), 0);  // a refused booking uses up no key

  ClinicianProto self = *store_->GetClinician("c1", "dr-b");
  self.set_supervisor_id("dr-b");
  EXPECT_EQ(ViolatedFields(store_->UpsertClinician(self, Entry("clinician.upsert")).status()),
            std::vector<std::string>{"clinician.supervisor_id"});
  self.set_supervisor_id("dr-a");
  auto supervised = store_->UpsertClinician(self, Entry("clinician.upsert"));
  ASSERT_TRUE(supervised.ok()) << supervised.status();
  EXPECT_EQ(store_->GetClinician("c1", "dr-b")->supervisor_id(), "dr-a");
  EXPECT_EQ(store_->GetClinician("c1", "dr-b")->buffer_before_minutes(), 0);

  ClientProto partner = Client("cl-2");
  partner.set_partner_client_id("cl-2");
  EXPECT_EQ(ViolatedFields(store_->UpsertClient(partner, Entry("client.upsert")).status()),
            std::vector<std::string>{"client.partner_client_id"});
  partner.set_partner_client_id("cl-3");
  EXPECT_EQ(store_->UpsertClient(partner, Entry("client.upsert"))->partner_client_id(), "cl-3");
  // A couple's appointment.
  EXPECT_TRUE(
      Book(Booking("couple", 60, 120, "dr-a", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-2", "cl-3"})).ok());

  AvailabilityProto availability;
  availability.set_clinic_id("c1");
  availability.set_clinician_id("dr-nobody");
  EXPECT_EQ(store_->SetAvailability(availability, Entry("availability.set")).status().code(),
            absl::StatusCode::kNotFound);
  auto empty = store_->GetAvailability("c1", "dr-c");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->clinician_id(), "dr-c");
  EXPECT_EQ(empty->working_hours_size(), 0);
  availability.set_clinician_id("dr-c");
  auto* hours = availability.add_working_hours();
  hours->set_weekday(1);
  hours->mutable_start()->set_hours(9);
  hours->mutable_end()->set_hours(17);
  ASSERT_TRUE(store_->SetAvailability(availability, Entry("availability.set")).ok());
  EXPECT_EQ(store_->GetAvailability("c1", "dr-c")->working_hours(0).end().hours(), 17);
}

TEST_P(SqlSchedulingStoreTest, AWriteWhoseAuditRowFailsIsRolledBack) {
  auto kept = Book(Booking("kept", 60, 120));
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_TRUE(store_->SetCareTeam("c1", "cl-1", {"dr-a"}, Entry("care_team.set")).ok());
  const int64_t appointments = Count("appointments");
  const int64_t keys = Count("idempotency_keys");
  BreakTheAuditTrail();

  EXPECT_FALSE(Book(Booking("lost", 200, 260)).ok());
  EXPECT_FALSE(Reschedule(kept->appointment_id(), 300, 360).ok());
  EXPECT_FALSE(SetStatus(kept->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED, kCancellationReason).ok());
  EXPECT_FALSE(store_->SetCareTeam("c1", "cl-1", {"dr-b"}, Entry("care_team.set")).ok());
  ClientProto renamed = Client("cl-1");
  renamed.set_time_zone("Asia/Tokyo");
  EXPECT_FALSE(store_->UpsertClient(renamed, Entry("client.upsert")).ok());
  ClinicianProto clinician = *store_->GetClinician("c1", "dr-c");
  clinician.set_time_zone("Asia/Tokyo");
  EXPECT_FALSE(store_->UpsertClinician(clinician, Entry("clinician.upsert")).ok());
  AvailabilityProto availability;
  availability.set_clinic_id("c1");
  availability.set_clinician_id("dr-c");
  availability.add_working_hours()->set_weekday(2);
  EXPECT_FALSE(store_->SetAvailability(availability, Entry("availability.set")).ok());

  EXPECT_EQ(Count("appointments"), appointments);
  EXPECT_EQ(Count("idempotency_keys"), keys);
  auto same = store_->GetAppointment("c1", kept->appointment_id());
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(FromTs(same->start_time()), At(60));
  EXPECT_EQ(same->status(), v1::APPOINTMENT_STATUS_BOOKED);
  EXPECT_TRUE(same->cancellation_reason().empty());
  EXPECT_EQ(store_->GetClient("c1", "cl-1")->time_zone(), "Europe/Berlin");
  EXPECT_EQ(Team(store_->GetClient("c1", "cl-1")), (std::vector<std::string>{"dr-a"}));
  EXPECT_EQ(store_->GetClinician("c1", "dr-c")->time_zone(), "Europe/Berlin");
  EXPECT_EQ(store_->GetAvailability("c1", "dr-c")->working_hours_size(), 0);

  RepairTheAuditTrail();
  // The key was not used up: the same booking goes through now.
  EXPECT_TRUE(Book(Booking("lost", 200, 260)).ok());
}

TEST_P(SqlSchedulingStoreTest, NoSensitiveTextIsStoredInTheClear) {
  auto booked = Book(Booking("sealed", 60, 120));
  ASSERT_TRUE(booked.ok()) << booked.status();
  auto cancelled = SetStatus(booked->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED, kCancellationReason);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  ASSERT_TRUE(store_->SetCareTeam("c1", "cl-1", {"dr-a"}, Entry("care_team.set")).ok());
  // The store gives all of it back.
  auto client = store_->GetClient("c1", "cl-1");
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(client->display_name(), kClientName);
  EXPECT_EQ(client->contacts(0).address(), kClientAddress);
  auto appointment = store_->GetAppointment("c1", booked->appointment_id());
  ASSERT_TRUE(appointment.ok());
  EXPECT_EQ(appointment->telehealth_url(), kTelehealthUrl);
  EXPECT_EQ(appointment->cancellation_reason(), kCancellationReason);

  auto raw = db_->Begin(db::TxMode::kRead);
  ASSERT_TRUE(raw.ok());
  for (const char* table : {"clinicians", "availability", "clients", "care_team", "appointments",
                            "idempotency_keys", "audit_log"}) {
    auto rows = raw->Execute(std::string("SELECT * FROM ") + table);
    ASSERT_TRUE(rows.ok()) << rows.status();
    for (const db::Row& row : *rows) {
      for (const db::Value& cell : row.values()) {
        std::string bytes = cell.AsText() ? *cell.AsText() : cell.AsBytes() ? cell.AsBytes()->data : "";
        for (const char* secret : {"Quillfeather", "quillfeather", "too unwell"}) {
          EXPECT_EQ(bytes.find(secret), std::string::npos) << table << " holds " << secret;
        }
      }
    }
  }
}

TEST_P(SqlSchedulingStoreTest, ListingPagesByStartThenIdWithFilters) {
  // Three at 10:00 (one per clinician, so the ties are broken by id), two later, one cancelled.
  std::vector<std::string> ids;
  auto add = [&](const NewAppointment& n) {
    auto booked = Book(n);
    ASSERT_TRUE(booked.ok()) << booked.status();
    ids.push_back(booked->appointment_id());
  };
  add(Booking("l1", 60, 120, "dr-c", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-1"}));
  add(Booking("l2", 60, 120, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-2", "cl-3"}));
  add(Booking("l3", 60, 120, "dr-a", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-3"}));
  add(Booking("l4", 180, 240, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-1"}));
  add(Booking("l5", 0, 30, "dr-b", v1::APPOINTMENT_STATUS_CANCELLED, "", {"cl-1"}));
  // Expected order: l5 (08:00... 09:00), then the three ties by id, then l4.
  std::vector<std::string> ties = {ids[0], ids[1], ids[2]};
  std::sort(ties.begin(), ties.end());
  const std::vector<std::string> expected = {ids[4], ties[0], ties[1], ties[2], ids[3]};

  std::vector<std::string> walked;
  std::optional<AppointmentCursor> cursor;
  int pages = 0;
  while (true) {
    auto page = store_->ListAppointments(Filter("c1"), 2, cursor);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const auto& a : page->appointments) walked.push_back(a.appointment_id());
    if (!page->more) break;
    const auto& last = page->appointments.back();
    cursor = AppointmentCursor{FromTs(last.start_time()), last.appointment_id()};
  }
  EXPECT_EQ(walked, expected);
  EXPECT_EQ(pages, 3);

  auto ids_of = [](const AppointmentPage& page) {
    std::vector<std::string> out;
    for (const auto& a : page.appointments) out.push_back(a.appointment_id());
    return out;
  };
  auto by_clinician = store_->ListAppointments(Filter("c1", "dr-b"), 10, std::nullopt);
  EXPECT_EQ(ids_of(*by_clinician), (std::vector<std::string>{ids[4], ids[1], ids[3]}));
  // The second client of a couple counts.
  auto by_client = store_->ListAppointments(Filter("c1", "", "cl-3"), 10, std::nullopt);
  std::vector<std::string> cl3 = {ids[1], ids[2]};
  std::sort(cl3.begin(), cl3.end());
  EXPECT_EQ(ids_of(*by_client), cl3);
  auto window = store_->ListAppointments(Filter("c1", "", "", At(60), At(180)), 10, std::nullopt);
  EXPECT_EQ(ids_of(*window), ties);
  auto cancelled =
      store_->ListAppointments(Filter("c1", "", "", std::nullopt, std::nullopt,
                                      {v1::APPOINTMENT_STATUS_CANCELLED, v1::APPOINTMENT_STATUS_NOSHOW}),
                               10, std::nullopt);
  EXPECT_EQ(ids_of(*cancelled), (std::vector<std::string>{ids[4]}));
  auto combined = store_->ListAppointments(
      Filter("c1", "dr-b", "cl-1", std::nullopt, std::nullopt, {v1::APPOINTMENT_STATUS_BOOKED}), 10,
      std::nullopt);
  EXPECT_EQ(ids_of(*combined), (std::vector<std::string>{ids[3]}));
  // A listing shows the sealed fields too (the service decides what to return).
  EXPECT_EQ(by_clinician->appointments[0].telehealth_url(), kTelehealthUrl);
  EXPECT_EQ(store_->ListAppointments(Filter("c1"), 0, std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListAppointments(Filter("c1"), 1001, std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(SqlSchedulingStoreTest, CareTeamIsSetReplacedAndChecked) {
  EXPECT_FALSE(*store_->IsOnCareTeam("c1", "cl-1", "dr-a"));
  auto set = store_->SetCareTeam("c1", "cl-1", {"dr-c", "dr-a", "dr-c"}, Entry("care_team.set"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(Team(set), (std::vector<std::string>{"dr-a", "dr-c"}));
  EXPECT_TRUE(*store_->IsOnCareTeam("c1", "cl-1", "dr-a"));
  EXPECT_FALSE(*store_->IsOnCareTeam("c1", "cl-1", "dr-b"));
  EXPECT_FALSE(*store_->IsOnCareTeam("c1", "cl-2", "dr-a"));
  EXPECT_FALSE(*store_->IsOnCareTeam("c1", "cl-nobody", "dr-a"));

  // Rewriting the client's record keeps the team, whatever the record says about it.
  ClientProto again = Client("cl-1");
  again.add_care_team("dr-b");
  auto upserted = store_->UpsertClient(again, Entry("client.upsert"));
  ASSERT_TRUE(upserted.ok()) << upserted.status();
  EXPECT_EQ(Team(upserted), (std::vector<std::string>{"dr-a", "dr-c"}));
  EXPECT_EQ(Team(store_->GetClient("c1", "cl-1")), (std::vector<std::string>{"dr-a", "dr-c"}));
  EXPECT_FALSE(*store_->IsOnCareTeam("c1", "cl-1", "dr-b"));

  auto replaced = store_->SetCareTeam("c1", "cl-1", {"dr-b"}, Entry("care_team.set"));
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(Team(replaced), (std::vector<std::string>{"dr-b"}));
  EXPECT_FALSE(*store_->IsOnCareTeam("c1", "cl-1", "dr-a"));
  EXPECT_TRUE(*store_->IsOnCareTeam("c1", "cl-1", "dr-b"));

  auto unknown =
      store_->SetCareTeam("c1", "cl-1", {"dr-a", "dr-nobody", "dr-b", "dr-ghost"}, Entry("care_team.set"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedFields(unknown.status()),
            (std::vector<std::string>{"clinician_ids[1]", "clinician_ids[3]"}));
  EXPECT_EQ(Team(store_->GetClient("c1", "cl-1")), (std::vector<std::string>{"dr-b"}));
  EXPECT_EQ(store_->SetCareTeam("c1", "cl-nobody", {"dr-a"}, Entry("care_team.set")).status().code(),
            absl::StatusCode::kNotFound);
  std::vector<std::string> too_many(kMaxCareTeamSize + 1, "dr-a");
  EXPECT_EQ(store_->SetCareTeam("c1", "cl-1", too_many, Entry("care_team.set")).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto emptied = store_->SetCareTeam("c1", "cl-1", {}, Entry("care_team.set"));
  ASSERT_TRUE(emptied.ok());
  EXPECT_TRUE(emptied->care_team().empty());
}

// ---- Follow-up calls (reminders) through the outbox ----

TEST_P(SqlSchedulingStoreTest, ABookingEnqueuesItsRemindersAndARetryEnqueuesNothingMore) {
  PlanReminders();
  const NewAppointment booking = Booking("r1", 60, 110);
  auto booked = Book(booking);
  ASSERT_TRUE(booked.ok()) << booked.status();
  std::vector<db::OutboxRow> rows = OutboxRows();
  ASSERT_EQ(Methods(),
            (std::vector<std::string>{"RegisterTemplate", "ScheduleReminder", "ScheduleReminder"}));
  for (const db::OutboxRow& row : rows) {
    EXPECT_EQ(row.clinic_id, "c1");
    EXPECT_EQ(row.ordering_key, "reminders/c1");
    EXPECT_EQ(row.state, db::OutboxState::kPending);
  }
  EXPECT_EQ(rows[0].target, "/tandem.reminders.v1.ReminderService/RegisterTemplate");
  EXPECT_EQ(Parsed<TemplateRequest>(rows[0]).template_().clinic_id(), "c1");
  const ScheduleRequest day_before = Parsed<ScheduleRequest>(rows[1]);
  EXPECT_EQ(rows[1].target, "/tandem.reminders.v1.ReminderService/ScheduleReminder");
  EXPECT_EQ(day_before.owner_ref(), "appointment/" + booked->appointment_id());
  EXPECT_EQ(day_before.owner_generation(), 1);
  EXPECT_EQ(day_before.recipient(), kClientAddress);
  EXPECT_EQ(FromTs(day_before.due_time()), At(60) - absl::Hours(24));
  EXPECT_EQ(FromTs(Parsed<ScheduleRequest>(rows[2]).due_time()), At(60) - absl::Hours(2));

  // The payloads hold the client's address: sealed at rest like the records.
  {
    auto raw = db_->Begin(db::TxMode::kRead);
    ASSERT_TRUE(raw.ok());
    auto payloads = raw->Execute("SELECT payload FROM outbox");
    ASSERT_TRUE(payloads.ok()) << payloads.status();
    for (const db::Row& row : *payloads) {
      EXPECT_EQ(row.GetBytes("payload")->find("quillfeather"), std::string::npos);
    }
  }

  // A retry returns the first appointment and enqueues nothing.
  auto retried = Book(booking);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->appointment_id(), booked->appointment_id());
  EXPECT_EQ(OutboxRows().size(), 3u);

  // The clinic's template went out with its first reminders: later bookings send reminders alone.
  ASSERT_TRUE(Book(Booking("r2", 200, 250, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-2"})).ok());
  EXPECT_EQ(Methods(3), (std::vector<std::string>{"ScheduleReminder", "ScheduleReminder"}));
  // Another clinic gets its own template, under its own ordering key.
  AddClinician("dr-x", 0, 0, "c2");
  AddClient("cl-x", "c2");
  ASSERT_TRUE(Book(Booking("x1", 60, 110, "dr-x", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-x"}, "c2")).ok());
  rows = OutboxRows();
  ASSERT_EQ(Methods(5),
            (std::vector<std::string>{"RegisterTemplate", "ScheduleReminder", "ScheduleReminder"}));
  for (size_t i = 5; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].clinic_id, "c2");
    EXPECT_EQ(rows[i].ordering_key, "reminders/c2");
  }
  EXPECT_EQ(Count("follow_up_once"), 2);
  // An appointment booked onto the waitlist holds no reminders.
  ASSERT_TRUE(Book(Booking("w1", 400, 450, "dr-c", v1::APPOINTMENT_STATUS_WAITLIST)).ok());
  EXPECT_EQ(OutboxRows().size(), 8u);
}

TEST_P(SqlSchedulingStoreTest, ARefusedOrUnauditedWriteLeavesNoOutboxRow) {
  PlanReminders();
  auto kept = Book(Booking("kept", 60, 110));
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(OutboxRows().size(), 3u);
  // Refused: a conflict, an unknown client, a reschedule onto taken time.
  ASSERT_TRUE(Book(Booking("other", 300, 350, "dr-a", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-2"})).ok());
  ASSERT_EQ(OutboxRows().size(), 5u);
  EXPECT_EQ(Book(Booking("clash", 70, 120)).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      Book(Booking("ghost", 500, 550, "dr-a", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-9"})).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(Move(kept->appointment_id(), 300, 350).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(OutboxRows().size(), 5u);

  // The audit row fails: the change, its reminders and the clinic's once-row all roll back.
  AddClinician("dr-x", 0, 0, "c2");
  AddClient("cl-x", "c2");
  BreakTheAuditTrail();
  EXPECT_FALSE(Book(Booking("lost", 200, 250)).ok());
  EXPECT_FALSE(Book(Booking("x1", 60, 110, "dr-x", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-x"}, "c2")).ok());
  EXPECT_FALSE(Move(kept->appointment_id(), 600, 650).ok());
  EXPECT_FALSE(SetStatus(kept->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED).ok());
  ClientProto changed = Client("cl-1");
  changed.mutable_reminders()->set_opted_out(true);
  EXPECT_FALSE(store_->UpsertClient(changed, Entry("client.upsert")).ok());
  EXPECT_EQ(OutboxRows().size(), 5u);
  EXPECT_EQ(Count("follow_up_once"), 1);
  EXPECT_EQ(store_->GetAppointment("c1", kept->appointment_id())->revision(), 1);
  RepairTheAuditTrail();

  // The other clinic's first booking now sends its template after all.
  ASSERT_TRUE(Book(Booking("x1", 60, 110, "dr-x", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-x"}, "c2")).ok());
  EXPECT_EQ(Methods(5),
            (std::vector<std::string>{"RegisterTemplate", "ScheduleReminder", "ScheduleReminder"}));
}

TEST_P(SqlSchedulingStoreTest, ChangesOfAnAppointmentEnqueueCancelsAndTheNextGeneration) {
  PlanReminders();
  auto booked = Book(Booking("m1", 60, 110));
  ASSERT_TRUE(booked.ok()) << booked.status();
  const std::string owner = "appointment/" + booked->appointment_id();
  auto moved = Move(booked->appointment_id(), 240, 290);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->revision(), 2);
  std::vector<db::OutboxRow> rows = OutboxRows();
  ASSERT_EQ(Methods(3),
            (std::vector<std::string>{"CancelReminders", "ScheduleReminder", "ScheduleReminder"}));
  const CancelRequest older = Parsed<CancelRequest>(rows[3]);
  EXPECT_EQ(older.owner_ref(), owner);
  EXPECT_EQ(older.before_generation(), 2);
  const ScheduleRequest rescheduled = Parsed<ScheduleRequest>(rows[4]);
  EXPECT_EQ(rescheduled.owner_generation(), 2);
  EXPECT_EQ(FromTs(rescheduled.due_time()), At(240) - absl::Hours(24));
  EXPECT_EQ(rows[4].ordering_key, "reminders/c1");

  // Cancelled: one call stops every unsent reminder.
  ASSERT_TRUE(SetStatus(booked->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED).ok());
  rows = OutboxRows();
  ASSERT_EQ(Methods(6), (std::vector<std::string>{"CancelReminders"}));
  EXPECT_EQ(Parsed<CancelRequest>(rows[6]).before_generation(), 0);
  EXPECT_EQ(Parsed<CancelRequest>(rows[6]).owner_ref(), owner);
}

TEST_P(SqlSchedulingStoreTest, AClientsNewContactDetailsReviseTheirUpcomingBookedAppointmentsOnly) {
  PlanReminders();
  // Past by the time the client changes: 08:00 on the day. Upcoming: 19:00. Cancelled: 14:00. Someone
  // else's: 19:00 with dr-b.
  auto past = Book(Booking("past", -60, -10, "dr-c"));
  auto upcoming = Book(Booking("upcoming", 600, 650));
  auto cancelled = Book(Booking("cancelled", 300, 350, "dr-b"));
  auto others = Book(Booking("others", 600, 650, "dr-b", v1::APPOINTMENT_STATUS_BOOKED, "", {"cl-2"}));
  ASSERT_TRUE(past.ok() && upcoming.ok() && cancelled.ok() && others.ok());
  ASSERT_TRUE(SetStatus(cancelled->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED).ok());
  clock_.Set(At(0));
  const size_t before = OutboxRows().size();

  // A new client has no appointments to revise.
  ASSERT_TRUE(store_->UpsertClient(Client("cl-new"), Entry("client.upsert")).ok());
  EXPECT_EQ(OutboxRows().size(), before);

  ClientProto changed = Client("cl-1");
  changed.mutable_reminders()->add_offsets_minutes(30);
  auto upserted = store_->UpsertClient(changed, Entry("client.upsert"));
  ASSERT_TRUE(upserted.ok()) << upserted.status();
  EXPECT_EQ(store_->GetAppointment("c1", upcoming->appointment_id())->revision(), 2);
  EXPECT_EQ(store_->GetAppointment("c1", past->appointment_id())->revision(), 1);
  EXPECT_EQ(store_->GetAppointment("c1", cancelled->appointment_id())->revision(), 1);
  EXPECT_EQ(store_->GetAppointment("c1", others->appointment_id())->revision(), 1);
  std::vector<db::OutboxRow> rows = OutboxRows();
  ASSERT_EQ(Methods(before), (std::vector<std::string>{"CancelReminders", "ScheduleReminder"}));
  const std::string owner = "appointment/" + upcoming->appointment_id();
  EXPECT_EQ(Parsed<CancelRequest>(rows[before]).owner_ref(), owner);
  EXPECT_EQ(Parsed<CancelRequest>(rows[before]).before_generation(), 2);
  const ScheduleRequest revised = Parsed<ScheduleRequest>(rows[before + 1]);
  EXPECT_EQ(revised.owner_ref(), owner);
  EXPECT_EQ(revised.owner_generation(), 2);
  EXPECT_EQ(FromTs(revised.due_time()), At(600) - absl::Minutes(30));

  // Opting out: the next revision, and a cancel with nothing to schedule.
  changed.mutable_reminders()->set_opted_out(true);
  ASSERT_TRUE(store_->UpsertClient(changed, Entry("client.upsert")).ok());
  EXPECT_EQ(store_->GetAppointment("c1", upcoming->appointment_id())->revision(), 3);
  rows = OutboxRows();
  ASSERT_EQ(Methods(before + 2), (std::vector<std::string>{"CancelReminders"}));
  EXPECT_EQ(Parsed<CancelRequest>(rows[before + 2]).before_generation(), 3);
  EXPECT_EQ(Parsed<CancelRequest>(rows[before + 2]).owner_ref(), owner);
}

INSTANTIATE_TEST_SUITE_P(Stores, SqlSchedulingStoreTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace tandem::scheduling
