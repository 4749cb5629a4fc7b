// The waitlist part of the scheduling store on SQLite and PostgreSQL: entries, the slots a cancellation
// frees, the holds offered from them, and how answering a hold moves its entry.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/audit/audit_log.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/database.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/store/sql_scheduling_store.h"
#include "tests/scheduling/store_test_support.h"

namespace tandem::scheduling {
namespace {

using google::protobuf::util::TimeUtil;
using v1::AppointmentStatus;

// 2026-01-05 09:00 UTC plus `minutes`; the fake clock starts days before.
absl::Time At(int minutes) { return absl::FromUnixSeconds(1767603600) + absl::Minutes(minutes); }
google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

std::vector<std::string> Ids(const absl::StatusOr<std::vector<WaitlistEntryProto>>& entries) {
  if (!entries.ok()) return {"(" + entries.status().ToString() + ")"};
  std::vector<std::string> ids;
  for (const WaitlistEntryProto& e : *entries) ids.push_back(e.entry_id());
  return ids;
}

// What a `decide` call saw, copied out of the slot.
struct SeenSlot {
  std::string cancelled_id;
  AppointmentStatus cancelled_status = v1::APPOINTMENT_STATUS_UNSPECIFIED;
  std::string clinician_id;
  std::vector<std::string> queue;
  absl::flat_hash_set<std::string> offered_before;
};

class SqlWaitlistStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto parts = store_testing::OpenStoreTestDatabase(GetParam(), clock_);
    ASSERT_TRUE(parts.ok()) << parts.status();
    parts_ = *std::move(parts);
    store_ = std::make_unique<SqlSchedulingStore>(*parts_.db, *parts_.cipher, *parts_.audit, clock_);
    AddClinician("dr-a");
    AddClinician("dr-b");
    AddClient("cl-1");
    AddClient("cl-2");
    AddClient("cl-3");
    AddClinician("dr-x", "c2");
    AddClient("cl-x", "c2");
  }
  void TearDown() override {
    store_.reset();
    store_testing::CloseStoreTestDatabase(parts_);
  }

  bool IsPostgres() const { return GetParam() == "postgresql"; }

  static audit::AuditEntry Entry(const std::string& action, const std::string& clinic_id = "c1") {
    return store_testing::DeskEntry(action, "waitlist_entry", clinic_id);
  }
  // The worker's row: no clinic, no resource; the store names both per hold.
  static audit::AuditEntry OfferEntry() {
    audit::AuditEntry entry;
    entry.actor = "scheduling";
    entry.actor_role = "service";
    entry.action = "waitlist.offer";
    entry.resource_type = "appointment";
    entry.outcome = std::string(audit::kOutcomeOk);
    return entry;
  }

  void AddClinician(const std::string& id, const std::string& clinic = "c1") {
    ClinicianProto c;
    c.set_clinic_id(clinic);
    c.set_clinician_id(id);
    c.set_display_name("Dr " + id);
    c.set_time_zone("Europe/Berlin");
    auto stored = store_->UpsertClinician(c, Entry("clinician.upsert", clinic));
    ASSERT_TRUE(stored.ok()) << stored.status();
  }
  void AddClient(const std::string& id, const std::string& clinic = "c1") {
    ClientProto c;
    c.set_clinic_id(clinic);
    c.set_client_id(id);
    c.set_display_name("Client " + id);
    c.set_time_zone("Europe/Berlin");
    auto stored = store_->UpsertClient(c, Entry("client.upsert", clinic));
    ASSERT_TRUE(stored.ok()) << stored.status();
  }

