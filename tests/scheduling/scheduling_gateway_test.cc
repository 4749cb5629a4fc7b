// The scheduling API over HTTP: the service in process on the real runtime (SQLite, real Redis) behind the
// real gateway, and every public route of SchedulingService called through it as a browser would, with JSON
// bodies and query strings. Bad input is a 400 whose details name the fields; another clinic's caller gets
// 404. The route list comes from the gateway's own route table, so a route added to the proto fails here
// until it is exercised.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/gateway_server.h"
#include "services/scheduling/api/scheduling_app.h"
#include "tandem/scheduling/v1/scheduling.grpc.pb.h"
#include "tests/fixtures/redis_server.h"
#include "tests/support/http_client.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;
using boost::beast::http::verb;
using tandem::testing::HttpReply;
using tandem::testing::PersonToken;
using tandem::testing::ServiceFixture;

// RFC 3339 in UTC, as proto3 JSON writes a Timestamp.
std::string Rfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

// A whole hour `hours` ahead of the hour the process started in.
absl::Time Hour(int hours) {
  // Fixed for the process, so that an hour turning during a test does not move its instants.
  static const int64_t kThisHour = absl::ToUnixSeconds(absl::Now()) / 3600;
  return absl::FromUnixSeconds((kThisHour + hours) * 3600);
}

// The fields a 400's google.rpc.BadRequest names.
std::set<std::string> ViolatedFields(const HttpReply& reply) {
  std::set<std::string> fields;
  const nlohmann::json body = reply.json();
  if (!body.is_object() || !body.contains("details")) return fields;
  for (const nlohmann::json& detail : body["details"]) {
    if (detail.value("@type", "") != "type.googleapis.com/google.rpc.BadRequest") continue;
    for (const nlohmann::json& v : detail["fieldViolations"]) fields.insert(v.value("field", ""));
  }
  return fields;
}

class SchedulingGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto fixture = ServiceFixture::Start(
        SchedulingDefinition(), BuildScheduling,
        {.db_url = "", .redis_url = absl::StrCat("redis://127.0.0.1:", redis_->port())});
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = *std::move(fixture);
    gateway::GatewayConfig config;
    config.http.address = "127.0.0.1";
    config.backends.push_back({std::string(v1::SchedulingService::service_full_name()),
                               absl::StrCat("127.0.0.1:", fixture_->port())});
    auto created = gateway::GatewayServer::Create(std::move(config), tandem::testing::TestVerifier());
    ASSERT_TRUE(created.ok()) << created.status();
    gateway_ = *std::move(created);
    ASSERT_TRUE(gateway_->Start().ok());
  }
  void TearDown() override {
    if (gateway_) gateway_->Shutdown(absl::Seconds(1));
    fixture_.reset();
  }

  // One HTTP exchange through the gateway, recorded as a call of the gRPC method `method` when it got there.
  HttpReply Call(const std::string& method, verb v, const std::string& target, const nlohmann::json& body,
                 const std::string& token) {
    const std::string text = body.is_null() ? std::string() : body.dump();
    HttpReply reply = tandem::testing::HttpCall(gateway_->port(), {v, target, text, token, {}});
    if (reply.status == 200) called_.insert(method);
    return reply;
  }

  // Every SchedulingService method the gateway routes, by name.
  std::set<std::string> RoutedMethods() {
    std::set<std::string> methods;
    for (const auto& route : gateway_->routes().routes()) methods.insert(route->method->name());
    return methods;
  }

  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<gateway::GatewayServer> gateway_;
  std::set<std::string> called_;  // methods answered 200 through the gateway
};

