#include "services/scheduling/domain/appointment_reminders.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

using google::protobuf::util::TimeUtil;
namespace rv1 = tandem::reminders::v1;
namespace v1 = tandem::scheduling::v1;

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time DueOf(const rv1::ScheduleReminderRequest& r) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(r.due_time()));
}

v1::Appointment Appointment() {
  v1::Appointment a;
  a.set_clinic_id("c1");
  a.set_appointment_id("a1");
  a.set_clinician_id("dr1");
  a.add_client_ids("cl1");
  *a.mutable_start_time() = Stamp(At("2027-03-15T13:00:00Z"));
  *a.mutable_end_time() = Stamp(At("2027-03-15T13:50:00Z"));
  a.set_status(v1::APPOINTMENT_STATUS_BOOKED);
  a.set_revision(1);
  return a;
}

v1::Client Client(const std::string& id, const std::string& zone = "Europe/Berlin") {
  v1::Client c;
  c.set_clinic_id("c1");
  c.set_client_id(id);
  c.set_time_zone(zone);
  v1::ContactChannel& email = *c.add_contacts();
  email.set_kind(v1::CONTACT_KIND_EMAIL);
  email.set_address(id + "@example.com");
  email.set_opted_in(true);
  return c;
}

ReminderPlanOptions Options(absl::Time now, int64_t generation = 1) {
  ReminderPlanOptions options;
  options.now = now;
  options.generation = generation;
  return options;
}

TEST(AppointmentRemindersTest, DefaultsAreADayAndTwoHoursBeforeInTheClientsZone) {
  std::vector<v1::Client> clients = {Client("cl1")};
  auto plan = PlanAppointmentReminders(Appointment(), clients, Options(At("2027-03-01T00:00:00Z")));
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(DueOf(plan[0]), At("2027-03-14T13:00:00Z"));
  EXPECT_EQ(DueOf(plan[1]), At("2027-03-15T11:00:00Z"));
  for (const auto& r : plan) {
    EXPECT_EQ(r.clinic_id(), "c1");
    EXPECT_EQ(r.owner_ref(), "appointment/a1");
    EXPECT_EQ(r.owner_generation(), 1);
    EXPECT_EQ(r.channel(), rv1::CHANNEL_EMAIL);
    EXPECT_EQ(r.recipient(), "cl1@example.com");
    EXPECT_EQ(r.template_id(), kAppointmentReminderTemplateId);
    EXPECT_EQ(r.time_zone(), "Europe/Berlin");
    // 13:00Z is 14:00 in Berlin (CET) on that Monday.
    EXPECT_EQ(r.params().at(kAppointmentLocalTimeParam), "Mon 15 Mar, 14:00");
  }
  EXPECT_EQ(plan[0].idempotency_key(), "a1:1:1");
  EXPECT_EQ(plan[1].idempotency_key(), "a1:1:2");
}

TEST(AppointmentRemindersTest, TheClientsOffsetsQuietHoursAndSmsChannelAreUsed) {
  v1::Client client = Client("cl1");
  client.mutable_contacts(0)->set_opted_in(false);
  v1::ContactChannel& sms = *client.add_contacts();
  sms.set_kind(v1::CONTACT_KIND_SMS);
  sms.set_address("+4915112345678");
  sms.set_opted_in(true);
  client.mutable_reminders()->add_offsets_minutes(30);
  client.mutable_reminders()->mutable_quiet_hours()->mutable_start()->set_hours(22);
  client.mutable_reminders()->mutable_quiet_hours()->mutable_end()->set_hours(7);
  std::vector<v1::Client> clients = {client};
  auto plan = PlanAppointmentReminders(Appointment(), clients, Options(At("2027-03-01T00:00:00Z"), 3));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].channel(), rv1::CHANNEL_WEBHOOK);
  EXPECT_EQ(plan[0].recipient(), "+4915112345678");
  EXPECT_EQ(DueOf(plan[0]), At("2027-03-15T12:30:00Z"));
  EXPECT_EQ(plan[0].owner_generation(), 3);
  EXPECT_EQ(plan[0].quiet_hours().start().hours(), 22);
  EXPECT_EQ(plan[0].quiet_hours().end().hours(), 7);
}