  absl::StatusOr<WaitlistEntryProto> Join(const std::string& entry_id, const std::string& client,
                                          const std::string& clinician, const std::string& clinic = "c1") {
    WaitlistEntryProto e;
    e.set_clinic_id(clinic);
    e.set_entry_id(entry_id);
    e.set_client_id(client);
    e.set_clinician_id(clinician);
    e.set_time_zone("Europe/Berlin");
    e.set_modality(v1::MODALITY_TELEHEALTH);
    return store_->JoinWaitlist(e, Entry("waitlist.join", clinic));
  }
  // A booked telehealth appointment of [At(from), At(to)) (no buffers: the clinicians keep none).
  absl::StatusOr<AppointmentProto> Book(int from, int to, const std::string& client = "cl-3",
                                        const std::string& clinician = "dr-a") {
    NewAppointment n;
    n.caller = "front-desk-1";
    n.idempotency_key = NewUuidV7(clock_);
    n.request_hash = "hash-" + n.idempotency_key;
    AppointmentProto& a = n.appointment;
    a.set_clinic_id("c1");
    a.set_appointment_id(NewUuidV7(clock_));
    a.set_clinician_id(clinician);
    a.add_client_ids(client);
    *a.mutable_start_time() = Ts(At(from));
    *a.mutable_end_time() = Ts(At(to));
    a.set_modality(v1::MODALITY_TELEHEALTH);
    a.set_status(v1::APPOINTMENT_STATUS_BOOKED);
    a.set_revision(1);
    n.protected_interval = Interval{At(from), At(to)};
    return store_->Book(n, Entry("appointment.book"));
  }
  absl::StatusOr<AppointmentProto> SetStatus(const std::string& id, AppointmentStatus status) {
    return store_->UpdateAppointment(
        "c1", id,
        [&](const AppointmentProto& current) -> absl::StatusOr<AppointmentChange> {
          AppointmentChange change{current, std::nullopt};
          change.updated.set_status(status);
          change.updated.set_revision(current.revision() + 1);
          return change;
        },
        Entry("appointment.status"));
  }
  // A booked appointment of [At(from), At(to)), cancelled before its start.
  std::string BookAndCancel(int from, int to, const std::string& clinician = "dr-a") {
    auto booked = Book(from, to, "cl-3", clinician);
    EXPECT_TRUE(booked.ok()) << booked.status();
    if (!booked.ok()) return "";
    auto cancelled = SetStatus(booked->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED);
    EXPECT_TRUE(cancelled.ok()) << cancelled.status();
    return booked->appointment_id();
  }

  // A hold of `slot` for `entry` as the service's worker builds one: proposed, the freed times, lapsing at
  // `expire`.
  WaitlistOffer HoldFor(const FreedSlot& slot, const WaitlistEntryProto& entry, absl::Time expire) {
    WaitlistOffer offer;
    offer.entry_id = entry.entry_id();
    AppointmentProto& hold = offer.hold.appointment;
    hold.set_clinic_id(slot.cancelled.clinic_id());
    hold.set_appointment_id(NewUuidV7(clock_));
    hold.set_clinician_id(slot.cancelled.clinician_id());
    hold.add_client_ids(entry.client_id());
    *hold.mutable_start_time() = slot.cancelled.start_time();
    *hold.mutable_end_time() = slot.cancelled.end_time();
    hold.set_modality(entry.modality());
    hold.set_status(v1::APPOINTMENT_STATUS_PROPOSED);
    hold.set_revision(1);
    hold.set_waitlist_entry_id(entry.entry_id());
    *hold.mutable_hold_expire_time() = Ts(expire);
    offer.hold.protected_interval =
        Interval{FromTs(slot.cancelled.start_time()), FromTs(slot.cancelled.end_time())};
    return offer;
  }

  // Offers each freed slot to the first entry of its queue not offered it before, held for two hours, and
  // records what each `decide` call saw.
  absl::StatusOr<std::vector<AppointmentProto>> OfferToFirst(std::vector<SeenSlot>* seen = nullptr) {
    return store_->OfferFreedSlots(
        clock_.Now(), 10,
        [&](const FreedSlot& slot) -> absl::StatusOr<std::optional<WaitlistOffer>> {
          if (seen != nullptr) seen->push_back(See(slot));
          for (const WaitlistEntryProto& entry : slot.queue) {
            if (slot.offered_before.contains(entry.entry_id())) continue;
            return HoldFor(slot, entry, clock_.Now() + absl::Hours(2));
          }
          return std::nullopt;
        },
        OfferEntry());
  }
  static SeenSlot See(const FreedSlot& slot) {
    SeenSlot s;
    s.cancelled_id = slot.cancelled.appointment_id();
    s.cancelled_status = slot.cancelled.status();
    s.clinician_id = slot.clinician.clinician_id();
    for (const WaitlistEntryProto& e : slot.queue) s.queue.push_back(e.entry_id());
    s.offered_before = slot.offered_before;
    return s;
  }

