// Pure delivery logic: message building in the recipient's zone, discretion at send time, and the outcome of
// an attempt (delivered, retried after a backoff that respects quiet hours, dead-lettered).
#include "services/reminders/domain/delivery.h"

#include "common/time/time_zone.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/reminders/domain/template.h"

namespace tandem::reminders {
namespace {

using google::protobuf::util::TimeUtil;

class FixedRandom final : public RandomSource {
 public:
  double Uniform01() override { return 1.0; }  // the full backoff ceiling: predictable
};

absl::Time At(int year, int month, int day, int hour, int minute, const absl::TimeZone& zone) {
  return absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), zone);
}

ReminderProto Reminder(absl::Time due) {
  ReminderProto r;
  r.set_reminder_id("r1");
  r.set_delivery_id("d1");
  r.set_clinic_id("c1");
  r.set_channel(tandem::reminders::v1::CHANNEL_WEBHOOK);
  r.set_recipient("+15550100");
  r.set_template_id("t1");
  (*r.mutable_params())["first_name"] = "Robin";
  r.set_time_zone("Europe/Berlin");
  *r.mutable_due_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(due));
  return r;
}

TemplateProto Template(std::string body, bool discreet = true) {
  TemplateProto t;
  t.set_clinic_id("c1");
  t.set_template_id("t1");
  t.set_sender_name("Linden Practice");
  t.set_subject("Your appointment");
  t.set_body(std::move(body));
  t.set_discreet(discreet);
  return t;
}

TEST(BuildMessageTest, RendersInTheRecipientsZoneWithStableIds) {
  absl::TimeZone berlin = *LoadTimeZone("Europe/Berlin");
  absl::Time due = At(2026, 3, 2, 9, 30, berlin);
  auto message = BuildMessage(Reminder(due), Template("Hello {{first_name}}, see you {{due_local_time}}."),
                              DiscretionPolicy::Default());
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->body, "Hello Robin, see you " + FormatLocalDateTime(due, berlin) + ".");
  EXPECT_NE(message->body.find("09:30"), std::string::npos);
  EXPECT_EQ(message->subject, "Your appointment");
  EXPECT_EQ(message->idempotency_id, "d1");
  EXPECT_EQ(message->recipient, "+15550100");
  EXPECT_EQ(message->sender_name, "Linden Practice");
  EXPECT_EQ(message->due_at, due);
}

TEST(BuildMessageTest, ADeniedWordArrivingThroughAParameterIsADiscretionViolation) {
  ReminderProto r = Reminder(absl::FromUnixSeconds(1767225600));
  (*r.mutable_params())["first_name"] = "Sex Therapy";
  auto message = BuildMessage(r, Template("Hello {{first_name}}"), DiscretionPolicy::Default());
  ASSERT_FALSE(message.ok());
  EXPECT_TRUE(IsDiscretionViolation(message.status()));
  EXPECT_EQ(std::string(message.status().message()).find("Therapy"), std::string::npos);
}

TEST(BuildMessageTest, ADeniedSenderNameIsADiscretionViolation) {
  TemplateProto t = Template("See you soon");
  t.set_sender_name("Essex Counselling Centre");
  auto message = BuildMessage(Reminder(absl::FromUnixSeconds(1767225600)), t, DiscretionPolicy::Default());
  ASSERT_FALSE(message.ok());
  EXPECT_TRUE(IsDiscretionViolation(message.status()));
}

TEST(BuildMessageTest, WholeWordsOnlyAndNonDiscreetTemplatesAreNotChecked) {
  TemplateProto t = Template("Parking in Essex Street");
  t.set_sender_name("Essex Practice");
  EXPECT_TRUE(BuildMessage(Reminder(absl::FromUnixSeconds(1767225600)), t, DiscretionPolicy::Default()).ok());
  EXPECT_TRUE(BuildMessage(Reminder(absl::FromUnixSeconds(1767225600)), Template("Therapy group", false),
                           DiscretionPolicy::Default())
                  .ok());
}

TEST(BuildMessageTest, AnEmptySubjectStaysEmpty) {
  TemplateProto t = Template("See you soon");
  t.clear_subject();
  auto message = BuildMessage(Reminder(absl::FromUnixSeconds(1767225600)), t, DiscretionPolicy::Default());
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_TRUE(message->subject.empty());
}

class DecideOutcomeTest : public ::testing::Test {
 protected:
  DecideOutcomeTest()
      : backoff_(*Backoff::Create({absl::Seconds(30), absl::Hours(1), 3}, random_)),
        berlin_(*LoadTimeZone("Europe/Berlin")) {}
  FixedRandom random_;
  Backoff backoff_;
  absl::TimeZone berlin_;
};

