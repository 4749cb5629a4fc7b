// Appointment reminders end to end: the scheduling service and the reminders service in process, each on its
// own runtime (SQLite) with a real Redis, and the outbox relay between them driven step by step over
// scheduling's database with the same sender the service runs (a gRPC call authenticated as "scheduling").
// Through scheduling's API: a booking schedules its reminder, a reschedule replaces it with the next
// generation, an opt-out and a cancellation stop it; and a booking made while the reminders service is down
// succeeds, and its reminder arrives exactly once after it comes up.
//
// The services read the real clock, so every instant is built relative to absl::Now().
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/auth/service_token_source.h"
#include "common/db/grpc_outbox_sender.h"
#include "common/db/outbox.h"
#include "common/db/outbox_relay.h"
#include "common/grpc/client_channel.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "services/reminders/api/reminders_app.h"
#include "services/scheduling/api/scheduling_app.h"
#include "services/scheduling/domain/appointment_reminders.h"
#include "services/scheduling/domain/proto_time.h"
#include "tandem/reminders/v1/reminders.grpc.pb.h"
#include "tandem/scheduling/v1/scheduling.grpc.pb.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/redis_server.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

ABSL_DECLARE_FLAG(bool, dispatch);
ABSL_DECLARE_FLAG(bool, log_channel);
ABSL_DECLARE_FLAG(bool, reminders_to_log_channel);

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;
namespace rv1 = tandem::reminders::v1;
using tandem::testing::ServiceFixture;

constexpr char kClinic[] = "c1";

