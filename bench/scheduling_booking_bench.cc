// tandem_scheduling_booking_bench: booking throughput of scheduling's store. Books --bookings appointments of
// one clinician, one after another, through SqlSchedulingStore::Book (the double-booking check, the sealed
// record, the idempotency row and the audit row, in one transaction each), none of them in conflict:
// 50-minute sessions every 70 minutes, so the clinician's 10-minute buffers on each side just fit. The
// baseline it is compared with is tandem_raw_insert_bench on the same database, one thread, one row per
// transaction (bench/run_booking_bench.sh runs both and prints the ratio).
//
// The migrations are applied to the database first; each run books under a clinic of its own, and its rows
// stay (the store has no delete). Exit status: 0 when every booking succeeded, 1 when one failed or the
// database did, 2 for bad flags.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/latency_histogram.h"
#include "common/audit/audit_log.h"
#include "common/audit/audit_migrations.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/key_encryption_key.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/idempotency_migrations.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/store/scheduling_migrations.h"
#include "services/scheduling/store/sql_scheduling_store.h"

ABSL_FLAG(std::string, db_url, "",
          "sqlite:///abs/path.db, sqlite://relative.db or postgresql://... (the same forms as --db_url of a "
          "service)");
ABSL_FLAG(int64_t, bookings, 5000, "appointments to book, one Book call (one transaction) each");
ABSL_FLAG(bool, json, false, "print the report as one JSON object");

