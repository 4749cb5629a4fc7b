// The store's series writes on SQLite and PostgreSQL: a series is booked in one transaction with an audit
// row per occurrence, refused whole or booked around its conflicts, idempotent per key; a series change
// reaches only the occurrences in scope, all or nothing; each occurrence is an appointment of its own.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/error_details.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/store/sql_scheduling_store.h"
#include "tests/scheduling/store_test_support.h"

namespace tandem::scheduling {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr char kClinic[] = "c1";

// Tuesday 2027-03-02 09:00 UTC plus `weeks` weeks and `minutes` minutes.
absl::Time Week(int weeks, int minutes = 0) {
  return absl::FromCivil(absl::CivilMinute(2027, 3, 2, 9, 0), absl::UTCTimeZone()) +
         absl::Hours(24 * 7 * weeks) + absl::Minutes(minutes);
}
google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

class SqlSeriesStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto parts = store_testing::OpenStoreTestDatabase(GetParam(), clock_);
    ASSERT_TRUE(parts.ok()) << parts.status();
    parts_ = *std::move(parts);
    store_ = std::make_unique<SqlSchedulingStore>(*parts_.db, *parts_.cipher, *parts_.audit, clock_);
    ClinicianProto c;
    c.set_clinic_id(kClinic);
    c.set_clinician_id("dr-a");
    c.set_display_name("Dr A");
    c.set_time_zone("UTC");
    c.set_buffer_before_minutes(10);
    c.set_buffer_after_minutes(10);
    ASSERT_TRUE(store_->UpsertClinician(c, Entry("clinician.upsert")).ok());
    ClientProto k;
    k.set_clinic_id(kClinic);
    k.set_client_id("cl-1");
    k.set_display_name("Client One");
    k.set_time_zone("UTC");
    ASSERT_TRUE(store_->UpsertClient(k, Entry("client.upsert")).ok());
  }
  void TearDown() override {
    store_.reset();
    store_testing::CloseStoreTestDatabase(parts_);
  }

  static audit::AuditEntry Entry(const std::string& action) {
    return store_testing::DeskEntry(action, "appointment", kClinic);
  }

  NewAppointment Occurrence(absl::Time start, const std::string& series_id) {
    NewAppointment n;
    AppointmentProto& a = n.appointment;
    a.set_clinic_id(kClinic);
    a.set_appointment_id(NewUuidV7(clock_));
    a.set_clinician_id("dr-a");
    a.add_client_ids("cl-1");
    *a.mutable_start_time() = Ts(start);
    *a.mutable_end_time() = Ts(start + absl::Minutes(50));
    a.set_modality(v1::MODALITY_TELEHEALTH);
    a.set_status(v1::APPOINTMENT_STATUS_BOOKED);
    a.set_series_id(series_id);
    a.set_revision(1);
    n.protected_interval = ProtectedInterval(Interval{start, start + absl::Minutes(50)}, kBuffers);
    return n;
  }

  // The series the service would make for weekly occurrences 0..count-1, with fresh ids as each call has.
  NewSeries Series(const std::string& key, int count, bool skip_conflicts = false,
                   const std::string& body = "body") {
    NewSeries s;
    s.response.set_series_id(NewUuidV7(clock_));
    for (int i = 0; i < count; ++i) s.occurrences.push_back(Occurrence(Week(i), s.response.series_id()));
    s.skip_conflicts = skip_conflicts;
    s.caller = "front-desk-1";
    s.idempotency_key = key;
    s.request_hash = absl::StrCat("hash-", body);
    return s;
  }

  // A single appointment (not of a series) at `start`.
  std::string BookSingle(absl::Time start, const std::string& key) {
    NewAppointment n = Occurrence(start, "");
    n.caller = "front-desk-1";
    n.idempotency_key = key;
    n.request_hash = "hash-" + key;
    auto booked = store_->Book(n, Entry("appointment.book"));
    EXPECT_TRUE(booked.ok()) << booked.status();
    return booked.ok() ? booked->appointment_id() : "";
  }

  std::vector<AppointmentProto> All() {
    AppointmentFilter f;
    f.clinic_id = kClinic;
    auto page = store_->ListAppointments(f, 1000, std::nullopt);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->appointments : std::vector<AppointmentProto>{};
  }
  std::vector<AppointmentProto> OfSeries(const std::string& series_id) {
    std::vector<AppointmentProto> out;
    for (const AppointmentProto& a : All()) {
      if (a.series_id() == series_id) out.push_back(a);
    }
    return out;
  }

  // The audit rows with `action`, oldest first.
  std::vector<audit::AuditEntry> Rows(const std::string& action) {
    auto page = parts_.audit->List(kClinic, {}, audit::AuditLog::kMaxPageSize, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<audit::AuditEntry> out;
    if (!page.ok()) return out;
    for (auto it = page->entries.rbegin(); it != page->entries.rend(); ++it) {
      if (it->action == action) out.push_back(*it);
    }
    return out;
  }
  std::vector<std::string> RowIds(const std::string& action) {
    std::vector<std::string> ids;
    for (const audit::AuditEntry& e : Rows(action)) ids.push_back(e.resource_id);
    return ids;
  }

  // Moves each occurrence of the series at or after `from` by `by`, leaving the ones in `declined` alone.
  absl::StatusOr<std::vector<AppointmentProto>> Shift(const std::string& series_id, absl::Time from,
                                                      absl::Duration by,
                                                      const std::set<std::string>& declined = {}) {
    return store_->UpdateSeries(
        kClinic, series_id, from,
        [&](const AppointmentProto& current) -> absl::StatusOr<std::optional<AppointmentChange>> {
          if (declined.count(current.appointment_id()) > 0) return std::nullopt;
          AppointmentChange change{current, std::nullopt};
          const absl::Time start = FromTs(current.start_time()) + by;
          const absl::Time end = FromTs(current.end_time()) + by;
          change.updated.set_revision(current.revision() + 1);
          *change.updated.mutable_start_time() = Ts(start);
          *change.updated.mutable_end_time() = Ts(end);
          change.protected_interval = ProtectedInterval(Interval{start, end}, kBuffers);
          return change;
        },
        Entry("appointment.reschedule"));
  }

  static std::vector<std::string> Ids(const std::vector<AppointmentProto>& appointments) {
    std::vector<std::string> ids;
    ids.reserve(appointments.size());
    for (const AppointmentProto& a : appointments) ids.push_back(a.appointment_id());
    return ids;
  }
  static std::vector<absl::Time> Starts(const std::vector<AppointmentProto>& appointments) {
    std::vector<absl::Time> starts;
    starts.reserve(appointments.size());
    for (const AppointmentProto& a : appointments) starts.push_back(FromTs(a.start_time()));
    return starts;
  }

  static inline const Buffers kBuffers{absl::Minutes(10), absl::Minutes(10)};
  FakeClock clock_;
  store_testing::StoreTestDatabase parts_;
  std::unique_ptr<SqlSchedulingStore> store_;
};