  std::vector<HoldRef> Expired(absl::Time now) {
    auto holds = store_->ExpiredHolds(now, 100);
    EXPECT_TRUE(holds.ok()) << holds.status();
    return holds.ok() ? *holds : std::vector<HoldRef>{};
  }
  std::vector<std::string> ExpiredIds(absl::Time now) {
    std::vector<std::string> ids;
    for (const HoldRef& h : Expired(now)) ids.push_back(h.clinic_id + "/" + h.appointment_id);
    return ids;
  }
  WaitlistEntryProto EntryNow(const std::string& id) {
    auto e = store_->GetWaitlistEntry("c1", id);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : WaitlistEntryProto{};
  }
  // The clinic's audit rows with `action`, newest first.
  std::vector<audit::AuditEntry> AuditRows(const std::string& clinic, const std::string& action) {
    auto page = parts_.audit->List(clinic, {}, 500, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<audit::AuditEntry> rows;
    if (!page.ok()) return rows;
    for (const audit::AuditEntry& e : page->entries) {
      if (e.action == action) rows.push_back(e);
    }
    return rows;
  }

  int64_t Count(const std::string& table) {
    auto tx = parts_.db->Begin(db::TxMode::kRead);
    EXPECT_TRUE(tx.ok()) << tx.status();
    if (!tx.ok()) return -1;
    auto rows = tx->Execute("SELECT COUNT(*) AS n FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return -1;
    return *(*rows)[0].GetInt64("n");
  }
  // Makes the trail refuse every new row, as a full disk or a revoked grant would.
  void BreakTheAuditTrail() {
    absl::Status broken = store_testing::BreakAuditTrail(*parts_.db, IsPostgres());
    ASSERT_TRUE(broken.ok()) << broken;
  }
  void RepairTheAuditTrail() {
    absl::Status repaired = store_testing::RepairAuditTrail(*parts_.db, IsPostgres());
    ASSERT_TRUE(repaired.ok()) << repaired;
  }

  FakeClock clock_;
  store_testing::StoreTestDatabase parts_;
  std::unique_ptr<SqlSchedulingStore> store_;
};

TEST_P(SqlWaitlistStoreTest, JoiningChecksTheIdsAndAuditsInTheSameTransaction) {
  const int64_t audit_rows = Count("audit_log");
  auto no_client = Join("e-1", "cl-nobody", "dr-a");
  EXPECT_EQ(no_client.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(no_client.status().message().find("client_id"), std::string::npos) << no_client.status();
  auto no_clinician = Join("e-1", "cl-1", "dr-nobody");
  EXPECT_EQ(no_clinician.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(no_clinician.status().message().find("clinician_id"), std::string::npos) << no_clinician.status();
  // Another clinic's client is unknown here.
  EXPECT_EQ(Join("e-1", "cl-x", "dr-a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Count("waitlist_entries"), 0);
  EXPECT_EQ(Count("audit_log"), audit_rows);

  clock_.Advance(absl::Minutes(3));
  // A status or offer on the way in is not the caller's to set.
  WaitlistEntryProto asked;
  asked.set_clinic_id("c1");
  asked.set_entry_id("e-1");
  asked.set_client_id("cl-1");
  asked.set_clinician_id("dr-a");
  asked.set_status(v1::WAITLIST_STATUS_OFFERED);
  asked.set_offer_appointment_id("someone-elses-hold");
  auto joined = store_->JoinWaitlist(asked, Entry("waitlist.join"));
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->status(), v1::WAITLIST_STATUS_WAITING);
  EXPECT_EQ(joined->offer_appointment_id(), "");
  EXPECT_EQ(FromTs(joined->create_time()), clock_.Now());
  auto stored = store_->GetWaitlistEntry("c1", "e-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->SerializeAsString(), joined->SerializeAsString());
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);
  EXPECT_EQ(AuditRows("c1", "waitlist.join").size(), 1u);

  // No audit row, no entry.
  BreakTheAuditTrail();
  EXPECT_FALSE(Join("e-2", "cl-2", "dr-a").ok());
  RepairTheAuditTrail();
  EXPECT_EQ(store_->GetWaitlistEntry("c1", "e-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Count("waitlist_entries"), 1);
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);
}

TEST_P(SqlWaitlistStoreTest, ListingFollowsTheQueueAndStaysInItsClinic) {
  // Ids sort against the join order, so only the join time can put them in queue order.
  ASSERT_TRUE(Join("e-9", "cl-1", "dr-a").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(Join("e-8", "cl-2", "dr-a").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(Join("e-7", "cl-3", "dr-a").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(Join("e-6", "cl-1", "dr-b").ok());
  ASSERT_TRUE(Join("e-x", "cl-x", "dr-x", "c2").ok());

  using Names = std::vector<std::string>;
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "dr-a", "", false)), (Names{"e-9", "e-8", "e-7"}));
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "", "cl-1", false)), (Names{"e-9", "e-6"}));
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "dr-a", "cl-1", false)), (Names{"e-9"}));
  EXPECT_EQ(store_->ListWaitlist("c1", "", "", false).status().code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(store_->LeaveWaitlist("c1", "e-8", Entry("waitlist.leave")).ok());
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "dr-a", "", false)), (Names{"e-9", "e-7"}));
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "dr-a", "", true)), (Names{"e-9", "e-7", "e-8"}));
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "", "cl-2", false)), Names{});
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "", "cl-2", true)), (Names{"e-8"}));

  // Another clinic sees none of it, even by the same ids.
  EXPECT_EQ(Ids(store_->ListWaitlist("c2", "dr-a", "", true)), Names{});
  EXPECT_EQ(Ids(store_->ListWaitlist("c2", "", "cl-1", true)), Names{});
  EXPECT_EQ(Ids(store_->ListWaitlist("c2", "dr-x", "", true)), (Names{"e-x"}));
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "dr-x", "", true)), Names{});
  EXPECT_EQ(store_->GetWaitlistEntry("c2", "e-9").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaveWaitlist("c2", "e-9", Entry("waitlist.leave", "c2")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(EntryNow("e-9").status(), v1::WAITLIST_STATUS_WAITING);
}

TEST_P(SqlWaitlistStoreTest, LeavingTakesOnlyAWaitingEntryOff) {
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-a").ok());
  const int64_t audit_rows = Count("audit_log");
  clock_.Advance(absl::Minutes(5));
  auto left = store_->LeaveWaitlist("c1", "e-1", Entry("waitlist.leave"));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->status(), v1::WAITLIST_STATUS_LEFT);
  EXPECT_EQ(FromTs(left->update_time()), clock_.Now());
  EXPECT_EQ(EntryNow("e-1").status(), v1::WAITLIST_STATUS_LEFT);
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);

  auto again = store_->LeaveWaitlist("c1", "e-1", Entry("waitlist.leave"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);

  // An entry holding an offer is declined first.
  ASSERT_TRUE(Join("e-2", "cl-2", "dr-a").ok());
  BookAndCancel(60, 110);
  auto holds = OfferToFirst();
  ASSERT_TRUE(holds.ok()) << holds.status();
  ASSERT_EQ(holds->size(), 1u);
  auto offered = store_->LeaveWaitlist("c1", "e-2", Entry("waitlist.leave"));
  EXPECT_EQ(offered.status().code(), absl::StatusCode::kFailedPrecondition) << offered.status();
  EXPECT_EQ(EntryNow("e-2").status(), v1::WAITLIST_STATUS_OFFERED);
  EXPECT_EQ(EntryNow("e-2").offer_appointment_id(), (*holds)[0].appointment_id());
}

