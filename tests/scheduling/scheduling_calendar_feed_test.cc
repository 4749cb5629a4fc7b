// Calendar feeds through the scheduling gRPC API in process (SQLite, real Redis): a clinician's feed URL is
// created with a bearer token and fetched with its token alone; the document holds the clinician's
// appointments of the window and nothing of a client; the token is stored hashed and appears in no audit row;
// revocation, an unknown token and a malformed one are the same NOT_FOUND; a clinician manages only their own
// feeds.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/audit/audit_entry.h"
#include "common/db/database.h"
#include "common/status/status_macros.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "services/scheduling/api/feed_token.h"
#include "services/scheduling/api/scheduling_app.h"
#include "services/scheduling/domain/proto_time.h"
#include "tandem/scheduling/v1/scheduling.grpc.pb.h"
#include "tests/fixtures/redis_server.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;
using tandem::testing::PersonToken;
using tandem::testing::ServiceFixture;

constexpr char kClinic[] = "c1";

// A whole hour `hours` from the hour the process started in.
absl::Time Hour(int hours) {
  static const int64_t kThisHour = absl::ToUnixSeconds(absl::Now()) / 3600;
  return absl::FromUnixSeconds((kThisHour + hours) * 3600);
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Clinicians cl1 and cl2 in clinic c1, client k1 ("Robin Quill") on both care teams, and cl1's calendar:
// a telehealth session with a link, an in-person one in a named room, one cancelled with a reason, and one
// beyond the feed's window; cl2 has one of their own.
class CalendarFeedTest : public ::testing::Test {
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
    Seed();
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = ServiceFixture::Context(token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  void Seed() {
    for (const std::string id : {"cl1", "cl2"}) {
      v1::UpsertClinicianRequest clinician;
      v1::Clinician& c = *clinician.mutable_clinician();
      c.set_clinic_id(kClinic);
      c.set_clinician_id(id);
      c.set_display_name(absl::StrCat("Clinician ", id));
      c.set_time_zone("UTC");
      c.set_booking_horizon_days(730);
      v1::Clinician out;
      grpc::Status status = stub_->UpsertClinician(Context(admin_).get(), clinician, &out);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    v1::UpsertClientRequest client;
    client.mutable_client()->set_clinic_id(kClinic);
    client.mutable_client()->set_client_id("k1");
    client.mutable_client()->set_display_name("Robin Quill");
    client.mutable_client()->set_time_zone("UTC");
    v1::Client client_out;
    ASSERT_TRUE(stub_->UpsertClient(Context(admin_).get(), client, &client_out).ok());
    v1::SetCareTeamRequest team;
    team.set_clinic_id(kClinic);
    team.set_client_id("k1");
    team.add_clinician_ids("cl1");
    team.add_clinician_ids("cl2");
    ASSERT_TRUE(stub_->SetCareTeam(Context(admin_).get(), team, &client_out).ok());

    telehealth_ = Book("cl1", Hour(24), v1::MODALITY_TELEHEALTH);
    in_person_ = Book("cl1", Hour(26), v1::MODALITY_IN_PERSON);
    cancelled_ = Book("cl1", Hour(28), v1::MODALITY_IN_PERSON);
    beyond_ = Book("cl1", Hour(24 * 200), v1::MODALITY_TELEHEALTH);
    others_ = Book("cl2", Hour(30), v1::MODALITY_TELEHEALTH);
    v1::CancelAppointmentRequest cancel;
    cancel.set_clinic_id(kClinic);
    cancel.set_appointment_id(cancelled_);
    cancel.set_reason("Robin is in hospital after a panic attack");
    v1::Appointment out;
    grpc::Status status = stub_->CancelAppointment(Context(admin_).get(), cancel, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string Book(const std::string& clinician, absl::Time start, v1::Modality modality) {
    v1::BookAppointmentRequest request;
    request.set_clinic_id(kClinic);
    request.set_idempotency_key(absl::StrCat("feed-", clinician, "-", absl::ToUnixSeconds(start)));
    request.set_clinician_id(clinician);
    request.add_client_ids("k1");
    *request.mutable_start_time() = ToProto(start);
    *request.mutable_end_time() = ToProto(start + absl::Minutes(50));
    request.set_modality(modality);
    if (modality == v1::MODALITY_TELEHEALTH) {
      request.set_telehealth_url("https://video.example/room/zq7");
    } else {
      request.set_room("Willow Room");
    }
    v1::Appointment out;
    grpc::Status status = stub_->BookAppointment(Context(admin_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.appointment_id();
  }

  grpc::Status Create(const std::string& token, const std::string& clinician, v1::CalendarFeed* out) {
    v1::CreateCalendarFeedRequest request;
    request.set_clinic_id(kClinic);
    request.set_clinician_id(clinician);
    return stub_->CreateCalendarFeed(Context(token).get(), request, out);
  }
  grpc::Status Revoke(const std::string& token, const std::string& feed_id) {
    v1::RevokeCalendarFeedRequest request;
    request.set_clinic_id(kClinic);
    request.set_feed_id(feed_id);
    v1::RevokeCalendarFeedResponse out;
    return stub_->RevokeCalendarFeed(Context(token).get(), request, &out);
  }
  grpc::Status List(const std::string& token, const std::string& clinician,
                    v1::ListCalendarFeedsResponse* out) {
    v1::ListCalendarFeedsRequest request;
    request.set_clinic_id(kClinic);
    request.set_clinician_id(clinician);
    return stub_->ListCalendarFeeds(Context(token).get(), request, out);
  }
  // The feed as a calendar app fetches it: no bearer token unless `bearer` is given.
  grpc::Status Fetch(const std::string& feed_token, tandem::api::v1::HttpBody* out,
                     const std::string& bearer = "") {
    v1::GetCalendarFeedRequest request;
    request.set_feed_token(feed_token);
    return stub_->GetCalendarFeed(Context(bearer).get(), request, out);
  }

  std::vector<audit::AuditEntry> Rows() { return fixture_->AuditRows(kClinic); }

  const std::string admin_ = PersonToken("admin", "a1", kClinic);
  const std::string cl1_ = PersonToken("clinician", "cl1", kClinic);
  const std::string cl2_ = PersonToken("clinician", "cl2", kClinic);
  std::string telehealth_, in_person_, cancelled_, beyond_, others_;
  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
};

TEST_F(CalendarFeedTest, TheFeedUrlAloneOpensTheCliniciansCalendarWithNothingOfTheClient) {
  v1::CalendarFeed feed;
  grpc::Status status = Create(cl1_, "cl1", &feed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(feed.clinician_id(), "cl1");
  EXPECT_FALSE(feed.feed_id().empty());
  EXPECT_EQ(feed.token().size(), 43U);
  EXPECT_EQ(feed.url_path(), "/v1/calendar-feeds/" + feed.token());
  EXPECT_TRUE(feed.has_create_time());

  tandem::api::v1::HttpBody body;
  status = Fetch(feed.token(), &body);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(body.content_type(), "text/calendar; charset=utf-8");
  const std::string& doc = body.data();
  EXPECT_EQ(doc.rfind("BEGIN:VCALENDAR\r\n", 0), 0U) << doc;
  EXPECT_EQ(Count(doc, "BEGIN:VEVENT\r\n"), 3) << doc;
  for (const std::string& id : {telehealth_, in_person_, cancelled_}) {
    EXPECT_EQ(Count(doc, absl::StrCat("UID:", id, "@tandem\r\n")), 1) << id;
  }
  EXPECT_EQ(doc.find(beyond_), std::string::npos) << "outside the window";
  EXPECT_EQ(doc.find(others_), std::string::npos) << "another clinician's";
  EXPECT_EQ(Count(doc, "STATUS:CANCELLED\r\n"), 1) << doc;
  EXPECT_EQ(Count(doc, "SUMMARY:Session (telehealth)\r\n"), 1) << doc;
  EXPECT_EQ(Count(doc, "SUMMARY:Session (in person)\r\n"), 2) << doc;
  for (const std::string leak : {"k1", "Robin", "Quill", "Willow", "video.example", "zq7", "hospital",
                                 "panic", "cl1", feed.token().c_str()}) {
    EXPECT_EQ(doc.find(leak), std::string::npos) << leak << " in the feed";
  }

  // The fetch is audited as the feed, and no audit row holds the token.
  const std::vector<audit::AuditEntry> rows = Rows();
  ASSERT_FALSE(rows.empty());
  const audit::AuditEntry& fetch = rows.back();
  EXPECT_EQ(fetch.actor, "calendar-feed/" + feed.feed_id());
  EXPECT_EQ(fetch.action, "calendar_feed.fetch");
  EXPECT_EQ(fetch.resource_type, "calendar_feed");
  EXPECT_EQ(fetch.resource_id, feed.feed_id());
  EXPECT_EQ(fetch.outcome, audit::kOutcomeOk);
  bool created = false;
  for (const audit::AuditEntry& row : rows) {
    if (row.action == "calendar_feed.create" && row.resource_id == feed.feed_id() && row.actor == "cl1") {
      created = true;
    }
    for (const std::string* field : {&row.actor, &row.resource_id, &row.reason, &row.request_id}) {
      EXPECT_FALSE(absl::StrContains(*field, feed.token()));
    }
  }
  EXPECT_TRUE(created) << "the creation has no audit row";

  // A bearer token sent with the fetch is ignored: even another clinic's admin's.
  status = Fetch(feed.token(), &body, PersonToken("admin", "a9", "c2"));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(CalendarFeedTest, OnlyTheTokensHashIsStoredAndListingsShowNoToken) {
  v1::CalendarFeed feed;
  ASSERT_TRUE(Create(admin_, "cl1", &feed).ok());
  std::vector<std::string> hashes;
  ASSERT_TRUE(fixture_->runtime()
                  .database()
                  .RunInTransaction(db::TxMode::kRead,
                                    [&](db::Transaction& tx) -> absl::Status {
                                      ASSIGN_OR_RETURN(db::ResultSet rows,
                                                       tx.Execute("SELECT * FROM calendar_feeds", {}));
                                      for (const db::Row& row : rows) {
                                        ASSIGN_OR_RETURN(std::string hash, row.GetText("token_hash"));
                                        hashes.push_back(std::move(hash));
                                      }
                                      return absl::OkStatus();
                                    })
                  .ok());
  ASSERT_EQ(hashes.size(), 1U);
  EXPECT_EQ(hashes[0], FeedTokenHash(feed.token()));
  EXPECT_EQ(hashes[0].size(), 64U);
  EXPECT_FALSE(absl::StrContains(hashes[0], feed.token()));

  v1::ListCalendarFeedsResponse listed;
  ASSERT_TRUE(List(cl1_, "cl1", &listed).ok());
  ASSERT_EQ(listed.feeds_size(), 1);
  EXPECT_EQ(listed.feeds(0).feed_id(), feed.feed_id());
  EXPECT_TRUE(listed.feeds(0).token().empty());
  EXPECT_TRUE(listed.feeds(0).url_path().empty());
}

TEST_F(CalendarFeedTest, ARevokedUnknownOrMalformedTokenIsTheSameNotFound) {
  v1::CalendarFeed feed;
  ASSERT_TRUE(Create(cl1_, "cl1", &feed).ok());
  tandem::api::v1::HttpBody body;
  ASSERT_TRUE(Fetch(feed.token(), &body).ok());

  std::string unknown = feed.token();
  unknown[5] = unknown[5] == 'a' ? 'b' : 'a';
  const size_t rows_before = Rows().size();
  for (const std::string& bad : {unknown, std::string(), std::string("short"), std::string(43, '%'),
                                 feed.token() + "x", std::string(5000, 'A')}) {
    grpc::Status status = Fetch(bad, &body);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << bad.substr(0, 50);
    EXPECT_EQ(status.error_message(), "calendar feed not found");
  }
  EXPECT_EQ(Rows().size(), rows_before) << "a bad token leaves no row";

  ASSERT_TRUE(Revoke(cl1_, feed.feed_id()).ok());
  grpc::Status status = Fetch(feed.token(), &body);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "calendar feed not found");
  EXPECT_EQ(Revoke(cl1_, feed.feed_id()).error_code(), grpc::StatusCode::NOT_FOUND) << "revoked twice";
  v1::ListCalendarFeedsResponse listed;
  ASSERT_TRUE(List(cl1_, "cl1", &listed).ok());
  EXPECT_EQ(listed.feeds_size(), 0);
  // Revoking one feed leaves the clinician's others working.
  v1::CalendarFeed second;
  ASSERT_TRUE(Create(cl1_, "cl1", &second).ok());
  v1::CalendarFeed third;
  ASSERT_TRUE(Create(cl1_, "cl1", &third).ok());
  ASSERT_TRUE(Revoke(admin_, second.feed_id()).ok());
  EXPECT_TRUE(Fetch(third.token(), &body).ok());
  EXPECT_EQ(Fetch(second.token(), &body).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CalendarFeedTest, AClinicianManagesOnlyTheirOwnFeeds) {
  v1::CalendarFeed feed;
  ASSERT_TRUE(Create(cl1_, "cl1", &feed).ok());

  size_t before = Rows().size();
  v1::CalendarFeed stolen;
  grpc::Status status = Create(cl2_, "cl1", &stolen);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(stolen.token().empty());
  std::vector<audit::AuditEntry> rows = Rows();
  ASSERT_EQ(rows.size(), before + 1);
  EXPECT_EQ(rows.back().outcome, audit::kOutcomeDenied);
  EXPECT_EQ(rows.back().actor, "cl2");

  v1::ListCalendarFeedsResponse listed;
  EXPECT_EQ(List(cl2_, "cl1", &listed).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(listed.feeds_size(), 0);
  // Another clinician's feed is as absent as a missing one.
  EXPECT_EQ(Revoke(cl2_, feed.feed_id()).error_code(), grpc::StatusCode::NOT_FOUND);
  tandem::api::v1::HttpBody body;
  EXPECT_TRUE(Fetch(feed.token(), &body).ok()) << "still open after the refused revocation";

  // Other roles are refused by the table; an admin manages anyone's; an unknown clinician has no feed.
  for (const char* role : {"front_desk", "client", "support"}) {
    EXPECT_EQ(Create(PersonToken(role, "x1", kClinic), "cl1", &stolen).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << role;
  }
  EXPECT_TRUE(Create(admin_, "cl2", &stolen).ok());
  EXPECT_EQ(Create(admin_, "nobody", &stolen).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Create(admin_, "bad id!", &stolen).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace tandem::scheduling