namespace tandem::scheduling {
namespace {

constexpr int64_t kMaxBookings = 10'000'000;
constexpr char kClinician[] = "bench-clinician";
constexpr char kClient[] = "bench-client";
constexpr char kCaller[] = "bench-front-desk";

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

audit::AuditEntry Entry(const std::string& clinic_id, const std::string& action) {
  audit::AuditEntry entry;
  entry.clinic_id = clinic_id;
  entry.actor = kCaller;
  entry.actor_role = "front_desk";
  entry.action = action;
  entry.resource_type = "appointment";
  entry.outcome = std::string(audit::kOutcomeOk);
  return entry;
}

// Everything the benchmark writes through, in the order it must be torn down.
struct Setup {
  std::unique_ptr<db::Database> db;
  std::unique_ptr<crypto::SqlDataKeyStore> keys;
  std::unique_ptr<crypto::ClinicalCipher> cipher;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<SqlSchedulingStore> store;
};

absl::StatusOr<Setup> Open(const std::string& url) {
  Setup s;
  auto db = db::OpenDatabase(url);
  if (!db.ok()) return db.status();
  s.db = *std::move(db);
  for (const db::MigrationSet* set :
       {&migrations::audit(), &migrations::idempotency(), &migrations::crypto(), &migrations::scheduling()}) {
    if (absl::Status migrated = db::ApplyMigrations(*s.db, *set); !migrated.ok()) return migrated;
  }
  // A key of this run only: what it seals is thrown away with it.
  auto kek_hex = crypto::NewKeyEncryptionKeyHex();
  if (!kek_hex.ok()) return kek_hex.status();
  auto kek = crypto::ParseKeyEncryptionKey(*kek_hex);
  if (!kek.ok()) return kek.status();
  s.keys = std::make_unique<crypto::SqlDataKeyStore>(*s.db);
  s.cipher = std::make_unique<crypto::ClinicalCipher>(crypto::KeyRing(*std::move(kek)), *s.keys);
  s.audit = std::make_unique<audit::AuditLog>(*s.db);
  s.store = std::make_unique<SqlSchedulingStore>(*s.db, *s.cipher, *s.audit);
  return s;
}

// The clinician (New York, 10 minutes before and after each session) and the client of the run's clinic.
absl::Status AddRoster(SchedulingStore& store, const std::string& clinic_id) {
  ClinicianProto clinician;
  clinician.set_clinic_id(clinic_id);
  clinician.set_clinician_id(kClinician);
  clinician.set_display_name("Bench Clinician");
  clinician.set_time_zone("America/New_York");
  clinician.set_buffer_before_minutes(10);
  clinician.set_buffer_after_minutes(10);
  if (auto stored = store.UpsertClinician(clinician, Entry(clinic_id, "clinician.upsert")); !stored.ok()) {
    return stored.status();
  }
  ClientProto client;
  client.set_clinic_id(clinic_id);
  client.set_client_id(kClient);
  client.set_display_name("Bench Client");
  client.set_time_zone("America/New_York");
  return store.UpsertClient(client, Entry(clinic_id, "client.upsert")).status();
}

// Booking number `i`: a 50-minute telehealth session 70 minutes after the previous one.
NewAppointment Booking(const std::string& clinic_id, absl::Time first_start, int64_t i) {
  const absl::Time start = first_start + absl::Minutes(70) * i;
  const absl::Time end = start + absl::Minutes(50);
  NewAppointment n;
  n.caller = kCaller;
  n.idempotency_key = absl::StrCat("bench-", i);
  n.request_hash = absl::StrCat("bench-request-", i);
  AppointmentProto& a = n.appointment;
  a.set_clinic_id(clinic_id);
  a.set_appointment_id(NewUuidV7());
  a.set_clinician_id(kClinician);
  a.add_client_ids(kClient);
  *a.mutable_start_time() = Ts(start);
  *a.mutable_end_time() = Ts(end);
  a.set_modality(v1::MODALITY_TELEHEALTH);
  a.set_telehealth_url("https://video.example/bench-room");
  a.set_status(v1::APPOINTMENT_STATUS_BOOKED);
  n.protected_interval =
      ProtectedInterval(Interval{start, end}, Buffers{absl::Minutes(10), absl::Minutes(10)});
  return n;
}

int Fail(int exit_code, const absl::Status& status) {
  std::fprintf(stderr, "tandem_scheduling_booking_bench: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

int Run() {
  const std::string url = absl::GetFlag(FLAGS_db_url);
  const int64_t bookings = absl::GetFlag(FLAGS_bookings);
  if (url.empty()) return Fail(2, absl::InvalidArgumentError("--db_url is required"));
  if (bookings < 1 || bookings > kMaxBookings) {
    return Fail(2, absl::InvalidArgumentError(absl::StrCat("--bookings must be in 1..", kMaxBookings)));
  }
  auto setup = Open(url);
  if (!setup.ok()) return Fail(absl::IsInvalidArgument(setup.status()) ? 2 : 1, setup.status());
  SchedulingStore& store = *setup->store;

  // A clinic of this run, so runs on one database never meet; its first booking (which also creates the
  // clinic's data key) is made before the clock starts.
  const std::string clinic_id = absl::StrCat("bench-", absl::ToUnixMicros(absl::Now()));
  if (absl::Status roster = AddRoster(store, clinic_id); !roster.ok()) return Fail(1, roster);
  const absl::Time first_start = absl::FromUnixSeconds(4102444800);  // 2100-01-01, clear of any real data
  if (auto warm = store.Book(Booking(clinic_id, first_start, 0), Entry(clinic_id, "appointment.book"));
      !warm.ok()) {
    return Fail(1, warm.status());
  }

  bench::LatencyHistogram latency_ns;
  int64_t ok = 0;
  int64_t failed = 0;
  std::optional<absl::Status> first_error;
  const absl::Time start = absl::Now();
  for (int64_t i = 1; i <= bookings; ++i) {
    NewAppointment booking = Booking(clinic_id, first_start, i);
    const absl::Time before = absl::Now();
    auto booked = store.Book(booking, Entry(clinic_id, "appointment.book"));
    latency_ns.Record(static_cast<uint64_t>(absl::ToInt64Nanoseconds(absl::Now() - before)));
    if (booked.ok()) {
      ++ok;
    } else {
      ++failed;
      if (!first_error) first_error = booked.status();
    }
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double per_second = seconds > 0 ? static_cast<double>(ok) / seconds : 0;
  auto us = [&](double q) { return static_cast<double>(latency_ns.Percentile(q)) / 1000.0; };
  const std::string backend = url.rfind("sqlite:", 0) == 0 ? "sqlite" : "postgresql";

  if (absl::GetFlag(FLAGS_json)) {
    nlohmann::json j;
    j["backend"] = backend;
    j["ok"] = ok;
    j["failed"] = failed;
    j["seconds"] = seconds;
    j["bookings_per_second"] = per_second;
    j["latency_us"] = {{"p50", us(0.50)},   {"p90", us(0.90)}, {"p99", us(0.99)},
                       {"p999", us(0.999)}, {"max", us(1.0)},  {"mean", latency_ns.mean() / 1000.0}};
    if (first_error) j["first_error"] = std::string(first_error->message());
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("database    %s\n", backend.c_str());
    std::printf("bookings    %lld ok, %lld failed in %.3f s, one Book call each\n",
                static_cast<long long>(ok), static_cast<long long>(failed), seconds);
    std::printf("bookings/s  %.1f\n", per_second);
    std::printf("latency us  %10s %10s %10s %10s %10s %10s\n", "p50", "p90", "p99", "p99.9", "max", "mean");
    std::printf("            %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", us(0.50), us(0.90), us(0.99),
                us(0.999), us(1.0), latency_ns.mean() / 1000.0);
    if (first_error) std::printf("error       %s\n", std::string(first_error->message()).c_str());
  }
  std::fflush(stdout);
  return failed == 0 && ok == bookings ? 0 : 1;
}

}  // namespace
}  // namespace tandem::scheduling

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Booking throughput of SqlSchedulingStore::Book:\n"
      "  tandem_scheduling_booking_bench --db_url=sqlite:///tmp/booking.db --bookings=5000 [--json]\n"
      "  bench/run_booking_bench.sh BUILD_DIR [POSTGRES_URL]   (against the raw insert baseline)");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "tandem_scheduling_booking_bench: unexpected argument '%s'\n", rest[1]);
    return 2;
  }
  return tandem::scheduling::Run();
}