TEST_F(SchedulingGatewayTest, EveryPublicRouteWorksOverHttp) {
  const std::string admin = PersonToken("admin", "a1", "c1");
  const std::string desk = PersonToken("front_desk", "f1", "c1");
  const std::string clinician = PersonToken("clinician", "cl1", "c1");
  const std::string base = "/v1/clinics/c1";

  HttpReply r = Call("UpsertClinician", verb::put, base + "/clinicians/cl1",
                     {{"displayName", "Dr Lee"},
                      {"timeZone", "America/New_York"},
                      {"defaultSessionMinutes", 50},
                      {"lateCancellationHours", 24},
                      {"bookingHorizonDays", 730}},
                     admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["clinicianId"], "cl1");
  EXPECT_EQ(r.json()["clinicId"], "c1");

  nlohmann::json hours = nlohmann::json::array();
  for (int weekday = 1; weekday <= 7; ++weekday) {
    hours.push_back(
        {{"weekday", weekday}, {"start", {{"hours", 0}}}, {"end", {{"hours", 0}}}, {"untilMidnight", true}});
  }
  r = Call("SetAvailability", verb::put, base + "/clinicians/cl1/availability", {{"workingHours", hours}},
           desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["workingHours"].size(), 7U);

  r = Call("UpsertClient", verb::put, base + "/clients/k1",
           {{"displayName", "Robin"}, {"timeZone", "Europe/Berlin"}}, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("SetCareTeam", verb::put, base + "/clients/k1/care-team", {{"clinicianIds", {"cl1"}}}, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["careTeam"], nlohmann::json::array({"cl1"}));

  r = Call("GetClinician", verb::get, base + "/clinicians/cl1", nullptr, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["timeZone"], "America/New_York");
  r = Call("GetAvailability", verb::get, base + "/clinicians/cl1/availability", nullptr, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("GetClient", verb::get, base + "/clients/k1", nullptr, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["displayName"], "Robin");

  auto book = [&](const std::string& key, absl::Time start) {
    return Call("BookAppointment", verb::post, base + "/appointments",
                {{"idempotencyKey", key},
                 {"clinicianId", "cl1"},
                 {"clientIds", {"k1"}},
                 {"startTime", Rfc3339(start)},
                 {"endTime", Rfc3339(start + absl::Minutes(50))},
                 {"modality", "MODALITY_TELEHEALTH"}},
                desk);
  };
  r = book("gw-1", Hour(30));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "APPOINTMENT_STATUS_BOOKED");
  const std::string first = r.json()["appointmentId"];
  r = book("gw-2", Hour(2));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string second = r.json()["appointmentId"];
  // The same slot again is a 409 naming the appointment in the way.
  r = book("gw-3", Hour(30));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find(first), std::string::npos) << r.body;

  r = Call("GetAppointment", verb::get, base + "/appointments/" + first, nullptr, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["appointmentId"], first);

  r = Call("RescheduleAppointment", verb::post, base + "/appointments/" + first + ":reschedule",
           {{"startTime", Rfc3339(Hour(32))}, {"endTime", Rfc3339(Hour(32) + absl::Minutes(50))}}, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["startTime"], Rfc3339(Hour(32)));

  r = Call("CancelAppointment", verb::post, base + "/appointments/" + second + ":cancel",
           {{"reason", "feeling unwell"}}, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "APPOINTMENT_STATUS_CANCELLED");
  EXPECT_EQ(r.json()["lateCancellation"], true);

  r = Call("RecordAttendance", verb::post, base + "/appointments/" + first + ":attendance",
           {{"action", "ATTENDANCE_ACTION_ARRIVE"}}, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "APPOINTMENT_STATUS_ARRIVED");

  r = Call("ListAppointments", verb::get, base + "/appointments?clinicianId=cl1&page.pageSize=10", nullptr,
           desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["appointments"].size(), 2U);
  // A clinician's listing is their own without naming themselves.
  r = Call("ListAppointments", verb::get, base + "/appointments", nullptr, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["appointments"].size(), 2U);

  const absl::TimeZone new_york = [] {
    absl::TimeZone zone;
    EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &zone));
    return zone;
  }();
  const absl::CivilDay local_day = absl::ToCivilDay(Hour(32), new_york);
  r = Call("GetClinicianDay", verb::get,
           absl::StrCat(base, "/clinicians/cl1/day?date.year=", local_day.year(),
                        "&date.month=", local_day.month(), "&date.day=", local_day.day()),
           nullptr, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["timeZone"], "America/New_York");
  ASSERT_GE(r.json()["appointments"].size(), 1U);

  // 2027-01-12: New York is on standard time, Berlin too; the client's zone is shown.
  r = Call("FindSlots", verb::get,
           base +
               "/slots?clinicianIds=cl1&firstDate.year=2027&firstDate.month=1&firstDate.day=12"
               "&lastDate.year=2027&lastDate.month=1&lastDate.day=12&durationMinutes=60&stepMinutes=60"
               "&clientId=k1",
           nullptr, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["slots"].size(), 24U) << r.body;
  EXPECT_EQ(r.json()["slots"][0]["localStart"]["timeZone"], "Europe/Berlin");

  r = Call("GetAttendanceSummary", verb::get,
           absl::StrCat(base, "/clients/k1/attendance?startTime=", Rfc3339(Hour(0)),
                        "&endTime=", Rfc3339(Hour(24 * 10))),
           nullptr, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["booked"], 2);
  EXPECT_EQ(r.json()["cancelled"], 1);
  EXPECT_EQ(r.json()["lateCancelled"], 1);
  EXPECT_EQ(r.json()["upcoming"], 1);

  // A weekly series two and three weeks ahead, outside the windows counted above.
  const absl::CivilDay series_day = absl::ToCivilDay(Hour(24 * 14), new_york);
  r = Call("BookSeries", verb::post, base + "/series",
           {{"idempotencyKey", "gw-series"},
            {"clinicianId", "cl1"},
            {"clientIds", {"k1"}},
            {"modality", "MODALITY_TELEHEALTH"},
            {"recurrence",
             {{"firstDate",
               {{"year", series_day.year()}, {"month", series_day.month()}, {"day", series_day.day()}}},
              {"weekdays", {static_cast<int>(absl::GetWeekday(series_day)) + 1}},
              {"start", {{"hours", 10}}},
              {"durationMinutes", 50},
              {"count", 2}}},
            {"onConflict", "SERIES_CONFLICT_POLICY_BOOK_NONE"}},
           desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["appointments"].size(), 2U);

  // A calendar feed: created and listed with a bearer token, fetched with the token in its URL only.
  r = Call("CreateCalendarFeed", verb::post, base + "/clinicians/cl1/calendar-feeds",
           nlohmann::json::object(), clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string feed_path = r.json()["urlPath"];
  const std::string feed_id = r.json()["feedId"];
  r = Call("ListCalendarFeeds", verb::get, base + "/clinicians/cl1/calendar-feeds", nullptr, clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["feeds"].size(), 1U);
  r = Call("GetCalendarFeed", verb::get, feed_path, nullptr, "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("BEGIN:VEVENT"), std::string::npos) << r.body;
  r = Call("RevokeCalendarFeed", verb::delete_, base + "/calendar-feeds/" + feed_id, nullptr, admin);
  ASSERT_EQ(r.status, 200) << r.body;

  // The waitlist: two clients wait for cl1 at any hour of the week. A cancellation frees a slot, which the
  // worker running in process holds for the first of them; declined, it goes to the second, who accepts it.
  for (const std::string client : {"k2", "k3"}) {
    r = Call("UpsertClient", verb::put, absl::StrCat(base, "/clients/", client),
             {{"displayName", "Waiting"}, {"timeZone", "Europe/Berlin"}}, desk);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto join = [&](const std::string& client) {
    return Call("JoinWaitlist", verb::post, base + "/waitlist",
                {{"clientId", client},
                 {"clinicianId", "cl1"},
                 {"windows", hours},
                 {"modality", "MODALITY_TELEHEALTH"}},
                desk);
  };
  r = Call("JoinWaitlist", verb::post, base + "/waitlist",
           {{"clientId", "a b"},
            {"clinicianId", "cl1"},
            {"windows",
             nlohmann::json::array({{{"weekday", 8}, {"start", {{"hours", 9}}}, {"end", {{"hours", 10}}}}})},
            {"timeZone", "Mars/Base"}},
           desk);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ViolatedFields(r), (std::set<std::string>{"entry.client_id", "entry.windows[0].weekday",
                                                      "entry.time_zone", "entry.modality"}))
      << r.body;
  r = join("k2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "WAITLIST_STATUS_WAITING");
  EXPECT_EQ(r.json()["timeZone"], "Europe/Berlin");  // the client's zone when none is named
  const std::string first_entry = r.json()["entryId"];
  r = join("k3");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string second_entry = r.json()["entryId"];
  EXPECT_EQ(join("k2").status, 409) << "a client waits once per clinician";

  // The offer made for `entry_id` once the worker got to it (empty after 5 s without one).
  auto offer_for = [&](const std::string& entry_id) -> std::string {
    for (const absl::Time deadline = absl::Now() + absl::Seconds(5); absl::Now() < deadline;) {
      const HttpReply list =
          Call("ListWaitlist", verb::get, base + "/waitlist?clinicianId=cl1", nullptr, clinician);
      EXPECT_EQ(list.status, 200) << list.body;
      const nlohmann::json body = list.json();
      for (const nlohmann::json& entry : body.value("entries", nlohmann::json::array())) {
        if (entry.value("entryId", "") == entry_id &&
            entry.value("status", "") == "WAITLIST_STATUS_OFFERED") {
          return entry.value("offerAppointmentId", "");
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return "";
  };
  r = book("gw-waitlist", Hour(24 * 5));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string freed = r.json()["appointmentId"];
  r = Call("CancelAppointment", verb::post, base + "/appointments/" + freed + ":cancel",
           nlohmann::json::object(), desk);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string first_hold = offer_for(first_entry);
  ASSERT_FALSE(first_hold.empty()) << "the freed slot was not offered to the first in the queue";
  r = Call("GetAppointment", verb::get, base + "/appointments/" + first_hold, nullptr, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "APPOINTMENT_STATUS_PROPOSED");
  EXPECT_EQ(r.json()["clientIds"], nlohmann::json::array({"k2"}));
  EXPECT_EQ(r.json()["startTime"], Rfc3339(Hour(24 * 5)));
  EXPECT_EQ(r.json()["waitlistEntryId"], first_entry);
  EXPECT_TRUE(r.json().contains("holdExpireTime")) << r.body;

  r = Call("DeclineWaitlistOffer", verb::post, base + "/appointments/" + first_hold + ":decline",
           nlohmann::json::object(), PersonToken("client", "k2", "c1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "APPOINTMENT_STATUS_CANCELLED");
  const std::string second_hold = offer_for(second_entry);
  ASSERT_FALSE(second_hold.empty()) << "the declined slot was not offered to the next in the queue";
  EXPECT_NE(second_hold, first_hold);
  r = Call("AcceptWaitlistOffer", verb::post, base + "/appointments/" + second_hold + ":accept",
           nlohmann::json::object(), PersonToken("client", "k3", "c1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "APPOINTMENT_STATUS_BOOKED");
  EXPECT_EQ(r.json()["clientIds"], nlohmann::json::array({"k3"}));
  r = Call("ListWaitlist", verb::get, base + "/waitlist?clientId=k3&includeClosed=true", nullptr, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["entries"].size(), 1U) << r.body;
  EXPECT_EQ(r.json()["entries"][0]["status"], "WAITLIST_STATUS_BOOKED");
  EXPECT_EQ(r.json()["entries"][0]["offerAppointmentId"], second_hold);

  // Another clinic's admin cannot see or remove c1's entry, under either clinic's path.
  const std::string other = PersonToken("admin", "a1", "c2");
  r = Call("LeaveWaitlist", verb::delete_, base + "/waitlist/" + first_entry, nullptr, other);
  EXPECT_EQ(r.status, 404) << r.body;
  r = Call("LeaveWaitlist", verb::delete_, "/v1/clinics/c2/waitlist/" + first_entry, nullptr, other);
  EXPECT_EQ(r.status, 404) << r.body;
  // The first client, having declined, still waits and may leave.
  r = Call("LeaveWaitlist", verb::delete_, base + "/waitlist/" + first_entry, nullptr, desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "WAITLIST_STATUS_LEFT");

  const std::set<std::string> routed = RoutedMethods();
  EXPECT_EQ(routed.count("CheckCareTeam"), 0U) << "an internal RPC is public";
  EXPECT_EQ(routed.count("GetContact"), 0U) << "an internal RPC is public";
  for (const std::string& method : routed) {
    EXPECT_EQ(called_.count(method), 1U) << method << " was not exercised";
  }
}

TEST_F(SchedulingGatewayTest, BadInputIsA400NamingTheFieldsAndAnotherClinicIsA404) {
  const std::string admin = PersonToken("admin", "a1", "c1");
  HttpReply r = Call("UpsertClinician", verb::put, "/v1/clinics/c1/clinicians/cl1",
                     {{"displayName", "Dr Lee"}, {"timeZone", "UTC"}}, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("UpsertClient", verb::put, "/v1/clinics/c1/clients/k1",
           {{"displayName", "Robin"}, {"timeZone", "UTC"}}, admin);
  ASSERT_EQ(r.status, 200) << r.body;

  // The service's own validation: every bad field at once.
  r = Call("BookAppointment", verb::post, "/v1/clinics/c1/appointments",
           {{"clinicianId", "cl1"},
            {"clientIds", {"k1", "k2", "k3"}},
            {"startTime", Rfc3339(Hour(30))},
            {"endTime", Rfc3339(Hour(29))},
            {"modality", "MODALITY_TELEHEALTH"}},
           admin);
  ASSERT_EQ(r.status, 400) << r.body;
  const std::set<std::string> fields = ViolatedFields(r);
  for (const std::string field : {"idempotency_key", "client_ids", "end_time"}) {
    EXPECT_EQ(fields.count(field), 1U) << field << " not named: " << r.body;
  }
  // A zone that does not exist.
  r = Call("UpsertClient", verb::put, "/v1/clinics/c1/clients/k2",
           {{"displayName", "Sam"}, {"timeZone", "Mars/Base"}}, admin);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ViolatedFields(r).count("client.time_zone"), 1U) << r.body;
  // The gateway's: a query parameter the request does not have.
  r = Call("ListAppointments", verb::get, "/v1/clinics/c1/appointments?colour=blue", nullptr, admin);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ViolatedFields(r).count("colour"), 1U) << r.body;
  r = Call("ListAppointments", verb::get, "/v1/clinics/c1/appointments", nullptr, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["appointments"].empty()) << "bad input wrote an appointment";

  // Another clinic's admin: 404 for reads and writes, and clinic c1 unchanged.
  const std::string other = PersonToken("admin", "a1", "c2");
  EXPECT_EQ(Call("GetClient", verb::get, "/v1/clinics/c1/clients/k1", nullptr, other).status, 404);
  r = Call("UpsertClient", verb::put, "/v1/clinics/c1/clients/k1",
           {{"displayName", "Changed"}, {"timeZone", "UTC"}}, other);
  EXPECT_EQ(r.status, 404) << r.body;
  r = Call("GetClient", verb::get, "/v1/clinics/c1/clients/k1", nullptr, admin);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["displayName"], "Robin");
  // No token, and a role the rule refuses.
  EXPECT_EQ(Call("GetClient", verb::get, "/v1/clinics/c1/clients/k1", nullptr, "").status, 401);
  EXPECT_EQ(
      Call("GetClient", verb::get, "/v1/clinics/c1/clients/k1", nullptr, PersonToken("support", "s1", "c1"))
          .status,
      403);
}

// Calendar apps cannot send a bearer token: the feed's URL is its credential. Without an Authorization
// header the gateway answers text/calendar; after revocation the same URL is a 404, as is any other token,
// and the document names no client.
TEST_F(SchedulingGatewayTest, ACalendarFeedIsFetchedByItsUrlAloneUntilRevoked) {
  const std::string admin = PersonToken("admin", "a1", "c1");
  const std::string clinician = PersonToken("clinician", "cl1", "c1");
  HttpReply r = Call("UpsertClinician", verb::put, "/v1/clinics/c1/clinicians/cl1",
                     {{"displayName", "Dr Lee"}, {"timeZone", "UTC"}, {"bookingHorizonDays", 730}}, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("UpsertClient", verb::put, "/v1/clinics/c1/clients/k1",
           {{"displayName", "Robin Quill"}, {"timeZone", "UTC"}}, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("BookAppointment", verb::post, "/v1/clinics/c1/appointments",
           {{"idempotencyKey", "gw-feed-1"},
            {"clinicianId", "cl1"},
            {"clientIds", {"k1"}},
            {"startTime", Rfc3339(Hour(30))},
            {"endTime", Rfc3339(Hour(31))},
            {"modality", "MODALITY_IN_PERSON"},
            {"room", "Blue Room"}},
           admin);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string appointment_id = r.json()["appointmentId"];

  r = Call("CreateCalendarFeed", verb::post, "/v1/clinics/c1/clinicians/cl1/calendar-feeds",
           nlohmann::json::object(), clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string path = r.json()["urlPath"];
  const std::string feed_id = r.json()["feedId"];
  const std::string token = r.json()["token"];
  ASSERT_EQ(path, "/v1/calendar-feeds/" + token);

  r = Call("GetCalendarFeed", verb::get, path, nullptr, "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(std::string(r.headers[boost::beast::http::field::content_type]), "text/calendar; charset=utf-8");
  EXPECT_EQ(r.body.rfind("BEGIN:VCALENDAR\r\n", 0), 0U) << r.body;
  EXPECT_NE(r.body.find(absl::StrCat("UID:", appointment_id, "@tandem")), std::string::npos) << r.body;
  for (const std::string leak : {"k1", "Robin", "Quill", "Blue Room"}) {
    EXPECT_EQ(r.body.find(leak), std::string::npos) << leak << " in " << r.body;
  }
  // A bearer token sent anyway changes nothing.
  EXPECT_EQ(Call("GetCalendarFeed", verb::get, path, nullptr, admin).status, 200);

  // Unknown and malformed tokens: the same 404, never repeating what was sent.
  std::string unknown = token;
  unknown[0] = unknown[0] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {unknown, std::string("short"), std::string(200, 'x')}) {
    r = Call("GetCalendarFeed", verb::get, "/v1/calendar-feeds/" + bad, nullptr, "");
    EXPECT_EQ(r.status, 404) << bad;
    EXPECT_EQ(r.body.find(bad), std::string::npos) << r.body;
  }

  r = Call("RevokeCalendarFeed", verb::delete_, "/v1/clinics/c1/calendar-feeds/" + feed_id, nullptr,
           clinician);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("GetCalendarFeed", verb::get, path, nullptr, "");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.body.find(token), std::string::npos) << r.body;
}

}  // namespace
}  // namespace tandem::scheduling