TEST_P(SqlSeriesStoreTest, BooksEveryOccurrenceWithOneAuditRowEach) {
  const NewSeries series = Series("k-1", 5);
  auto booked = store_->BookSeries(series, Entry("series.book"));
  ASSERT_TRUE(booked.ok()) << booked.status();
  EXPECT_EQ(booked->series_id(), series.response.series_id());
  EXPECT_THAT(booked->skipped(), IsEmpty());
  ASSERT_EQ(booked->appointments_size(), 5);

  const std::vector<AppointmentProto> stored = OfSeries(series.response.series_id());
  EXPECT_THAT(Ids(stored),
              ElementsAreArray(Ids({booked->appointments().begin(), booked->appointments().end()})));
  EXPECT_THAT(Starts(stored), ElementsAre(Week(0), Week(1), Week(2), Week(3), Week(4)));
  for (const AppointmentProto& a : stored) {
    EXPECT_EQ(a.status(), v1::APPOINTMENT_STATUS_BOOKED);
    auto got = store_->GetAppointment(kClinic, a.appointment_id());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->series_id(), series.response.series_id());
  }
  EXPECT_THAT(RowIds("series.book"), UnorderedElementsAreArray(Ids(stored)));
}

TEST_P(SqlSeriesStoreTest, BookNoneWithAConflictBooksNothingAndNamesExactlyTheConflicts) {
  const std::string in_the_way = BookSingle(Week(2, 30), "single-1");
  const size_t rows_before = Rows("series.book").size();

  const NewSeries series = Series("k-1", 5);
  auto refused = store_->BookSeries(series, Entry("series.book"));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists) << refused.status();
  auto failure = FindDetail<google::rpc::PreconditionFailure>(refused.status());
  ASSERT_TRUE(failure.has_value()) << refused.status();
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).subject(), "appointments/" + in_the_way);
  EXPECT_THAT(failure->violations(0).description(),
              HasSubstr(absl::FormatTime(absl::RFC3339_sec, Week(2), absl::UTCTimeZone())));
  EXPECT_THAT(Ids(All()), ElementsAre(in_the_way)) << "nothing of the series may remain";
  EXPECT_EQ(Rows("series.book").size(), rows_before);

  // Two in the way: both named, in start order.
  const std::string second = BookSingle(Week(4, -55), "single-2");
  refused = store_->BookSeries(Series("k-1", 5), Entry("series.book"));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists) << refused.status();
  failure = FindDetail<google::rpc::PreconditionFailure>(refused.status());
  ASSERT_TRUE(failure.has_value());
  std::vector<std::string> subjects;
  for (const auto& v : failure->violations()) subjects.push_back(v.subject());
  EXPECT_THAT(subjects, ElementsAre("appointments/" + in_the_way, "appointments/" + second));
  EXPECT_EQ(All().size(), 2U);

  // The refusal consumed no key: once the way is clear the same key books the series.
  auto cancelled = store_->UpdateAppointment(
      kClinic, in_the_way,
      [](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
        AppointmentChange change{current, std::nullopt};
        change.updated.set_status(v1::APPOINTMENT_STATUS_CANCELLED);
        return change;
      },
      Entry("appointment.cancel"));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  auto cleared = store_->BookSeries(Series("k-1", 3), Entry("series.book"));
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_EQ(cleared->appointments_size(), 3);
}