TEST(AppointmentRemindersTest, NothingForOptedOutClientsOrWithdrawnChannels) {
  v1::Client out = Client("cl1");
  out.mutable_reminders()->set_opted_out(true);
  v1::Client withdrawn = Client("cl2");
  withdrawn.mutable_contacts(0)->set_opted_in(false);
  std::vector<v1::Client> clients = {out, withdrawn};
  EXPECT_THAT(PlanAppointmentReminders(Appointment(), clients, Options(At("2027-03-01T00:00:00Z"))),
              ::testing::IsEmpty());
}

TEST(AppointmentRemindersTest, DueTimesAlreadyPastAreLeftOut) {
  std::vector<v1::Client> clients = {Client("cl1")};
  // Booked five hours ahead: the day-before reminder is past, the two-hour one is not.
  auto plan = PlanAppointmentReminders(Appointment(), clients, Options(At("2027-03-15T08:00:00Z")));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(DueOf(plan[0]), At("2027-03-15T11:00:00Z"));
}

TEST(AppointmentRemindersTest, ACoupleGetsOneReminderEachInTheirOwnZone) {
  v1::Appointment couple = Appointment();
  couple.add_client_ids("cl2");
  std::vector<v1::Client> clients = {Client("cl1"), Client("cl2", "America/New_York")};
  auto plan = PlanAppointmentReminders(couple, clients, Options(At("2027-03-01T00:00:00Z")));
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[2].recipient(), "cl2@example.com");
  EXPECT_EQ(plan[2].params().at(kAppointmentLocalTimeParam), "Mon 15 Mar, 09:00");  // EDT from 14 March
  std::vector<std::string> keys;
  keys.reserve(plan.size());
  for (const auto& r : plan) keys.push_back(r.idempotency_key());
  EXPECT_THAT(keys, ::testing::ElementsAre("a1:1:1", "a1:1:2", "a1:1:3", "a1:1:4"));
}

TEST(AppointmentRemindersTest, AppointmentsThatHoldNoTimeGetNone) {
  std::vector<v1::Client> clients = {Client("cl1")};
  for (v1::AppointmentStatus status : {v1::APPOINTMENT_STATUS_CANCELLED, v1::APPOINTMENT_STATUS_NOSHOW,
                                       v1::APPOINTMENT_STATUS_ENTERED_IN_ERROR,
                                       v1::APPOINTMENT_STATUS_WAITLIST, v1::APPOINTMENT_STATUS_FULFILLED}) {
    v1::Appointment a = Appointment();
    a.set_status(status);
    EXPECT_THAT(PlanAppointmentReminders(a, clients, Options(At("2027-03-01T00:00:00Z"))),
                ::testing::IsEmpty())
        << v1::AppointmentStatus_Name(status);
  }
}

TEST(AppointmentRemindersTest, TheLocalRunOverrideSendsEveryReminderToOneChannel) {
  std::vector<v1::Client> clients = {Client("cl1")};
  ReminderPlanOptions options = Options(At("2027-03-01T00:00:00Z"));
  options.channel_override = rv1::CHANNEL_LOG;
  for (const auto& r : PlanAppointmentReminders(Appointment(), clients, options)) {
    EXPECT_EQ(r.channel(), rv1::CHANNEL_LOG);
  }
}

