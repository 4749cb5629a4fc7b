// The waitlist through the scheduling gRPC API in process, on SQLite and PostgreSQL, with a fake clock and
// the WaitlistWorker stepped by hand: a cancelled slot is held for the first waiting client whose windows
// hold it, declined or lapsed holds go to the next client and never back, the first to accept books it, and
// a hold keeps the slot from everyone else while it lasts. Then who may do what, and bad input.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "services/scheduling/api/scheduling_app.h"
#include "services/scheduling/api/scheduling_service.h"
#include "services/scheduling/api/waitlist_worker.h"
#include "services/scheduling/domain/appointment_reminders.h"
#include "services/scheduling/domain/proto_time.h"
#include "services/scheduling/store/sql_scheduling_store.h"
#include "tandem/scheduling/v1/scheduling.grpc.pb.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/support/rpc_expectations.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;
using tandem::testing::PersonToken;
using tandem::testing::ServiceFixture;
using tandem::testing::ViolatedFields;
using ::testing::UnorderedElementsAre;

constexpr char kClinic[] = "c1";

// The scheduling service as BuildScheduling assembles it, but on a fake clock and with its waitlist worker
// left stopped, so the test decides when the worker runs and what time it is.
struct WaitlistParts final : service::ServiceParts {
  std::unique_ptr<AppointmentReminderPlanner> planner;
  std::unique_ptr<SqlSchedulingStore> store;
  std::unique_ptr<WaitlistWorker> worker;
  std::unique_ptr<SchedulingService> api;
};

class WaitlistTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // 09:00 UTC tomorrow: the slots of the tests fall inside one UTC day, whatever the hour of the run.
    clock_.Set(absl::FromCivil(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 1, absl::UTCTimeZone()) +
               absl::Hours(9));
    tandem::testing::ServiceFixtureOptions options;
    if (GetParam() == "postgres") {
      auto url = tandem::testing::NewTestDatabaseUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      options.db_url = *url;
    }
    auto build = [this](service::Runtime& runtime) -> absl::StatusOr<std::unique_ptr<service::ServiceParts>> {
      auto parts = std::make_unique<WaitlistParts>();
      parts->planner = std::make_unique<AppointmentReminderPlanner>(clock_, std::nullopt);
      parts->store = std::make_unique<SqlSchedulingStore>(runtime.database(), runtime.cipher(),
                                                          runtime.audit(), clock_, parts->planner.get());
      parts->worker = std::make_unique<WaitlistWorker>(*parts->store, clock_);
      SchedulingServiceDeps deps;
      deps.store = parts->store.get();
      deps.verifier = &runtime.verifier();
      deps.audit = &runtime.audit();
      deps.workers = &runtime.workers();
      deps.clock = &clock_;
      parts->api = std::make_unique<SchedulingService>(std::move(deps));
      runtime.AddService(parts->api.get(), parts->api->rules());
      worker_ = parts->worker.get();
      return parts;
    };
    auto fixture = ServiceFixture::Start(SchedulingDefinition(), build, options);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = *std::move(fixture);
    stub_ = v1::SchedulingService::NewStub(fixture_->channel());
    SeedRoster();
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = ServiceFixture::Context(token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }
  static std::string Admin() { return PersonToken("admin", "a1", kClinic); }
  static std::string Desk() { return PersonToken("front_desk", "f1", kClinic); }
  static std::string Client(const std::string& id) { return PersonToken("client", id, kClinic); }
  static std::string Clinician(const std::string& id) { return PersonToken("clinician", id, kClinic); }

  // cl1 (self-booking on) and cl2 (off), UTC, working all day every day; clients k1..k5 on cl1's care team,
  // k5 also on cl2's.
  void SeedRoster() {
    for (const std::string id : {"cl1", "cl2"}) {
      v1::UpsertClinicianRequest request;
      v1::Clinician& c = *request.mutable_clinician();
      c.set_clinic_id(kClinic);
      c.set_clinician_id(id);
      c.set_display_name(absl::StrCat("Clinician ", id));
      c.set_time_zone("UTC");
      c.set_self_booking_allowed(id == "cl1");
      v1::Clinician out;
      ASSERT_TRUE(stub_->UpsertClinician(Context(Admin()).get(), request, &out).ok());
      v1::SetAvailabilityRequest hours;
      hours.mutable_availability()->set_clinic_id(kClinic);
      hours.mutable_availability()->set_clinician_id(id);
      for (int weekday = 1; weekday <= 7; ++weekday) {
        v1::WorkingInterval* w = hours.mutable_availability()->add_working_hours();
        w->set_weekday(weekday);
        w->mutable_start();
        w->set_until_midnight(true);
      }
      v1::Availability availability;
      ASSERT_TRUE(stub_->SetAvailability(Context(Admin()).get(), hours, &availability).ok());
    }
    for (const std::string id : {"k1", "k2", "k3", "k4", "k5"}) {
      v1::UpsertClientRequest request;
      v1::Client& k = *request.mutable_client();
      k.set_clinic_id(kClinic);
      k.set_client_id(id);
      k.set_display_name(absl::StrCat("Client ", id));
      k.set_time_zone("UTC");
      v1::Client out;
      ASSERT_TRUE(stub_->UpsertClient(Context(Admin()).get(), request, &out).ok());
      v1::SetCareTeamRequest team;
      team.set_clinic_id(kClinic);
      team.set_client_id(id);
      team.add_clinician_ids("cl1");
      if (id == "k5") team.add_clinician_ids("cl2");
      ASSERT_TRUE(stub_->SetCareTeam(Context(Admin()).get(), team, &out).ok());
    }
  }

  // Windows on the weekday of `day_of` (UTC), from `from_hour` to `to_hour`.
  static v1::JoinWaitlistRequest JoinRequest(const std::string& client, absl::Time day_of, int from_hour,
                                             int to_hour, const std::string& clinician = "cl1") {
    v1::JoinWaitlistRequest request;
    v1::WaitlistEntry& e = *request.mutable_entry();
    e.set_clinic_id(kClinic);
    e.set_client_id(client);
    e.set_clinician_id(clinician);
    e.set_modality(v1::MODALITY_TELEHEALTH);
    v1::WorkingInterval* w = e.add_windows();
    w->set_weekday(static_cast<int>(absl::GetWeekday(absl::ToCivilDay(day_of, absl::UTCTimeZone()))) + 1);
    w->mutable_start()->set_hours(from_hour);
    w->mutable_end()->set_hours(to_hour);
    return request;
  }

  v1::WaitlistEntry MustJoin(const v1::JoinWaitlistRequest& request, const std::string& token = Admin()) {
    v1::WaitlistEntry out;
    grpc::Status status = stub_->JoinWaitlist(Context(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    clock_.Advance(absl::Seconds(1));  // join times order the queue
    return out;
  }

  v1::Appointment MustBook(const std::string& client, absl::Time start,
                           const std::string& clinician = "cl1") {
    v1::BookAppointmentRequest request;
    request.set_clinic_id(kClinic);
    request.set_idempotency_key(absl::StrCat("book-", client, "-", absl::ToUnixSeconds(start), clinician));
    request.set_clinician_id(clinician);
    request.add_client_ids(client);
    *request.mutable_start_time() = ToProto(start);
    *request.mutable_end_time() = ToProto(start + absl::Minutes(50));
    request.set_modality(v1::MODALITY_TELEHEALTH);
    v1::Appointment out;
    grpc::Status status = stub_->BookAppointment(Context(Desk()).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  grpc::Status Cancel(const std::string& appointment_id, const std::string& token = Desk()) {
    v1::CancelAppointmentRequest request;
    request.set_clinic_id(kClinic);
    request.set_appointment_id(appointment_id);
    v1::Appointment out;
    return stub_->CancelAppointment(Context(token).get(), request, &out);
  }

  v1::WaitlistEntry Entry(const std::string& client, const std::string& clinician = "cl1") {
    v1::ListWaitlistRequest request;
    request.set_clinic_id(kClinic);
    request.set_clinician_id(clinician);
    request.set_client_id(client);
    request.set_include_closed(true);
    v1::ListWaitlistResponse out;
    grpc::Status status = stub_->ListWaitlist(Context(Admin()).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(out.entries_size(), 1);
    return out.entries_size() > 0 ? out.entries(0) : v1::WaitlistEntry();
  }

  v1::Appointment Get(const std::string& appointment_id) {
    v1::GetAppointmentRequest request;
    request.set_clinic_id(kClinic);
    request.set_appointment_id(appointment_id);
    v1::Appointment out;
    EXPECT_TRUE(stub_->GetAppointment(Context(Admin()).get(), request, &out).ok());
    return out;
  }

  grpc::Status Accept(const std::string& hold_id, const std::string& token, v1::Appointment* out = nullptr) {
    v1::AcceptWaitlistOfferRequest request;
    request.set_clinic_id(kClinic);
    request.set_appointment_id(hold_id);
    v1::Appointment response;
    return stub_->AcceptWaitlistOffer(Context(token).get(), request, out != nullptr ? out : &response);
  }

  grpc::Status Decline(const std::string& hold_id, const std::string& token) {
    v1::DeclineWaitlistOfferRequest request;
    request.set_clinic_id(kClinic);
    request.set_appointment_id(hold_id);
    v1::Appointment response;
    return stub_->DeclineWaitlistOffer(Context(token).get(), request, &response);
  }

  WaitlistPass Step() {
    absl::StatusOr<WaitlistPass> pass = worker_->RunOnce();
    EXPECT_TRUE(pass.ok()) << pass.status();
    return pass.ok() ? *pass : WaitlistPass{};
  }

  // Three clients wait for cl1 on the weekday of `slot_`: k1 only early in the morning (the slot is not in
  // their window), then k2 and k3 in the slot's hours. k4's appointment in the slot is cancelled.
  void WaitAndCancel() {
    slot_ = clock_.Now() + absl::Hours(48) + absl::Hours(1);  // 10:00
    MustJoin(JoinRequest("k1", slot_, 5, 7));
    MustJoin(JoinRequest("k2", slot_, 8, 18));
    MustJoin(JoinRequest("k3", slot_, 8, 18));
    cancelled_ = MustBook("k4", slot_).appointment_id();
    grpc::Status status = Cancel(cancelled_);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  FakeClock clock_;
  WaitlistWorker* worker_ = nullptr;
  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  absl::Time slot_;
  std::string cancelled_;
};

TEST_P(WaitlistTest, ACancelledSlotIsHeldForTheFirstWaitingClientWhoseWindowsHoldIt) {
  WaitAndCancel();
  WaitlistPass pass = Step();
  EXPECT_EQ(pass.offered, 1);

  const v1::WaitlistEntry k2 = Entry("k2");
  ASSERT_EQ(k2.status(), v1::WAITLIST_STATUS_OFFERED);
  EXPECT_EQ(Entry("k1").status(), v1::WAITLIST_STATUS_WAITING);  // first in line, but not at that hour
  EXPECT_EQ(Entry("k3").status(), v1::WAITLIST_STATUS_WAITING);
  const v1::Appointment hold = Get(k2.offer_appointment_id());
  EXPECT_EQ(hold.status(), v1::APPOINTMENT_STATUS_PROPOSED);
  EXPECT_THAT(hold.client_ids(), ::testing::ElementsAre("k2"));
  EXPECT_EQ(FromProto(hold.start_time()), slot_);
  EXPECT_EQ(FromProto(hold.hold_expire_time()), clock_.Now() + kDefaultWaitlistHold);
  EXPECT_EQ(hold.waitlist_entry_id(), k2.entry_id());

  // While it is held nobody else gets the slot.
  v1::BookAppointmentRequest request;
  request.set_clinic_id(kClinic);
  request.set_idempotency_key("take-the-held-slot");
  request.set_clinician_id("cl1");
  request.add_client_ids("k5");
  *request.mutable_start_time() = ToProto(slot_);
  *request.mutable_end_time() = ToProto(slot_ + absl::Minutes(50));
  request.set_modality(v1::MODALITY_TELEHEALTH);
  v1::Appointment out;
  EXPECT_EQ(stub_->BookAppointment(Context(Desk()).get(), request, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // A second pass finds nothing more to do.
  pass = Step();
  EXPECT_EQ(pass.offered, 0);
  EXPECT_EQ(pass.expired, 0);
}

TEST_P(WaitlistTest, ADeclinedOrLapsedHoldGoesToTheNextClientAndNeverBack) {
  WaitAndCancel();
  Step();
  const std::string first_hold = Entry("k2").offer_appointment_id();
  grpc::Status status = Decline(first_hold, Client("k2"));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Get(first_hold).status(), v1::APPOINTMENT_STATUS_CANCELLED);
  EXPECT_EQ(Entry("k2").status(), v1::WAITLIST_STATUS_WAITING);  // still waiting for another slot

  EXPECT_EQ(Step().offered, 1);
  const v1::WaitlistEntry k3 = Entry("k3");
  ASSERT_EQ(k3.status(), v1::WAITLIST_STATUS_OFFERED);
  // k3 lets the hold lapse: it is cancelled, and the slot is offered to nobody, since k2 and k3 had it.
  clock_.Advance(kDefaultWaitlistHold);
  const WaitlistPass pass = Step();
  EXPECT_EQ(pass.expired, 1);
  EXPECT_EQ(pass.offered, 0);
  EXPECT_EQ(Get(k3.offer_appointment_id()).status(), v1::APPOINTMENT_STATUS_CANCELLED);
  EXPECT_EQ(Entry("k3").status(), v1::WAITLIST_STATUS_WAITING);
  EXPECT_EQ(Accept(k3.offer_appointment_id(), Client("k3")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The slot is free again.
  EXPECT_FALSE(MustBook("k5", slot_).appointment_id().empty());
}

TEST_P(WaitlistTest, TheClientWhoAcceptsGetsTheSlotOnce) {
  WaitAndCancel();
  Step();
  const std::string hold_id = Entry("k2").offer_appointment_id();
  // Another client cannot answer it: to them it does not exist.
  EXPECT_EQ(Accept(hold_id, Client("k3")).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::Appointment booked;
  grpc::Status status = Accept(hold_id, Client("k2"), &booked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(booked.status(), v1::APPOINTMENT_STATUS_BOOKED);
  EXPECT_FALSE(booked.has_hold_expire_time());
  EXPECT_EQ(booked.revision(), 2);
  EXPECT_EQ(Entry("k2").status(), v1::WAITLIST_STATUS_BOOKED);
  EXPECT_EQ(Accept(hold_id, Client("k2")).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Decline(hold_id, Client("k2")).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Not a waitlist offer at all.
  EXPECT_EQ(Accept(MustBook("k5", slot_ + absl::Hours(2)).appointment_id(), Desk()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Nothing lapses afterwards.
  clock_.Advance(kDefaultWaitlistHold * 2);
  EXPECT_EQ(Step().expired, 0);
  EXPECT_EQ(Get(hold_id).status(), v1::APPOINTMENT_STATUS_BOOKED);
}

TEST_P(WaitlistTest, AnOfferCannotBeAcceptedAfterItsHoldEndsNorMovedNorLeftWhileHeld) {
  WaitAndCancel();
  Step();
  const v1::WaitlistEntry k2 = Entry("k2");
  v1::RescheduleAppointmentRequest move;
  move.set_clinic_id(kClinic);
  move.set_appointment_id(k2.offer_appointment_id());
  *move.mutable_start_time() = ToProto(slot_ + absl::Hours(3));
  *move.mutable_end_time() = ToProto(slot_ + absl::Hours(3) + absl::Minutes(50));
  v1::Appointment out;
  EXPECT_EQ(stub_->RescheduleAppointment(Context(Desk()).get(), move, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::LeaveWaitlistRequest leave;
  leave.set_clinic_id(kClinic);
  leave.set_entry_id(k2.entry_id());
  v1::WaitlistEntry left;
  EXPECT_EQ(stub_->LeaveWaitlist(Context(Client("k2")).get(), leave, &left).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  clock_.Advance(kDefaultWaitlistHold);
  EXPECT_EQ(Accept(k2.offer_appointment_id(), Client("k2")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Once the hold is over, k2 may leave.
  Step();
  grpc::Status status = stub_->LeaveWaitlist(Context(Client("k2")).get(), leave, &left);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(left.status(), v1::WAITLIST_STATUS_LEFT);
}

TEST_P(WaitlistTest, AHoldNeverOutlastsTheSlotsStart) {
  slot_ = clock_.Now() + absl::Minutes(30);
  MustJoin(JoinRequest("k2", slot_, 8, 18));
  ASSERT_TRUE(Cancel(MustBook("k4", slot_).appointment_id()).ok());
  EXPECT_EQ(Step().offered, 1);
  EXPECT_EQ(FromProto(Get(Entry("k2").offer_appointment_id()).hold_expire_time()), slot_);
}

TEST_P(WaitlistTest, WhoMayJoinListAndAnswer) {
  const absl::Time day = clock_.Now() + absl::Hours(48);
  v1::WaitlistEntry out;
  // A client joins for themselves only, and only where they may book themselves.
  EXPECT_EQ(
      stub_->JoinWaitlist(Context(Client("k1")).get(), JoinRequest("k2", day, 8, 18), &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->JoinWaitlist(Context(Client("k5")).get(), JoinRequest("k5", day, 8, 18, "cl2"), &out)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  const v1::WaitlistEntry own = MustJoin(JoinRequest("k1", day, 8, 18), Client("k1"));
  EXPECT_EQ(own.status(), v1::WAITLIST_STATUS_WAITING);
  EXPECT_EQ(own.time_zone(), "UTC");  // the client's zone when none is named
  // Once per client and clinician.
  EXPECT_EQ(
      stub_->JoinWaitlist(Context(Client("k1")).get(), JoinRequest("k1", day, 9, 10), &out).error_code(),
      grpc::StatusCode::ALREADY_EXISTS);
  // A clinician adds their own care-team clients to their own list.
  EXPECT_EQ(stub_->JoinWaitlist(Context(Clinician("cl2")).get(), JoinRequest("k2", day, 8, 18, "cl2"), &out)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      stub_->JoinWaitlist(Context(Clinician("cl2")).get(), JoinRequest("k2", day, 8, 18), &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  MustJoin(JoinRequest("k5", day, 8, 18, "cl2"), Clinician("cl2"));

  v1::ListWaitlistRequest list;
  list.set_clinic_id(kClinic);
  list.set_clinician_id("cl1");
  v1::ListWaitlistResponse listed;
  EXPECT_EQ(stub_->ListWaitlist(Context(Clinician("cl2")).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListWaitlist(Context(Client("k1")).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ListWaitlist(Context(Clinician("cl1")).get(), list, &listed).ok());
  ASSERT_EQ(listed.entries_size(), 1);
  EXPECT_EQ(listed.entries(0).client_id(), "k1");
  list.clear_clinician_id();
  list.set_client_id("k1");
  ASSERT_TRUE(stub_->ListWaitlist(Context(Client("k1")).get(), list, &listed).ok());

  // Another client's entry is not there for them; their own they may leave.
  v1::LeaveWaitlistRequest leave;
  leave.set_clinic_id(kClinic);
  leave.set_entry_id(own.entry_id());
  v1::WaitlistEntry left;
  EXPECT_EQ(stub_->LeaveWaitlist(Context(Client("k2")).get(), leave, &left).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->LeaveWaitlist(Context(PersonToken("admin", "a9", "c2")).get(), leave, &left).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->LeaveWaitlist(Context(Client("k1")).get(), leave, &left).ok());
  EXPECT_EQ(stub_->LeaveWaitlist(Context(Client("k1")).get(), leave, &left).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Every refusal above was audited as denied.
  int denied = 0;
  for (const audit::AuditEntry& row : fixture_->AuditRows(kClinic)) denied += row.outcome == "denied";
  EXPECT_GE(denied, 6);
}

TEST_P(WaitlistTest, BadInputNamesEachFieldAndWritesNothing) {
  v1::JoinWaitlistRequest request = JoinRequest("k1", clock_.Now(), 18, 8);
  request.mutable_entry()->set_client_id("");
  request.mutable_entry()->set_time_zone("Mars/Olympus_Mons");
  request.mutable_entry()->set_modality(v1::MODALITY_UNSPECIFIED);
  request.mutable_entry()->add_windows()->set_weekday(9);
  v1::WaitlistEntry out;
  grpc::Status status = stub_->JoinWaitlist(Context(Admin()).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              UnorderedElementsAre("entry.client_id", "entry.windows[0].end", "entry.windows[1].weekday",
                                   "entry.windows[1].start", "entry.windows[1].end", "entry.time_zone",
                                   "entry.modality"));
  v1::ListWaitlistRequest list;
  list.set_clinic_id(kClinic);
  v1::ListWaitlistResponse listed;
  status = stub_->ListWaitlist(Context(Admin()).get(), list, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("clinician_id"));
  list.set_client_id("k1");
  ASSERT_TRUE(stub_->ListWaitlist(Context(Admin()).get(), list, &listed).ok());
  EXPECT_EQ(listed.entries_size(), 0);
  EXPECT_EQ(Accept("", Admin()).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Decline("not an id!", Admin()).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Accept("00000000-0000-7000-8000-000000000000", Admin()).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

INSTANTIATE_TEST_SUITE_P(Stores, WaitlistTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace tandem::scheduling