TEST_P(SqlSeriesStoreTest, SkipConflictsBooksTheRestAndReportsTheSkipped) {
  const std::string in_the_way = BookSingle(Week(1, 55), "single-1");  // within the 10-minute buffer
  const NewSeries series = Series("k-1", 4, /*skip_conflicts=*/true);
  auto booked = store_->BookSeries(series, Entry("series.book"));
  ASSERT_TRUE(booked.ok()) << booked.status();
  ASSERT_EQ(booked->skipped_size(), 1);
  EXPECT_EQ(FromTs(booked->skipped(0).start_time()), Week(1));
  EXPECT_EQ(booked->skipped(0).conflicting_appointment_id(), in_the_way);
  const std::vector<AppointmentProto> stored = OfSeries(series.response.series_id());
  EXPECT_THAT(Starts(stored), ElementsAre(Week(0), Week(2), Week(3)));
  EXPECT_THAT(Starts({booked->appointments().begin(), booked->appointments().end()}),
              ElementsAre(Week(0), Week(2), Week(3)));
  EXPECT_THAT(RowIds("series.book"), UnorderedElementsAreArray(Ids(stored)));
}

TEST_P(SqlSeriesStoreTest, ARetryReturnsTheSameResponseAndAnotherBodyIsRefused) {
  auto first = store_->BookSeries(Series("k-1", 3), Entry("series.book"));
  ASSERT_TRUE(first.ok()) << first.status();
  // The retry comes with new ids, as every call of the service mints its own.
  auto retry = store_->BookSeries(Series("k-1", 3), Entry("series.book"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(All().size(), 3U);
  EXPECT_EQ(OfSeries(first->series_id()).size(), 3U);

  auto other = store_->BookSeries(Series("k-1", 3, false, "another body"), Entry("series.book"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists) << other.status();
  EXPECT_EQ(All().size(), 3U);
}

TEST_P(SqlSeriesStoreTest, UpdateSeriesChangesTheOccurrenceAndTheLaterOnesOnly) {
  auto booked = store_->BookSeries(Series("k-1", 5), Entry("series.book"));
  ASSERT_TRUE(booked.ok()) << booked.status();
  const std::string series_id = booked->series_id();
  const std::vector<AppointmentProto> before = OfSeries(series_id);

  auto changed = Shift(series_id, Week(2), absl::Hours(1));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_THAT(Ids(*changed), ElementsAre(before[2].appointment_id(), before[3].appointment_id(),
                                         before[4].appointment_id()));
  const std::vector<AppointmentProto> after = OfSeries(series_id);
  EXPECT_THAT(Starts(after), ElementsAre(Week(0), Week(1), Week(2, 60), Week(3, 60), Week(4, 60)));
  EXPECT_EQ(after[0].revision(), 1);
  EXPECT_EQ(after[1].revision(), 1);
  EXPECT_EQ(after[2].revision(), 2);
  // One row each; a move to later times writes (and audits) the last occurrence first.
  EXPECT_THAT(RowIds("appointment.reschedule"),
              ::testing::UnorderedElementsAre(before[2].appointment_id(), before[3].appointment_id(),
                                              before[4].appointment_id()));
}

TEST_P(SqlSeriesStoreTest, MovingTheRestAWeekLaterDoesNotCollideWithItself) {
  auto booked = store_->BookSeries(Series("k-1", 5), Entry("series.book"));
  ASSERT_TRUE(booked.ok()) << booked.status();
  const std::string series_id = booked->series_id();

  // Each moved occurrence lands where the next one was: written first-first, the third would meet the fourth.
  auto later = Shift(series_id, Week(2), absl::Hours(24 * 7));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_THAT(Starts(OfSeries(series_id)), ElementsAre(Week(0), Week(1), Week(3), Week(4), Week(5)));
  EXPECT_THAT(Starts(*later), ElementsAre(Week(3), Week(4), Week(5)));

  // And back a week: earlier moves go first-first.
  auto earlier = Shift(series_id, Week(3), -absl::Hours(24 * 7));
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_THAT(Starts(OfSeries(series_id)), ElementsAre(Week(0), Week(1), Week(2), Week(3), Week(4)));
}

TEST_P(SqlSeriesStoreTest, UpdateSeriesLeavesTheOccurrencesTheMutationDeclines) {
  auto booked = store_->BookSeries(Series("k-1", 5), Entry("series.book"));
  ASSERT_TRUE(booked.ok()) << booked.status();
  const std::vector<AppointmentProto> before = OfSeries(booked->series_id());

  auto changed = Shift(booked->series_id(), Week(1), absl::Minutes(30), {before[3].appointment_id()});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_THAT(Ids(*changed), ElementsAre(before[1].appointment_id(), before[2].appointment_id(),
                                         before[4].appointment_id()));
  EXPECT_THAT(Starts(OfSeries(booked->series_id())),
              ElementsAre(Week(0), Week(1, 30), Week(2, 30), Week(3), Week(4, 30)));
  EXPECT_EQ(RowIds("appointment.reschedule").size(), 3U) << "no row for an occurrence left as it was";
}

TEST_P(SqlSeriesStoreTest, UpdateSeriesIsAllOrNothing) {
  auto booked = store_->BookSeries(Series("k-1", 5), Entry("series.book"));
  ASSERT_TRUE(booked.ok()) << booked.status();
  const std::string in_the_way = BookSingle(Week(4, 120), "single-1");
  const std::vector<AppointmentProto> before = OfSeries(booked->series_id());

  // Occurrences 2 and 3 could move; 4 would land on the single appointment.
  auto refused = Shift(booked->series_id(), Week(2), absl::Hours(2));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists) << refused.status();
  const std::vector<AppointmentProto> after = OfSeries(booked->series_id());
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString()) << "occurrence " << i;
  }
  EXPECT_THAT(RowIds("appointment.reschedule"), IsEmpty());
}