TEST(AppointmentRemindersTest, TheTemplateNamesNoCareAndTheCancelNamesTheOwner) {
  rv1::RegisterTemplateRequest t = AppointmentReminderTemplate("c1");
  EXPECT_EQ(t.template_().clinic_id(), "c1");
  EXPECT_THAT(t.template_().body(), ::testing::HasSubstr("{{appointment_local_time}}"));
  EXPECT_THAT(t.template_().body(), ::testing::Not(::testing::HasSubstr("therap")));
  rv1::CancelRemindersRequest cancel = CancelAppointmentReminders(Appointment(), 4);
  EXPECT_EQ(cancel.owner_ref(), "appointment/a1");
  EXPECT_EQ(cancel.before_generation(), 4);
}

// ---- AppointmentReminderPlanner: the follow-up calls of a change, on an injected clock ----

constexpr char kRegister[] = "/tandem.reminders.v1.ReminderService/RegisterTemplate";
constexpr char kSchedule[] = "/tandem.reminders.v1.ReminderService/ScheduleReminder";
constexpr char kCancel[] = "/tandem.reminders.v1.ReminderService/CancelReminders";

std::vector<std::string> Targets(const std::vector<FollowUpCall>& calls) {
  std::vector<std::string> targets;
  targets.reserve(calls.size());
  for (const FollowUpCall& call : calls) targets.push_back(call.target);
  return targets;
}

std::vector<std::string> Keys(const std::vector<FollowUpCall>& calls) {
  std::vector<std::string> keys;
  keys.reserve(calls.size());
  for (const FollowUpCall& call : calls) keys.push_back(call.ordering_key);
  return keys;
}

rv1::ScheduleReminderRequest Scheduled(const FollowUpCall& call) {
  rv1::ScheduleReminderRequest r;
  EXPECT_TRUE(r.ParseFromString(call.payload)) << call.target;
  return r;
}

rv1::CancelRemindersRequest Cancelled(const FollowUpCall& call) {
  rv1::CancelRemindersRequest r;
  EXPECT_TRUE(r.ParseFromString(call.payload)) << call.target;
  return r;
}

v1::Appointment WithStatus(v1::AppointmentStatus status, int64_t revision) {
  v1::Appointment a = Appointment();
  a.set_status(status);
  a.set_revision(revision);
  return a;
}

TEST(AppointmentReminderPlannerTest, ABookingRegistersTheTemplateOnceThenSchedulesItsReminders) {
  FakeClock clock(At("2027-03-01T00:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  const std::vector<v1::Client> clients = {Client("cl1")};
  std::vector<FollowUpCall> calls = planner.AfterChange(nullptr, Appointment(), clients);
  ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kRegister, kSchedule, kSchedule));
  EXPECT_THAT(Keys(calls), ::testing::Each("reminders/c1"));
  // Only the template carries a once key: the store enqueues it for the clinic's first reminder alone.
  EXPECT_EQ(calls[0].once_key, kAppointmentReminderTemplateId);
  EXPECT_TRUE(calls[1].once_key.empty());
  EXPECT_TRUE(calls[2].once_key.empty());
  rv1::RegisterTemplateRequest registered;
  ASSERT_TRUE(registered.ParseFromString(calls[0].payload));
  EXPECT_EQ(registered.template_().template_id(), kAppointmentReminderTemplateId);
  EXPECT_EQ(registered.template_().clinic_id(), "c1");
  const rv1::ScheduleReminderRequest day_before = Scheduled(calls[1]);
  const rv1::ScheduleReminderRequest two_hours = Scheduled(calls[2]);
  EXPECT_EQ(DueOf(day_before), At("2027-03-14T13:00:00Z"));
  EXPECT_EQ(DueOf(two_hours), At("2027-03-15T11:00:00Z"));
  EXPECT_EQ(day_before.owner_ref(), "appointment/a1");
  EXPECT_EQ(day_before.owner_generation(), 1);
  EXPECT_EQ(day_before.idempotency_key(), "a1:1:1");
  EXPECT_EQ(two_hours.idempotency_key(), "a1:1:2");
  EXPECT_EQ(day_before.channel(), rv1::CHANNEL_EMAIL);
  EXPECT_EQ(day_before.recipient(), "cl1@example.com");

  // "Now" is read for each plan: five hours before the start the day-before reminder is past.
  clock.Set(At("2027-03-15T08:00:00Z"));
  calls = planner.AfterChange(nullptr, Appointment(), clients);
  ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kRegister, kSchedule));
  EXPECT_EQ(DueOf(Scheduled(calls[1])), At("2027-03-15T11:00:00Z"));
}