TEST_P(SqlWaitlistStoreTest, CancellingAFutureAppointmentQueuesItsSlot) {
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-a").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(Join("e-2", "cl-2", "dr-a").ok());
  ASSERT_TRUE(Join("e-3", "cl-3", "dr-b").ok());
  const std::string cancelled = BookAndCancel(60, 110);
  EXPECT_EQ(Count("waitlist_freed_slots"), 1);

  std::vector<SeenSlot> seen;
  auto holds = store_->OfferFreedSlots(
      clock_.Now(), 10,
      [&](const FreedSlot& slot) -> absl::StatusOr<std::optional<WaitlistOffer>> {
        seen.push_back(See(slot));
        return std::nullopt;
      },
      OfferEntry());
  ASSERT_TRUE(holds.ok()) << holds.status();
  EXPECT_TRUE(holds->empty());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].cancelled_id, cancelled);
  EXPECT_EQ(seen[0].cancelled_status, v1::APPOINTMENT_STATUS_CANCELLED);
  EXPECT_EQ(seen[0].clinician_id, "dr-a");
  EXPECT_EQ(seen[0].queue, (std::vector<std::string>{"e-1", "e-2"}));
  EXPECT_TRUE(seen[0].offered_before.empty());
  // Decided once: the slot is off the queue, and nobody was offered anything.
  EXPECT_EQ(Count("waitlist_freed_slots"), 0);
  EXPECT_EQ(EntryNow("e-1").status(), v1::WAITLIST_STATUS_WAITING);
  ASSERT_TRUE(OfferToFirst(&seen).ok());
  EXPECT_EQ(seen.size(), 1u);
}