TEST_P(SqlSeriesStoreTest, CancellingOneOccurrenceNeverTouchesTheOthers) {
  auto booked = store_->BookSeries(Series("k-1", 5), Entry("series.book"));
  ASSERT_TRUE(booked.ok()) << booked.status();
  const std::vector<AppointmentProto> before = OfSeries(booked->series_id());
  const std::string cancelled_id = before[2].appointment_id();
  auto cancelled = store_->UpdateAppointment(
      kClinic, cancelled_id,
      [](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
        AppointmentChange change{current, std::nullopt};
        change.updated.set_status(v1::APPOINTMENT_STATUS_CANCELLED);
        change.updated.set_revision(current.revision() + 1);
        return change;
      },
      Entry("appointment.cancel"));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->series_id(), booked->series_id());

  const std::vector<AppointmentProto> after = OfSeries(booked->series_id());
  ASSERT_EQ(after.size(), 5U) << "every occurrence is still there";
  for (size_t i = 0; i < after.size(); ++i) {
    auto got = store_->GetAppointment(kClinic, before[i].appointment_id());
    ASSERT_TRUE(got.ok()) << "occurrence " << i << ": " << got.status();
    if (i == 2) {
      EXPECT_EQ(got->status(), v1::APPOINTMENT_STATUS_CANCELLED);
    } else {
      EXPECT_EQ(got->SerializeAsString(), before[i].SerializeAsString()) << "occurrence " << i;
    }
  }
  EXPECT_THAT(RowIds("appointment.cancel"), ElementsAre(cancelled_id));

  // The cancelled occurrence's time is free again; the others still hold theirs.
  EXPECT_FALSE(BookSingle(Week(2), "single-in-the-gap").empty());
  NewAppointment clash = Occurrence(Week(3), "");
  clash.caller = "front-desk-1";
  clash.idempotency_key = "single-clash";
  clash.request_hash = "hash-clash";
  EXPECT_EQ(store_->Book(clash, Entry("appointment.book")).status().code(), absl::StatusCode::kAlreadyExists);
}

INSTANTIATE_TEST_SUITE_P(Stores, SqlSeriesStoreTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace tandem::scheduling