TEST(AppointmentReminderPlannerTest, ARescheduleCancelsOlderGenerationsFirstThenSchedulesTheNewOnes) {
  FakeClock clock(At("2027-03-01T00:00:00Z"));
  const AppointmentReminderPlanner planner(clock, rv1::CHANNEL_LOG);
  const v1::Appointment previous = Appointment();
  v1::Appointment current = Appointment();
  *current.mutable_start_time() = Stamp(At("2027-03-16T09:00:00Z"));
  *current.mutable_end_time() = Stamp(At("2027-03-16T09:50:00Z"));
  current.set_revision(2);
  const std::vector<FollowUpCall> calls = planner.AfterChange(&previous, current, {Client("cl1")});
  ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kCancel, kRegister, kSchedule, kSchedule));
  EXPECT_THAT(Keys(calls), ::testing::Each("reminders/c1"));
  const rv1::CancelRemindersRequest cancel = Cancelled(calls[0]);
  EXPECT_EQ(cancel.clinic_id(), "c1");
  EXPECT_EQ(cancel.owner_ref(), "appointment/a1");
  EXPECT_EQ(cancel.before_generation(), 2);
  EXPECT_TRUE(calls[0].once_key.empty());
  EXPECT_EQ(calls[1].once_key, kAppointmentReminderTemplateId);
  const rv1::ScheduleReminderRequest first = Scheduled(calls[2]);
  const rv1::ScheduleReminderRequest second = Scheduled(calls[3]);
  EXPECT_EQ(first.owner_generation(), 2);
  EXPECT_EQ(second.owner_generation(), 2);
  EXPECT_EQ(first.idempotency_key(), "a1:2:1");
  EXPECT_EQ(second.idempotency_key(), "a1:2:2");
  EXPECT_EQ(DueOf(first), At("2027-03-15T09:00:00Z"));
  EXPECT_EQ(DueOf(second), At("2027-03-16T07:00:00Z"));
  EXPECT_EQ(first.channel(), rv1::CHANNEL_LOG);  // the local-run override
}

TEST(AppointmentReminderPlannerTest, AChangedAppointmentWithNothingToScheduleStillLosesItsReminders) {
  FakeClock clock(At("2027-03-01T00:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  v1::Client opted_out = Client("cl1");
  opted_out.mutable_reminders()->set_opted_out(true);
  const v1::Appointment previous = Appointment();
  const v1::Appointment current = WithStatus(v1::APPOINTMENT_STATUS_BOOKED, 2);
  const std::vector<FollowUpCall> calls = planner.AfterChange(&previous, current, {opted_out});
  ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kCancel));
  EXPECT_EQ(Cancelled(calls[0]).before_generation(), 2);
  // A new booking with nothing to send sends nothing, not even the template.
  EXPECT_THAT(planner.AfterChange(nullptr, Appointment(), {opted_out}), ::testing::IsEmpty());
}

TEST(AppointmentReminderPlannerTest, LeavingBookedCancelsEveryUnsentReminder) {
  FakeClock clock(At("2027-03-01T00:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  const v1::Appointment previous = Appointment();
  for (v1::AppointmentStatus status :
       {v1::APPOINTMENT_STATUS_CANCELLED, v1::APPOINTMENT_STATUS_ARRIVED, v1::APPOINTMENT_STATUS_NOSHOW,
        v1::APPOINTMENT_STATUS_ENTERED_IN_ERROR}) {
    const std::vector<FollowUpCall> calls =
        planner.AfterChange(&previous, WithStatus(status, 2), {Client("cl1")});
    ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kCancel)) << v1::AppointmentStatus_Name(status);
    EXPECT_EQ(calls[0].ordering_key, "reminders/c1");
    const rv1::CancelRemindersRequest cancel = Cancelled(calls[0]);
    EXPECT_EQ(cancel.before_generation(), 0) << v1::AppointmentStatus_Name(status);
    EXPECT_EQ(cancel.owner_ref(), "appointment/a1");
  }
}