TEST_P(SqlWaitlistStoreTest, NoSlotIsQueuedWhenNobodyWaitsForTheClinician) {
  // Someone waits for dr-b; dr-a's only entry has left.
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-b").ok());
  ASSERT_TRUE(Join("e-2", "cl-2", "dr-a").ok());
  ASSERT_TRUE(store_->LeaveWaitlist("c1", "e-2", Entry("waitlist.leave")).ok());
  BookAndCancel(60, 110, "dr-a");
  EXPECT_EQ(Count("waitlist_freed_slots"), 0);
  std::vector<SeenSlot> seen;
  auto holds = OfferToFirst(&seen);
  ASSERT_TRUE(holds.ok()) << holds.status();
  EXPECT_TRUE(holds->empty());
  EXPECT_TRUE(seen.empty());
}

TEST_P(SqlWaitlistStoreTest, ASlotWhoseStartHasPassedIsDropped) {
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-a").ok());
  std::vector<SeenSlot> seen;

  // Cancelled before its start, offered after it.
  BookAndCancel(60, 110);
  EXPECT_EQ(Count("waitlist_freed_slots"), 1);
  clock_.Set(At(60));
  auto holds = OfferToFirst(&seen);
  ASSERT_TRUE(holds.ok()) << holds.status();
  EXPECT_TRUE(holds->empty());
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(Count("waitlist_freed_slots"), 0);

  // Cancelled once started: never queued.
  auto started = Book(120, 170);
  ASSERT_TRUE(started.ok()) << started.status();
  clock_.Set(At(130));
  ASSERT_TRUE(SetStatus(started->appointment_id(), v1::APPOINTMENT_STATUS_CANCELLED).ok());
  EXPECT_EQ(Count("waitlist_freed_slots"), 0);
  holds = OfferToFirst(&seen);
  ASSERT_TRUE(holds.ok()) << holds.status();
  EXPECT_TRUE(holds->empty());
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(EntryNow("e-1").status(), v1::WAITLIST_STATUS_WAITING);
}

