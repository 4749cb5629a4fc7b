// Recurring series through the gRPC API in process (SQLite, a real Redis): occurrences stay at their local
// wall-clock time across the 2027 US daylight-saving changes and in a half-hour zone; a change from an
// occurrence on keeps the local-time shift; the change scopes; who may book and change a series.
//
// The service reads the real clock, so the series are in 2027 (the future for these tests), except the one
// that needs an occurrence inside the late-cancellation window, which starts a few hours from now.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/audit/audit_entry.h"
#include "common/status/error_details.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "services/scheduling/api/scheduling_app.h"
#include "services/scheduling/domain/proto_time.h"
#include "tandem/scheduling/v1/scheduling.grpc.pb.h"
#include "tests/fixtures/redis_server.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;
using tandem::testing::ServiceFixture;
using ::testing::ElementsAre;

constexpr char kClinic[] = "c1";

absl::Time Utc(int y, int m, int d, int h, int min = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, h, min), absl::UTCTimeZone());
}
std::vector<absl::Time> Starts(const google::protobuf::RepeatedPtrField<v1::Appointment>& appointments) {
  std::vector<absl::Time> starts;
  for (const v1::Appointment& a : appointments) starts.push_back(FromProto(a.start_time()));
  return starts;
}

// A series for `clinician` and client k1 on the ISO `weekdays` at local `hour`:`minute`, 50 minutes.
v1::BookSeriesRequest SeriesRequest(const std::string& key, const std::string& clinician,
                                    absl::CivilDay first, const std::vector<int>& weekdays, int hour,
                                    int minute = 0) {
  v1::BookSeriesRequest request;
  request.set_clinic_id(kClinic);
  request.set_idempotency_key(key);
  request.set_clinician_id(clinician);
  request.add_client_ids("k1");
  request.set_modality(v1::MODALITY_TELEHEALTH);
  request.set_on_conflict(v1::SERIES_CONFLICT_POLICY_BOOK_NONE);
  v1::Recurrence& r = *request.mutable_recurrence();
  r.mutable_first_date()->set_year(static_cast<int32_t>(first.year()));
  r.mutable_first_date()->set_month(first.month());
  r.mutable_first_date()->set_day(first.day());
  for (int weekday : weekdays) r.add_weekdays(weekday);
  r.mutable_start()->set_hours(hour);
  r.mutable_start()->set_minutes(minute);
  r.set_duration_minutes(50);
  return request;
}
v1::BookSeriesRequest Counted(v1::BookSeriesRequest request, int count) {
  request.mutable_recurrence()->set_count(count);
  return request;
}

class SchedulingSeriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    tandem::testing::ServiceFixtureOptions options;
    options.redis_url = absl::StrCat("redis://127.0.0.1:", redis_->port());
    auto fixture = ServiceFixture::Start(SchedulingDefinition(), BuildScheduling, options);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = *std::move(fixture);
    stub_ = v1::SchedulingService::NewStub(fixture_->channel());
    AddClinician("ny", "America/New_York");
    AddClinician("kol", "Asia/Kolkata");
    AddClinician("utc", "UTC");
    v1::UpsertClientRequest client;
    client.mutable_client()->set_clinic_id(kClinic);
    client.mutable_client()->set_client_id("k1");
    client.mutable_client()->set_display_name("Client k1");
    client.mutable_client()->set_time_zone("Europe/Berlin");
    v1::Client stored;
    grpc::Status status = stub_->UpsertClient(Context(admin_).get(), client, &stored);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  void TearDown() override {
    stub_.reset();
    fixture_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = ServiceFixture::Context(token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  // A clinician working all day every day, with a 24-hour late-cancellation window.
  void AddClinician(const std::string& id, const std::string& zone) {
    v1::UpsertClinicianRequest request;
    v1::Clinician& c = *request.mutable_clinician();
    c.set_clinic_id(kClinic);
    c.set_clinician_id(id);
    c.set_display_name(absl::StrCat("Clinician ", id));
    c.set_time_zone(zone);
    c.set_default_session_minutes(50);
    c.set_late_cancellation_hours(24);
    c.set_booking_horizon_days(730);
    v1::Clinician stored;
    grpc::Status status = stub_->UpsertClinician(Context(admin_).get(), request, &stored);
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::SetAvailabilityRequest hours;
    hours.mutable_availability()->set_clinic_id(kClinic);
    hours.mutable_availability()->set_clinician_id(id);
    for (int weekday = 1; weekday <= 7; ++weekday) {
      v1::WorkingInterval* w = hours.mutable_availability()->add_working_hours();
      w->set_weekday(weekday);
      w->mutable_start()->set_hours(0);
      w->set_until_midnight(true);
    }
    v1::Availability availability;
    status = stub_->SetAvailability(Context(admin_).get(), hours, &availability);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status BookSeries(const v1::BookSeriesRequest& request, v1::BookSeriesResponse* out,
                          const std::string& token) {
    return stub_->BookSeries(Context(token).get(), request, out);
  }
  v1::BookSeriesResponse MustBookSeries(const v1::BookSeriesRequest& request) {
    v1::BookSeriesResponse response;
    grpc::Status status = BookSeries(request, &response, front_desk_);
    EXPECT_TRUE(status.ok()) << request.idempotency_key() << ": " << status.error_message();
    return response;
  }

  grpc::Status Reschedule(const std::string& id, absl::Time start, v1::ChangeScope scope,
                          const std::string& token) {
    v1::RescheduleAppointmentRequest request;
    request.set_clinic_id(kClinic);
    request.set_appointment_id(id);
    *request.mutable_start_time() = ToProto(start);
    *request.mutable_end_time() = ToProto(start + absl::Minutes(50));
    request.set_scope(scope);
    v1::Appointment response;
    return stub_->RescheduleAppointment(Context(token).get(), request, &response);
  }

  v1::Appointment Get(const std::string& id) {
    v1::GetAppointmentRequest request;
    request.set_clinic_id(kClinic);
    request.set_appointment_id(id);
    v1::Appointment out;
    grpc::Status status = stub_->GetAppointment(Context(admin_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
  // The stored start of each appointment of `series`, in its order.
  std::vector<absl::Time> StoredStarts(const v1::BookSeriesResponse& series) {
    std::vector<absl::Time> starts;
    for (const v1::Appointment& a : series.appointments()) {
      starts.push_back(FromProto(Get(a.appointment_id()).start_time()));
    }
    return starts;
  }

  std::vector<audit::AuditEntry> Rows() { return fixture_->AuditRows(kClinic); }

  const std::string admin_ = tandem::testing::PersonToken("admin", "a1", kClinic);
  const std::string front_desk_ = tandem::testing::PersonToken("front_desk", "f1", kClinic);
  const std::string client_ = tandem::testing::PersonToken("client", "k1", kClinic);
  const absl::TimeZone new_york_ = [] {
    absl::TimeZone zone;
    EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &zone));
    return zone;
  }();
  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
};

TEST_F(SchedulingSeriesTest, AWeeklySeriesStaysAtNineLocalAcrossBothClockChanges) {
  // Tuesdays at 09:00 New York: EST (UTC-5) until 2027-03-14, EDT (UTC-4) until 2027-11-07.
  const v1::BookSeriesResponse spring =
      MustBookSeries(Counted(SeriesRequest("spring", "ny", absl::CivilDay(2027, 3, 2), {2}, 9), 3));
  EXPECT_THAT(Starts(spring.appointments()),
              ElementsAre(Utc(2027, 3, 2, 14), Utc(2027, 3, 9, 14), Utc(2027, 3, 16, 13)));
  for (const v1::Appointment& a : spring.appointments()) {
    EXPECT_EQ(FromProto(a.end_time()) - FromProto(a.start_time()), absl::Minutes(50));
    EXPECT_EQ(a.series_id(), spring.series_id());
    EXPECT_EQ(a.status(), v1::APPOINTMENT_STATUS_BOOKED);
  }
  EXPECT_THAT(StoredStarts(spring),
              ElementsAre(Utc(2027, 3, 2, 14), Utc(2027, 3, 9, 14), Utc(2027, 3, 16, 13)));

  const v1::BookSeriesResponse autumn =
      MustBookSeries(Counted(SeriesRequest("autumn", "ny", absl::CivilDay(2027, 10, 26), {2}, 9), 3));
  EXPECT_THAT(Starts(autumn.appointments()),
              ElementsAre(Utc(2027, 10, 26, 13), Utc(2027, 11, 2, 13), Utc(2027, 11, 9, 14)));
}

TEST_F(SchedulingSeriesTest, MondayAndThursdayEveryOtherWeekUntilADate) {
  v1::BookSeriesRequest request =
      SeriesRequest("fortnightly", "ny", absl::CivilDay(2027, 4, 5), {1, 4}, 15, 30);
  request.mutable_recurrence()->set_interval_weeks(2);
  request.mutable_recurrence()->mutable_until()->set_year(2027);
  request.mutable_recurrence()->mutable_until()->set_month(5);
  request.mutable_recurrence()->mutable_until()->set_day(6);
  const v1::BookSeriesResponse series = MustBookSeries(request);
  // 15:30 EDT is 19:30Z; the weeks of 04-12 and 04-26 are skipped; 05-06 (the until date) is included.
  EXPECT_THAT(Starts(series.appointments()),
              ElementsAre(Utc(2027, 4, 5, 19, 30), Utc(2027, 4, 8, 19, 30), Utc(2027, 4, 19, 19, 30),
                          Utc(2027, 4, 22, 19, 30), Utc(2027, 5, 3, 19, 30), Utc(2027, 5, 6, 19, 30)));
}

TEST_F(SchedulingSeriesTest, AHalfHourZoneKeepsItsOffset) {
  // 18:30 in Kolkata (UTC+5:30, no daylight saving) is 13:00Z, also across the US change.
  const v1::BookSeriesResponse series =
      MustBookSeries(Counted(SeriesRequest("kolkata", "kol", absl::CivilDay(2027, 3, 10), {3}, 18, 30), 3));
  EXPECT_THAT(Starts(series.appointments()),
              ElementsAre(Utc(2027, 3, 10, 13), Utc(2027, 3, 17, 13), Utc(2027, 3, 24, 13)));
}

TEST_F(SchedulingSeriesTest, ThisAndFollowingMovesByTheLocalShiftAcrossTheClockChange) {
  // Tuesdays 09:00 New York: 02-23, 03-02, 03-09 (EST), 03-16, 03-23 (EDT).
  const v1::BookSeriesResponse series =
      MustBookSeries(Counted(SeriesRequest("moved", "ny", absl::CivilDay(2027, 2, 23), {2}, 9), 5));
  ASSERT_EQ(series.appointments_size(), 5);
  const absl::Time ten_local = absl::FromCivil(absl::CivilMinute(2027, 3, 9, 10, 0), new_york_);
  grpc::Status status = Reschedule(series.appointments(2).appointment_id(), ten_local,
                                   v1::CHANGE_SCOPE_THIS_AND_FOLLOWING, front_desk_);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(StoredStarts(series),
              ElementsAre(Utc(2027, 2, 23, 14), Utc(2027, 3, 2, 14), Utc(2027, 3, 9, 15),
                          Utc(2027, 3, 16, 14), Utc(2027, 3, 23, 14)));
  for (int i = 0; i < 5; ++i) {
    const v1::Appointment a = Get(series.appointments(i).appointment_id());
    EXPECT_EQ(a.revision(), i < 2 ? 1 : 2) << i;
    EXPECT_EQ(FromProto(a.end_time()) - FromProto(a.start_time()), absl::Minutes(50)) << i;
  }
}

TEST_F(SchedulingSeriesTest, AMoveThatSpansTheClockChangeKeepsTheLocalTime) {
  // The same hour's move changes nothing across a Sunday-night change, so this one also moves a day: from
  // Tuesday 03-09 09:00 EST to Monday 03-15 10:00 EDT is 6 days of wall clock but 6 days less an hour
  // elapsed. Every later occurrence must land at 10:00 local too.
  const v1::BookSeriesResponse series =
      MustBookSeries(Counted(SeriesRequest("spanning", "ny", absl::CivilDay(2027, 2, 23), {2}, 9), 5));
  ASSERT_EQ(series.appointments_size(), 5);
  const absl::Time monday_ten = absl::FromCivil(absl::CivilMinute(2027, 3, 15, 10, 0), new_york_);
  grpc::Status status = Reschedule(series.appointments(2).appointment_id(), monday_ten,
                                   v1::CHANGE_SCOPE_THIS_AND_FOLLOWING, front_desk_);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(StoredStarts(series),
              ElementsAre(Utc(2027, 2, 23, 14), Utc(2027, 3, 2, 14), Utc(2027, 3, 15, 14),
                          Utc(2027, 3, 22, 14), Utc(2027, 3, 29, 14)));
}

TEST_F(SchedulingSeriesTest, ThisOccurrenceMovesOnlyThatOne) {
  const v1::BookSeriesResponse series =
      MustBookSeries(Counted(SeriesRequest("one", "ny", absl::CivilDay(2027, 3, 3), {3}, 9), 3));
  ASSERT_EQ(series.appointments_size(), 3);
  grpc::Status status = Reschedule(series.appointments(1).appointment_id(), Utc(2027, 3, 10, 18),
                                   v1::CHANGE_SCOPE_THIS_OCCURRENCE, front_desk_);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(StoredStarts(series),
              ElementsAre(Utc(2027, 3, 3, 14), Utc(2027, 3, 10, 18), Utc(2027, 3, 17, 13)));
  EXPECT_EQ(Get(series.appointments(1).appointment_id()).series_id(), series.series_id());
}

TEST_F(SchedulingSeriesTest, WholeSeriesCancelCancelsEveryOccurrenceEachWithItsLateFlag) {
  // The first occurrence a few hours from now (inside the 24-hour window), then weekly.
  const absl::Time first = absl::FromUnixSeconds((absl::ToUnixSeconds(absl::Now()) / 3600 + 3) * 3600);
  const absl::CivilHour local = absl::ToCivilHour(first, absl::UTCTimeZone());
  const absl::CivilDay day(local);
  const v1::BookSeriesResponse series = MustBookSeries(Counted(
      SeriesRequest("late", "utc", day, {static_cast<int>(absl::GetWeekday(day)) + 1}, local.hour()), 3));
  ASSERT_EQ(series.appointments_size(), 3);
  ASSERT_EQ(FromProto(series.appointments(0).start_time()), first);

  v1::CancelAppointmentRequest request;
  request.set_clinic_id(kClinic);
  request.set_appointment_id(series.appointments(1).appointment_id());
  request.set_scope(v1::CHANGE_SCOPE_WHOLE_SERIES);
  v1::Appointment response;
  grpc::Status status = stub_->CancelAppointment(Context(front_desk_).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (int i = 0; i < 3; ++i) {
    const v1::Appointment a = Get(series.appointments(i).appointment_id());
    EXPECT_EQ(a.status(), v1::APPOINTMENT_STATUS_CANCELLED) << i;
    EXPECT_EQ(a.late_cancellation(), i == 0) << i;
  }
}

TEST_F(SchedulingSeriesTest, AClientMayNotBookOrChangeASeries) {
  size_t before = Rows().size();
  v1::BookSeriesResponse response;
  grpc::Status status = BookSeries(
      Counted(SeriesRequest("by-client", "ny", absl::CivilDay(2027, 3, 2), {2}, 9), 3), &response, client_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  std::vector<audit::AuditEntry> rows = Rows();
  ASSERT_EQ(rows.size(), before + 1);
  EXPECT_EQ(rows.back().outcome, audit::kOutcomeDenied);
  EXPECT_EQ(rows.back().actor, "k1");

  const v1::BookSeriesResponse series =
      MustBookSeries(Counted(SeriesRequest("theirs", "ny", absl::CivilDay(2027, 3, 2), {2}, 9), 3));
  ASSERT_EQ(series.appointments_size(), 3);
  before = Rows().size();
  status = Reschedule(series.appointments(0).appointment_id(), Utc(2027, 3, 2, 16),
                      v1::CHANGE_SCOPE_THIS_AND_FOLLOWING, client_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  rows = Rows();
  ASSERT_GE(rows.size(), before + 1);
  EXPECT_EQ(rows.back().outcome, audit::kOutcomeDenied);
  EXPECT_EQ(rows.back().actor, "k1");
  EXPECT_THAT(StoredStarts(series),
              ElementsAre(Utc(2027, 3, 2, 14), Utc(2027, 3, 9, 14), Utc(2027, 3, 16, 13)));
}

TEST_F(SchedulingSeriesTest, BookNoneNamesTheAppointmentInTheWay) {
  v1::BookAppointmentRequest single;
  single.set_clinic_id(kClinic);
  single.set_idempotency_key("single");
  single.set_clinician_id("ny");
  single.add_client_ids("k1");
  *single.mutable_start_time() = ToProto(Utc(2027, 3, 9, 14, 30));
  *single.mutable_end_time() = ToProto(Utc(2027, 3, 9, 15, 20));
  single.set_modality(v1::MODALITY_TELEHEALTH);
  v1::Appointment in_the_way;
  grpc::Status status = stub_->BookAppointment(Context(front_desk_).get(), single, &in_the_way);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::BookSeriesResponse response;
  status = BookSeries(Counted(SeriesRequest("blocked", "ny", absl::CivilDay(2027, 3, 2), {2}, 9), 3),
                      &response, front_desk_);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  auto failure = FindDetail<google::rpc::PreconditionFailure>(FromGrpcStatus(status));
  ASSERT_TRUE(failure.has_value()) << status.error_message();
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).subject(), "appointments/" + in_the_way.appointment_id());

  v1::ListAppointmentsRequest list;
  list.set_clinic_id(kClinic);
  v1::ListAppointmentsResponse listed;
  status = stub_->ListAppointments(Context(admin_).get(), list, &listed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(listed.appointments_size(), 1) << "nothing of the series was booked";
  EXPECT_EQ(listed.appointments(0).appointment_id(), in_the_way.appointment_id());
}

}  // namespace
}  // namespace tandem::scheduling