TEST(AppointmentReminderPlannerTest, ChangesAwayFromBookedNeverSendAnything) {
  FakeClock clock(At("2027-03-01T00:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  const std::vector<v1::Client> clients = {Client("cl1")};
  // Booked straight onto the waitlist, or changed between statuses that hold no reminders.
  EXPECT_THAT(planner.AfterChange(nullptr, WithStatus(v1::APPOINTMENT_STATUS_WAITLIST, 1), clients),
              ::testing::IsEmpty());
  const v1::Appointment cancelled = WithStatus(v1::APPOINTMENT_STATUS_CANCELLED, 2);
  EXPECT_THAT(planner.AfterChange(&cancelled, WithStatus(v1::APPOINTMENT_STATUS_CANCELLED, 3), clients),
              ::testing::IsEmpty());
  const v1::Appointment arrived = WithStatus(v1::APPOINTMENT_STATUS_ARRIVED, 2);
  EXPECT_THAT(planner.AfterChange(&arrived, WithStatus(v1::APPOINTMENT_STATUS_FULFILLED, 3), clients),
              ::testing::IsEmpty());
}

TEST(AppointmentReminderPlannerTest, EachClinicHasItsOwnOrderingKey) {
  FakeClock clock(At("2027-03-01T00:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  v1::Appointment other = Appointment();
  other.set_clinic_id("c2");
  v1::Client client = Client("cl1");
  client.set_clinic_id("c2");
  const std::vector<FollowUpCall> calls = planner.AfterChange(nullptr, other, {client});
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_THAT(Keys(calls), ::testing::Each("reminders/c2"));
  rv1::RegisterTemplateRequest registered;
  ASSERT_TRUE(registered.ParseFromString(calls[0].payload));
  EXPECT_EQ(registered.template_().clinic_id(), "c2");
  EXPECT_EQ(Scheduled(calls[1]).clinic_id(), "c2");
}

// ---- Waitlist offers: a slot held for a waitlisted client ----

// A hold made at 08:00Z for the 13:00Z slot, open until 10:00Z.
v1::Appointment Hold() {
  v1::Appointment a = Appointment();
  a.set_status(v1::APPOINTMENT_STATUS_PROPOSED);
  a.set_waitlist_entry_id("w1");
  *a.mutable_hold_expire_time() = Stamp(At("2027-03-15T10:00:00Z"));
  return a;
}

TEST(WaitlistOfferNoticesTest, AHoldIsAnnouncedNowWithTheSlotAndTheEndOfTheHold) {
  std::vector<v1::Client> clients = {Client("cl1")};
  const absl::Time now = At("2027-03-15T08:00:00Z");
  auto plan = PlanWaitlistOfferNotices(Hold(), clients, Options(now));
  ASSERT_EQ(plan.size(), 1u);
  const rv1::ScheduleReminderRequest& r = plan[0];
  EXPECT_EQ(DueOf(r), now);
  EXPECT_EQ(r.template_id(), kWaitlistOfferTemplateId);
  EXPECT_EQ(r.clinic_id(), "c1");
  EXPECT_EQ(r.owner_ref(), "appointment/a1");
  EXPECT_EQ(r.owner_generation(), 1);
  EXPECT_EQ(r.idempotency_key(), "a1:offer:1");
  EXPECT_EQ(r.channel(), rv1::CHANNEL_EMAIL);
  EXPECT_EQ(r.recipient(), "cl1@example.com");
  EXPECT_EQ(r.time_zone(), "Europe/Berlin");
  // Both times in the client's zone (CET): the slot at 14:00, the hold until 11:00.
  ASSERT_EQ(r.params().size(), 2u);
  EXPECT_EQ(r.params().at(kAppointmentLocalTimeParam), "Mon 15 Mar, 14:00");
  EXPECT_EQ(r.params().at(kHoldUntilLocalTimeParam), "Mon 15 Mar, 11:00");
  for (const auto& [name, value] : r.params()) {
    EXPECT_EQ(value.find("dr1"), std::string::npos) << name << " names the clinician";
  }
}

TEST(WaitlistOfferNoticesTest, NothingForOptedOutClientsOrChannelsNotOptedIn) {
  const absl::Time now = At("2027-03-15T08:00:00Z");
  v1::Client out = Client("cl1");
  out.mutable_reminders()->set_opted_out(true);
  v1::Client withdrawn = Client("cl2");
  withdrawn.mutable_contacts(0)->set_opted_in(false);
  EXPECT_THAT(PlanWaitlistOfferNotices(Hold(), {out, withdrawn}, Options(now)), ::testing::IsEmpty());
  // Of a client's channels only the opted-in ones are used.
  v1::Client mixed = Client("cl3");
  v1::ContactChannel& sms = *mixed.add_contacts();
  sms.set_kind(v1::CONTACT_KIND_SMS);
  sms.set_address("+4915112345678");
  sms.set_opted_in(false);
  auto plan = PlanWaitlistOfferNotices(Hold(), {out, mixed}, Options(now));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].recipient(), "cl3@example.com");
}

TEST(WaitlistOfferNoticesTest, OnlyAnOpenHoldIsAnnounced) {
  const std::vector<v1::Client> clients = {Client("cl1")};
  const absl::Time now = At("2027-03-15T08:00:00Z");
  v1::Appointment booked = Hold();
  booked.set_status(v1::APPOINTMENT_STATUS_BOOKED);
  EXPECT_THAT(PlanWaitlistOfferNotices(booked, clients, Options(now)), ::testing::IsEmpty());
  v1::Appointment cancelled = Hold();
  cancelled.set_status(v1::APPOINTMENT_STATUS_CANCELLED);
  EXPECT_THAT(PlanWaitlistOfferNotices(cancelled, clients, Options(now)), ::testing::IsEmpty());
  v1::Appointment proposed = Hold();
  proposed.clear_waitlist_entry_id();
  EXPECT_THAT(PlanWaitlistOfferNotices(proposed, clients, Options(now)), ::testing::IsEmpty());
  v1::Appointment no_expiry = Hold();
  no_expiry.clear_hold_expire_time();
  EXPECT_THAT(PlanWaitlistOfferNotices(no_expiry, clients, Options(now)), ::testing::IsEmpty());
  // At or past its expiry the hold is over.
  EXPECT_THAT(PlanWaitlistOfferNotices(Hold(), clients, Options(At("2027-03-15T10:00:00Z"))),
              ::testing::IsEmpty());
  EXPECT_THAT(PlanWaitlistOfferNotices(Hold(), clients, Options(At("2027-03-15T10:30:00Z"))),
              ::testing::IsEmpty());
  EXPECT_EQ(PlanWaitlistOfferNotices(Hold(), clients, Options(At("2027-03-15T09:59:00Z"))).size(), 1u);
}

TEST(WaitlistOfferNoticesTest, TheTemplateNamesNeitherClinicianNorCare) {
  const rv1::RegisterTemplateRequest t = WaitlistOfferTemplate("c1");
  EXPECT_EQ(t.template_().template_id(), kWaitlistOfferTemplateId);
  EXPECT_EQ(t.template_().clinic_id(), "c1");
  EXPECT_TRUE(t.template_().discreet());
  EXPECT_THAT(t.template_().body(), ::testing::HasSubstr("{{appointment_local_time}}"));
  EXPECT_THAT(t.template_().body(), ::testing::HasSubstr("{{hold_until_local_time}}"));
  for (const std::string& text :
       {t.template_().subject(), t.template_().body(), t.template_().sender_name()}) {
    for (const char* word : {"clinician", "Dr", "therap", "counsel", "{{clinician"}) {
      EXPECT_EQ(text.find(word), std::string::npos) << word << " in " << text;
    }
  }
}

TEST(AppointmentReminderPlannerTest, ANewHoldRegistersTheOfferTemplateOnceThenAnnouncesIt) {
  FakeClock clock(At("2027-03-15T08:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  const std::vector<FollowUpCall> calls = planner.AfterChange(nullptr, Hold(), {Client("cl1")});
  ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kRegister, kSchedule));
  EXPECT_THAT(Keys(calls), ::testing::Each("reminders/c1"));
  EXPECT_EQ(calls[0].once_key, kWaitlistOfferTemplateId);
  EXPECT_TRUE(calls[1].once_key.empty());
  rv1::RegisterTemplateRequest registered;
  ASSERT_TRUE(registered.ParseFromString(calls[0].payload));
  EXPECT_EQ(registered.template_().template_id(), kWaitlistOfferTemplateId);
  const rv1::ScheduleReminderRequest notice = Scheduled(calls[1]);
  EXPECT_EQ(notice.template_id(), kWaitlistOfferTemplateId);
  EXPECT_EQ(DueOf(notice), At("2027-03-15T08:00:00Z"));
  // Nobody to tell: not even the template.
  v1::Client opted_out = Client("cl1");
  opted_out.mutable_reminders()->set_opted_out(true);
  EXPECT_THAT(planner.AfterChange(nullptr, Hold(), {opted_out}), ::testing::IsEmpty());
}

TEST(AppointmentReminderPlannerTest, AnAcceptedHoldCancelsTheOfferThenGetsTheBookedReminders) {
  FakeClock clock(At("2027-03-01T00:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  const v1::Appointment hold = Hold();
  const v1::Appointment booked = WithStatus(v1::APPOINTMENT_STATUS_BOOKED, 2);
  const std::vector<FollowUpCall> calls = planner.AfterChange(&hold, booked, {Client("cl1")});
  ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kCancel, kRegister, kSchedule, kSchedule));
  const rv1::CancelRemindersRequest cancel = Cancelled(calls[0]);
  EXPECT_EQ(cancel.owner_ref(), "appointment/a1");
  EXPECT_EQ(cancel.before_generation(), 2);  // the offer notice was generation 1
  EXPECT_EQ(calls[1].once_key, kAppointmentReminderTemplateId);
  EXPECT_EQ(Scheduled(calls[2]).template_id(), kAppointmentReminderTemplateId);
  EXPECT_EQ(Scheduled(calls[2]).idempotency_key(), "a1:2:1");
  EXPECT_EQ(Scheduled(calls[3]).idempotency_key(), "a1:2:2");
}

TEST(AppointmentReminderPlannerTest, ADeclinedOrLapsedHoldOnlyCancelsItsOffer) {
  FakeClock clock(At("2027-03-15T08:00:00Z"));
  const AppointmentReminderPlanner planner(clock, std::nullopt);
  const v1::Appointment hold = Hold();
  v1::Appointment cancelled = Hold();
  cancelled.set_status(v1::APPOINTMENT_STATUS_CANCELLED);
  cancelled.set_revision(2);
  const std::vector<FollowUpCall> calls = planner.AfterChange(&hold, cancelled, {Client("cl1")});
  ASSERT_THAT(Targets(calls), ::testing::ElementsAre(kCancel));
  EXPECT_EQ(calls[0].ordering_key, "reminders/c1");
  EXPECT_EQ(Cancelled(calls[0]).before_generation(), 0);
  EXPECT_EQ(Cancelled(calls[0]).owner_ref(), "appointment/a1");
}

}  // namespace
}  // namespace tandem::scheduling