TEST_P(SqlWaitlistStoreTest, AnOfferWritesTheHoldAndLapsesAtItsExpiry) {
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-a").ok());
  const std::string cancelled = BookAndCancel(60, 110);
  const int64_t audit_rows = Count("audit_log");
  const absl::Time expire = clock_.Now() + absl::Hours(2);

  auto holds = OfferToFirst();
  ASSERT_TRUE(holds.ok()) << holds.status();
  ASSERT_EQ(holds->size(), 1u);
  const AppointmentProto& made = (*holds)[0];
  EXPECT_NE(made.appointment_id(), cancelled);

  auto hold = store_->GetAppointment("c1", made.appointment_id());
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->status(), v1::APPOINTMENT_STATUS_PROPOSED);
  EXPECT_EQ(hold->waitlist_entry_id(), "e-1");
  EXPECT_EQ(hold->clinician_id(), "dr-a");
  EXPECT_EQ(std::vector<std::string>(hold->client_ids().begin(), hold->client_ids().end()),
            std::vector<std::string>{"cl-1"});
  EXPECT_EQ(FromTs(hold->start_time()), At(60));
  EXPECT_EQ(FromTs(hold->end_time()), At(110));
  EXPECT_EQ(FromTs(hold->hold_expire_time()), expire);

  const WaitlistEntryProto entry = EntryNow("e-1");
  EXPECT_EQ(entry.status(), v1::WAITLIST_STATUS_OFFERED);
  EXPECT_EQ(entry.offer_appointment_id(), made.appointment_id());

  // One row, in the slot's clinic, naming the hold.
  EXPECT_EQ(Count("audit_log"), audit_rows + 1);
  const std::vector<audit::AuditEntry> offers = AuditRows("c1", "waitlist.offer");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].clinic_id, "c1");
  EXPECT_EQ(offers[0].resource_id, made.appointment_id());

  // The hold keeps the slot from anyone else.
  EXPECT_EQ(Book(70, 100, "cl-2").status().code(), absl::StatusCode::kAlreadyExists);

  EXPECT_TRUE(Expired(clock_.Now()).empty());
  EXPECT_TRUE(Expired(expire - absl::Seconds(1)).empty());
  const std::vector<std::string> lapsed = {"c1/" + made.appointment_id()};
  EXPECT_EQ(ExpiredIds(expire), lapsed);
  clock_.Set(expire + absl::Minutes(1));
  EXPECT_EQ(ExpiredIds(clock_.Now()), lapsed);
}

TEST_P(SqlWaitlistStoreTest, ASlotBookedBeforeTheOfferMakesNoHold) {
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-a").ok());
  BookAndCancel(60, 110);
  auto taken = Book(80, 140, "cl-2");
  ASSERT_TRUE(taken.ok()) << taken.status();
  const int64_t appointments = Count("appointments");

  auto holds = OfferToFirst();
  ASSERT_TRUE(holds.ok()) << holds.status();
  EXPECT_TRUE(holds->empty());
  EXPECT_EQ(Count("appointments"), appointments);
  EXPECT_EQ(Count("waitlist_offers"), 0);
  EXPECT_EQ(Count("waitlist_freed_slots"), 0);
  EXPECT_EQ(EntryNow("e-1").status(), v1::WAITLIST_STATUS_WAITING);
  EXPECT_TRUE(AuditRows("c1", "waitlist.offer").empty());
}

TEST_P(SqlWaitlistStoreTest, AcceptingTheHoldBooksTheEntry) {
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-a").ok());
  BookAndCancel(60, 110);
  auto holds = OfferToFirst();
  ASSERT_TRUE(holds.ok()) << holds.status();
  ASSERT_EQ(holds->size(), 1u);
  const std::string hold_id = (*holds)[0].appointment_id();

  clock_.Advance(absl::Minutes(10));
  auto accepted = SetStatus(hold_id, v1::APPOINTMENT_STATUS_BOOKED);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_FALSE(accepted->has_hold_expire_time());
  const WaitlistEntryProto entry = EntryNow("e-1");
  EXPECT_EQ(entry.status(), v1::WAITLIST_STATUS_BOOKED);
  EXPECT_EQ(entry.offer_appointment_id(), hold_id);
  EXPECT_EQ(FromTs(entry.update_time()), clock_.Now());
  // Not open any more: the worker never cancels it.
  EXPECT_TRUE(Expired(At(24 * 60)).empty());
  EXPECT_EQ(Count("waitlist_freed_slots"), 0);
  // Closed: listed only with the closed ones.
  EXPECT_TRUE(Ids(store_->ListWaitlist("c1", "dr-a", "", false)).empty());
  EXPECT_EQ(Ids(store_->ListWaitlist("c1", "dr-a", "", true)), std::vector<std::string>{"e-1"});
  EXPECT_EQ(store_->LeaveWaitlist("c1", "e-1", Entry("waitlist.leave")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(SqlWaitlistStoreTest, DecliningTheHoldSendsTheSlotToTheNextEntry) {
  ASSERT_TRUE(Join("e-1", "cl-1", "dr-a").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(Join("e-2", "cl-2", "dr-a").ok());
  BookAndCancel(60, 110);
  auto first = OfferToFirst();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  const std::string declined = (*first)[0].appointment_id();
  EXPECT_EQ((*first)[0].waitlist_entry_id(), "e-1");

  ASSERT_TRUE(SetStatus(declined, v1::APPOINTMENT_STATUS_CANCELLED).ok());
  const WaitlistEntryProto entry = EntryNow("e-1");
  EXPECT_EQ(entry.status(), v1::WAITLIST_STATUS_WAITING);
  EXPECT_EQ(entry.offer_appointment_id(), "");
  EXPECT_TRUE(Expired(At(24 * 60)).empty());
  EXPECT_EQ(Count("waitlist_freed_slots"), 1);

  std::vector<SeenSlot> seen;
  auto second = OfferToFirst(&seen);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].cancelled_id, declined);
  EXPECT_EQ(seen[0].queue, (std::vector<std::string>{"e-1", "e-2"}));
  EXPECT_EQ(seen[0].offered_before, (absl::flat_hash_set<std::string>{"e-1"}));
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].waitlist_entry_id(), "e-2");
  EXPECT_EQ(EntryNow("e-2").status(), v1::WAITLIST_STATUS_OFFERED);
  EXPECT_EQ(EntryNow("e-1").status(), v1::WAITLIST_STATUS_WAITING);
}

