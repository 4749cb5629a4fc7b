// SqlCalendarFeedStore on SQLite and PostgreSQL: a feed is found by its token's hash until it is revoked,
// revoked once, and only within its clinic; each write's audit row is in the write's transaction.
#include "services/scheduling/store/sql_calendar_feed_store.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/audit/audit_log.h"
#include "common/db/database.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "tests/scheduling/store_test_support.h"

namespace tandem::scheduling {
namespace {

constexpr char kHash[] = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

class SqlCalendarFeedStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto parts = store_testing::OpenStoreTestDatabase(GetParam(), clock_);
    ASSERT_TRUE(parts.ok()) << parts.status();
    parts_ = *std::move(parts);
    store_ = std::make_unique<SqlCalendarFeedStore>(*parts_.db, *parts_.audit);
  }
  void TearDown() override {
    store_.reset();
    store_testing::CloseStoreTestDatabase(parts_);
  }

  static audit::AuditEntry Entry(const std::string& action, const std::string& feed_id) {
    audit::AuditEntry entry;
    entry.clinic_id = "c1";
    entry.actor = "cl1";
    entry.actor_role = "clinician";
    entry.action = action;
    entry.resource_type = "calendar_feed";
    entry.resource_id = feed_id;
    entry.outcome = std::string(audit::kOutcomeOk);
    return entry;
  }
  static CalendarFeedRecord Feed(const std::string& id) {
    return {"c1", id, "cl1", absl::FromUnixSeconds(1'800'000'000), std::nullopt};
  }
  size_t AuditRows() {
    auto rows = parts_.audit->List("c1", audit::AuditFilter{}, 100, "");
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->entries.size() : 0;
  }
  bool IsPostgres() const { return GetParam() == "postgresql"; }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  store_testing::StoreTestDatabase parts_;
  std::unique_ptr<SqlCalendarFeedStore> store_;
};

TEST_P(SqlCalendarFeedStoreTest, AFeedIsFoundByItsHashUntilRevokedOnce) {
  ASSERT_TRUE(store_->CreateFeed(Feed("f1"), kHash, Entry("calendar_feed.create", "f1")).ok());
  auto found = store_->FindActiveFeed(kHash);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->feed_id, "f1");
  EXPECT_EQ(found->clinician_id, "cl1");
  EXPECT_EQ(found->created_at, absl::FromUnixSeconds(1'800'000'000));
  EXPECT_FALSE(found->revoked_at.has_value());
  EXPECT_EQ(store_->FindActiveFeed(std::string(64, '0')).status().code(), absl::StatusCode::kNotFound);
  auto listed = store_->ListFeeds("c1", "cl1");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1U);

  const absl::Time revoked_at = absl::FromUnixSeconds(1'800'000'100);
  ASSERT_TRUE(store_->RevokeFeed("c1", "f1", revoked_at, Entry("calendar_feed.revoke", "f1")).ok());
  EXPECT_EQ(store_->FindActiveFeed(kHash).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RevokeFeed("c1", "f1", revoked_at, Entry("calendar_feed.revoke", "f1")).code(),
            absl::StatusCode::kNotFound);
  listed = store_->ListFeeds("c1", "cl1");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  auto kept = store_->GetFeed("c1", "f1");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->revoked_at, revoked_at);
  EXPECT_EQ(AuditRows(), 2U);
}

TEST_P(SqlCalendarFeedStoreTest, AnotherClinicsFeedIsNotFound) {
  ASSERT_TRUE(store_->CreateFeed(Feed("f1"), kHash, Entry("calendar_feed.create", "f1")).ok());
  EXPECT_EQ(store_->GetFeed("c2", "f1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RevokeFeed("c2", "f1", absl::Now(), Entry("calendar_feed.revoke", "f1")).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->FindActiveFeed(kHash).ok());
}

TEST_P(SqlCalendarFeedStoreTest, AWriteWhoseAuditRowFailsLeavesNothing) {
  ASSERT_TRUE(store_->CreateFeed(Feed("f1"), kHash, Entry("calendar_feed.create", "f1")).ok());
  ASSERT_TRUE(store_testing::BreakAuditTrail(*parts_.db, IsPostgres()).ok());
  EXPECT_FALSE(
      store_->CreateFeed(Feed("f2"), std::string(64, 'a'), Entry("calendar_feed.create", "f2")).ok());
  EXPECT_FALSE(store_->RevokeFeed("c1", "f1", absl::Now(), Entry("calendar_feed.revoke", "f1")).ok());
  EXPECT_EQ(store_->GetFeed("c1", "f2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->FindActiveFeed(kHash).ok()) << "the revocation was kept without its audit row";
}

INSTANTIATE_TEST_SUITE_P(Stores, SqlCalendarFeedStoreTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace tandem::scheduling