TEST_F(DecideOutcomeTest, SuccessIsDelivered) {
  AttemptOutcome o = DecideOutcome(absl::OkStatus(), 1, backoff_, absl::UnixEpoch(), berlin_, std::nullopt);
  EXPECT_EQ(o.state, ReminderState::kDelivered);
}

TEST_F(DecideOutcomeTest, RetryableFailuresBackOffUntilTheAttemptsAreUsedUp) {
  absl::Time now = At(2026, 3, 2, 12, 0, berlin_);
  AttemptOutcome first =
      DecideOutcome(absl::UnavailableError("503"), 1, backoff_, now, berlin_, std::nullopt);
  EXPECT_EQ(first.state, ReminderState::kFailed);
  EXPECT_GT(first.next_attempt_at, now);
  EXPECT_LE(first.next_attempt_at, now + backoff_.MaxDelay(1));
  AttemptOutcome second =
      DecideOutcome(absl::DeadlineExceededError("slow"), 2, backoff_, now, berlin_, std::nullopt);
  EXPECT_EQ(second.state, ReminderState::kFailed);
  AttemptOutcome last = DecideOutcome(absl::UnavailableError("503"), 3, backoff_, now, berlin_, std::nullopt);
  EXPECT_EQ(last.state, ReminderState::kDead);
  EXPECT_EQ(last.dead_reason, kDeadMaxAttempts);
}

TEST_F(DecideOutcomeTest, PermanentFailuresAndDiscretionDieAtOnce) {
  absl::Time now = absl::UnixEpoch();
  EXPECT_EQ(
      DecideOutcome(absl::InvalidArgumentError("400"), 1, backoff_, now, berlin_, std::nullopt).dead_reason,
      kDeadPermanentFailure);
  EXPECT_EQ(DecideOutcome(absl::PermissionDeniedError("403"), 1, backoff_, now, berlin_, std::nullopt).state,
            ReminderState::kDead);
}

TEST_F(DecideOutcomeTest, ARetryThatWouldLandInQuietHoursWaitsForTheirEnd) {
  auto quiet = QuietHours::Create(22 * 60, 7 * 60);
  ASSERT_TRUE(quiet.ok());
  absl::Time now = At(2026, 3, 2, 21, 59, berlin_);  // +30 s backoff lands at 21:59:30... still allowed
  AttemptOutcome allowed = DecideOutcome(absl::UnavailableError("x"), 1, backoff_, now, berlin_, *quiet);
  EXPECT_EQ(allowed.next_attempt_at, now + absl::Seconds(30));
  absl::Time late = At(2026, 3, 2, 21, 59, berlin_) + absl::Seconds(45);  // lands at 22:00:15
  AttemptOutcome deferred = DecideOutcome(absl::UnavailableError("x"), 1, backoff_, late, berlin_, *quiet);
  EXPECT_EQ(deferred.next_attempt_at, At(2026, 3, 3, 7, 0, berlin_));
}

TEST(FirstAttemptTimeTest, DueInsideQuietHoursMovesToTheirEndInTheRecipientsZone) {
  absl::TimeZone tokyo = *LoadTimeZone("Asia/Tokyo");
  auto quiet = QuietHours::Create(21 * 60, 8 * 60);
  ASSERT_TRUE(quiet.ok());
  EXPECT_EQ(FirstAttemptTime(At(2026, 5, 1, 23, 0, tokyo), tokyo, *quiet), At(2026, 5, 2, 8, 0, tokyo));
  EXPECT_EQ(FirstAttemptTime(At(2026, 5, 1, 12, 0, tokyo), tokyo, *quiet), At(2026, 5, 1, 12, 0, tokyo));
  EXPECT_EQ(FirstAttemptTime(At(2026, 5, 1, 23, 0, tokyo), tokyo, std::nullopt),
            At(2026, 5, 1, 23, 0, tokyo));
}

TEST(ChannelKindOfTest, OnlyKnownChannels) {
  EXPECT_EQ(ChannelKindOf(tandem::reminders::v1::CHANNEL_EMAIL), ChannelKind::kEmail);
  EXPECT_EQ(ChannelKindOf(tandem::reminders::v1::CHANNEL_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(ChannelKindOf(static_cast<tandem::reminders::v1::Channel>(42)), std::nullopt);
}

}  // namespace
}  // namespace tandem::reminders