// A whole hour `hours` ahead of the current hour: 3 is between two and three hours from now, so of the
// default reminders (a day and two hours before) only the two-hour one is still ahead.
absl::Time Hour(int hours) {
  return absl::FromUnixSeconds((absl::ToUnixSeconds(absl::Now()) / 3600 + hours) * 3600);
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = ServiceFixture::Context(token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

std::string Admin() { return tandem::testing::PersonToken(auth::kRoleAdmin, "a1", kClinic); }
std::string FrontDesk() { return tandem::testing::PersonToken(auth::kRoleFrontDesk, "fd1", kClinic); }
std::string Support() { return tandem::testing::PersonToken(auth::kRoleSupport, "s1", kClinic); }

class SchedulingRemindersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    // The reminders service: its API alone (nothing is sent while the test looks), the log channel on.
    absl::SetFlag(&FLAGS_dispatch, false);
    absl::SetFlag(&FLAGS_log_channel, true);
    // Scheduling sends every reminder through that log channel, as a local run does.
    absl::SetFlag(&FLAGS_reminders_to_log_channel, true);
    tandem::testing::ServiceFixtureOptions options;
    options.redis_url = absl::StrCat("redis://127.0.0.1:", redis_->port());
    auto scheduling = ServiceFixture::Start(SchedulingDefinition(), BuildScheduling, options);
    ASSERT_TRUE(scheduling.ok()) << scheduling.status();
    scheduling_ = *std::move(scheduling);
    stub_ = v1::SchedulingService::NewStub(scheduling_->channel());
    identity_ = tandem::testing::TestServiceIdentity("scheduling");
    SeedRoster();
  }
  void TearDown() override {
    relay_.reset();
    sender_.reset();
    stub_.reset();
    reminders_stub_.reset();
    scheduling_.reset();
    reminders_.reset();
    absl::SetFlag(&FLAGS_reminders_to_log_channel, false);
  }

  void StartReminders() {
    tandem::testing::ServiceFixtureOptions options;
    options.redis_url = absl::StrCat("redis://127.0.0.1:", redis_->port());
    auto reminders =
        ServiceFixture::Start(reminders::RemindersDefinition(), reminders::BuildReminders, options);
    ASSERT_TRUE(reminders.ok()) << reminders.status();
    reminders_ = *std::move(reminders);
    reminders_stub_ = rv1::ReminderService::NewStub(reminders_->channel());
  }

  // The relay as the service runs it, but stepped by the test, sending through `channel`. A failed message
  // is due again at once (no jitter), so each pass tries it.
  void RelayTo(std::shared_ptr<grpc::Channel> channel) {
    relay_.reset();
    absl::flat_hash_map<std::string, db::GrpcOutboxSender::Target> targets;
    targets[std::string(rv1::ReminderService::service_full_name())] = {std::move(channel), "reminders"};
    sender_ = std::make_unique<db::GrpcOutboxSender>(std::move(targets), *identity_, absl::Seconds(5));
    db::OutboxRelayOptions options;
    options.cipher = &scheduling_->runtime().cipher();
    options.threads = 1;
    options.random = [] { return 0.0; };
    relay_ = std::make_unique<db::OutboxRelay>(scheduling_->runtime().database(), *sender_, options);
  }

  int64_t OutboxCount(const std::string& where) {
    auto tx = scheduling_->runtime().database().Begin(db::TxMode::kRead);
    EXPECT_TRUE(tx.ok()) << tx.status();
    if (!tx.ok()) return -1;
    auto rows = tx->Execute(absl::StrCat("SELECT COUNT(*) AS n FROM outbox WHERE ", where));
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return -1;
    return (*rows)[0].GetInt64("n").value_or(-1);
  }

  // Relays until nothing is pending; every message must have been accepted.
  void Drain() {
    for (int i = 0; i < 100 && OutboxCount("state = 'pending'") > 0; ++i) {
      auto sent = relay_->RunOnce();
      ASSERT_TRUE(sent.ok()) << sent.status();
    }
    EXPECT_EQ(OutboxCount("state = 'pending'"), 0);
    EXPECT_EQ(OutboxCount("state = 'failed'"), 0);
  }

  // ---- Scheduling's API ----

  void SeedRoster() {
    v1::UpsertClinicianRequest clinician;
    v1::Clinician& c = *clinician.mutable_clinician();
    c.set_clinic_id(kClinic);
    c.set_clinician_id("cl1");
    c.set_display_name("Clinician cl1");
    c.set_time_zone("UTC");
    c.set_default_session_minutes(50);
    c.set_booking_horizon_days(60);
    v1::Clinician stored;
    grpc::Status status = stub_->UpsertClinician(Context(Admin()).get(), clinician, &stored);
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::SetAvailabilityRequest hours;
    v1::Availability& a = *hours.mutable_availability();
    a.set_clinic_id(kClinic);
    a.set_clinician_id("cl1");
    for (int weekday = 1; weekday <= 7; ++weekday) {
      v1::WorkingInterval& w = *a.add_working_hours();
      w.set_weekday(weekday);
      w.mutable_start()->set_hours(0);
      w.mutable_end()->set_hours(0);
      w.set_until_midnight(true);
    }
    v1::Availability set;
    status = stub_->SetAvailability(Context(Admin()).get(), hours, &set);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_TRUE(UpsertClient(false).ok());
  }

  // k1, with an opted-in email, reminded at the defaults unless they opted out.
  grpc::Status UpsertClient(bool opted_out) {
    v1::UpsertClientRequest request;
    v1::Client& k = *request.mutable_client();
    k.set_clinic_id(kClinic);
    k.set_client_id("k1");
    k.set_display_name("Robin Quillfeather");
    k.set_time_zone("Europe/Berlin");
    v1::ContactChannel& email = *k.add_contacts();
    email.set_kind(v1::CONTACT_KIND_EMAIL);
    email.set_address("robin@example.org");
    email.set_opted_in(true);
    k.mutable_reminders()->set_opted_out(opted_out);
    v1::Client response;
    return stub_->UpsertClient(Context(FrontDesk()).get(), request, &response);
  }

  v1::Appointment Book(absl::Time start, const std::string& key) {
    v1::BookAppointmentRequest request;
    request.set_clinic_id(kClinic);
    request.set_idempotency_key(key);
    request.set_clinician_id("cl1");
    request.add_client_ids("k1");
    *request.mutable_start_time() = ToProto(start);
    *request.mutable_end_time() = ToProto(start + absl::Minutes(50));
    request.set_modality(v1::MODALITY_TELEHEALTH);
    v1::Appointment appointment;
    grpc::Status status = stub_->BookAppointment(Context(FrontDesk()).get(), request, &appointment);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return appointment;
  }

  // ---- The reminders service's view, as support sees it ----

  // The appointment's reminders, oldest generation first.
  std::vector<rv1::Reminder> RemindersOf(const std::string& appointment_id) {
    rv1::ListRemindersRequest request;
    request.set_clinic_id(kClinic);
    request.set_owner_ref(absl::StrCat("appointment/", appointment_id));
    rv1::ListRemindersResponse response;
    grpc::Status status = reminders_stub_->ListReminders(Context(Support()).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<rv1::Reminder> out(response.reminders().begin(), response.reminders().end());
    std::sort(out.begin(), out.end(), [](const rv1::Reminder& a, const rv1::Reminder& b) {
      return a.owner_generation() < b.owner_generation();
    });
    return out;
  }

  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<ServiceFixture> scheduling_;
  std::unique_ptr<ServiceFixture> reminders_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  std::unique_ptr<rv1::ReminderService::Stub> reminders_stub_;
  std::unique_ptr<auth::ServiceTokenSource> identity_;
  std::unique_ptr<db::GrpcOutboxSender> sender_;
  std::unique_ptr<db::OutboxRelay> relay_;
};

TEST_F(SchedulingRemindersTest, RemindersFollowTheAppointmentThroughItsChanges) {
  StartReminders();
  RelayTo(reminders_->channel());

  // Booked about three hours ahead: one reminder, two hours before, on the log channel.
  const absl::Time start = Hour(3);
  const v1::Appointment booked = Book(start, "book-1");
  ASSERT_FALSE(booked.appointment_id().empty());
  Drain();
  std::vector<rv1::Reminder> reminders = RemindersOf(booked.appointment_id());
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].state(), rv1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(FromProto(reminders[0].due_time()), start - absl::Hours(2));
  EXPECT_EQ(reminders[0].channel(), rv1::CHANNEL_LOG);
  EXPECT_EQ(reminders[0].owner_generation(), 1);
  EXPECT_EQ(reminders[0].template_id(), kAppointmentReminderTemplateId);

  // Rescheduled two hours later: the old reminder is cancelled, the new one is the next generation.
  v1::RescheduleAppointmentRequest move;
  move.set_clinic_id(kClinic);
  move.set_appointment_id(booked.appointment_id());
  *move.mutable_start_time() = ToProto(Hour(5));
  *move.mutable_end_time() = ToProto(Hour(5) + absl::Minutes(50));
  v1::Appointment moved;
  grpc::Status status = stub_->RescheduleAppointment(Context(FrontDesk()).get(), move, &moved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(moved.revision(), 2);
  Drain();
  reminders = RemindersOf(booked.appointment_id());
  ASSERT_EQ(reminders.size(), 2u);
  EXPECT_EQ(reminders[0].owner_generation(), 1);
  EXPECT_EQ(reminders[0].state(), rv1::REMINDER_STATE_CANCELLED);
  EXPECT_EQ(reminders[1].owner_generation(), 2);
  EXPECT_EQ(reminders[1].state(), rv1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(FromProto(reminders[1].due_time()), Hour(5) - absl::Hours(2));

  // The client opts out: every reminder of their upcoming appointment stops at once.
  ASSERT_TRUE(UpsertClient(true).ok());
  Drain();
  reminders = RemindersOf(booked.appointment_id());
  ASSERT_EQ(reminders.size(), 2u);
  for (const rv1::Reminder& r : reminders) EXPECT_EQ(r.state(), rv1::REMINDER_STATE_CANCELLED);

  // Back in: a reminder again, at the appointment's next revision (3 was the opt-out).
  ASSERT_TRUE(UpsertClient(false).ok());
  Drain();
  reminders = RemindersOf(booked.appointment_id());
  ASSERT_EQ(reminders.size(), 3u);
  EXPECT_EQ(reminders[2].owner_generation(), 4);
  EXPECT_EQ(reminders[2].state(), rv1::REMINDER_STATE_SCHEDULED);

  // Cancelled: nothing is left to send.
  v1::CancelAppointmentRequest cancel;
  cancel.set_clinic_id(kClinic);
  cancel.set_appointment_id(booked.appointment_id());
  v1::Appointment cancelled;
  status = stub_->CancelAppointment(Context(FrontDesk()).get(), cancel, &cancelled);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Drain();
  reminders = RemindersOf(booked.appointment_id());
  ASSERT_EQ(reminders.size(), 3u);
  for (const rv1::Reminder& r : reminders) EXPECT_EQ(r.state(), rv1::REMINDER_STATE_CANCELLED);
}

TEST_F(SchedulingRemindersTest, ABookingSucceedsWhileRemindersIsDownAndItsReminderArrivesOnce) {
  // Nothing listens on this port.
  auto port = tandem::testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  RelayTo(MakeServiceChannel(absl::StrCat("127.0.0.1:", *port)));

  const absl::Time start = Hour(3);
  const v1::Appointment booked = Book(start, "book-down");
  ASSERT_FALSE(booked.appointment_id().empty());
  EXPECT_EQ(booked.status(), v1::APPOINTMENT_STATUS_BOOKED);
  for (int i = 0; i < 3; ++i) {
    auto sent = relay_->RunOnce();
    ASSERT_TRUE(sent.ok()) << sent.status();
  }
  // The head (the clinic's template) was tried on each pass and is kept; the reminder waits behind it.
  EXPECT_EQ(OutboxCount("state = 'pending'"), 2);
  EXPECT_EQ(OutboxCount("state = 'pending' AND attempts >= 3"), 1);
  EXPECT_EQ(OutboxCount("state <> 'pending'"), 0);

  // The reminders service comes up; the next passes deliver everything.
  StartReminders();
  RelayTo(reminders_->channel());
  Drain();
  std::vector<rv1::Reminder> reminders = RemindersOf(booked.appointment_id());
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].state(), rv1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(FromProto(reminders[0].due_time()), start - absl::Hours(2));

  // Relaying again sends nothing more.
  auto sent = relay_->RunOnce();
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, 0);
  EXPECT_EQ(RemindersOf(booked.appointment_id()).size(), 1u);

  // A relay that died after sending but before settling sends the message again: still one reminder.
  {
    auto tx = scheduling_->runtime().database().Begin(db::TxMode::kWrite);
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(tx->Execute("UPDATE outbox SET state = 'pending', settled_at = NULL "
                            "WHERE target LIKE '%/ScheduleReminder'")
                    .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  ASSERT_EQ(OutboxCount("state = 'pending'"), 1);
  Drain();
  reminders = RemindersOf(booked.appointment_id());
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].state(), rv1::REMINDER_STATE_SCHEDULED);
}

}  // namespace
}  // namespace tandem::scheduling