TEST_P(SqlWaitlistStoreTest, TwoWorkersOnOneFreedSlotMakeOneHold) {
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string entry_id = "e-" + std::to_string(round);
    ASSERT_TRUE(Join(entry_id, "cl-1", "dr-a").ok());
    BookAndCancel(round * 120, round * 120 + 50);
    ASSERT_EQ(Count("waitlist_freed_slots"), 1);

    // On PostgreSQL the queue is held shut for a moment, so both workers read the same freed slot before
    // either can take it off: the window a race needs, made wide. (SQLite runs one write at a time.)
    std::optional<db::Transaction> gate;
    if (IsPostgres()) {
      auto begun = parts_.db->Begin(db::TxMode::kWrite);
      ASSERT_TRUE(begun.ok()) << begun.status();
      gate = *std::move(begun);
      ASSERT_TRUE(gate->Execute("LOCK TABLE waitlist_freed_slots IN SHARE MODE").ok());
    }
    std::atomic<int> decided{0};
    std::atomic<int> ready{0};
    std::vector<absl::StatusOr<std::vector<AppointmentProto>>> results(2, absl::UnknownError("not run"));
    std::vector<std::thread> workers;
    workers.reserve(2);
    for (int i = 0; i < 2; ++i) {
      workers.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < 2) std::this_thread::yield();
        results[i] = store_->OfferFreedSlots(
            clock_.Now(), 10,
            [&](const FreedSlot& slot) -> absl::StatusOr<std::optional<WaitlistOffer>> {
              decided.fetch_add(1);
              for (const WaitlistEntryProto& entry : slot.queue) {
                if (!slot.offered_before.contains(entry.entry_id())) {
                  return HoldFor(slot, entry, clock_.Now() + absl::Hours(2));
                }
              }
              return std::nullopt;
            },
            OfferEntry());
      });
    }
    if (gate.has_value()) {
      absl::SleepFor(absl::Milliseconds(300));
      EXPECT_TRUE(gate->Commit().ok());  // no ASSERT: the threads must be joined
    }
    for (std::thread& t : workers) t.join();

    std::vector<std::string> holds;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.status();
      for (const AppointmentProto& h : *r) holds.push_back(h.appointment_id());
    }
    ASSERT_EQ(holds.size(), 1u);
    // A slot one worker took is not decided again by the other.
    EXPECT_EQ(decided.load(), 1);
    EXPECT_EQ(Count("waitlist_offers"), round + 1);
    EXPECT_EQ(Count("waitlist_freed_slots"), 0);
    EXPECT_EQ(EntryNow(entry_id).offer_appointment_id(), holds[0]);
    // Accepted, so the next round's entry is the only one waiting.
    ASSERT_TRUE(SetStatus(holds[0], v1::APPOINTMENT_STATUS_BOOKED).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, SqlWaitlistStoreTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace tandem::scheduling
