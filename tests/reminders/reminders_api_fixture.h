#ifndef TANDEM_TESTS_REMINDERS_REMINDERS_API_FIXTURE_H_
#define TANDEM_TESTS_REMINDERS_REMINDERS_API_FIXTURE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tandem/reminders/v1/reminders.grpc.pb.h"
#include "tests/fixtures/redis_server.h"
#include "tests/support/service_fixture.h"

namespace tandem::reminders {

// Who calls: a bearer token and, for a service acting for a person, that person's assertion.
struct Caller {
  std::string token;
  std::string end_user;
};

// What one clinic holds after Seed(): template t1 (with an admin's discretion decision) and two scheduled
// reminders, of owners appointment/a1 and appointment/a2.
struct Seeded {
  std::string reminder_a1;
  std::string reminder_a2;
};

// The reminders service in process on the real runtime, a real redis-server and SQLite or PostgreSQL (the
// test parameter), with helpers to seed a clinic's records and read back everything the service stored for
// it. Tables that go over every RPC use Methods() so that an RPC added to the proto cannot be left out.
class RemindersApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  static Caller Scheduling() { return {ServiceToken(), ""}; }
  static Caller SchedulingFor(absl::string_view role, absl::string_view subject, absl::string_view clinic);
  static Caller Person(absl::string_view role, absl::string_view subject, absl::string_view clinic);
  static std::string ServiceToken();

  // A context carrying `caller` and the request id `request_id`, with a deadline.
  static std::unique_ptr<grpc::ClientContext> Context(const Caller& caller,
                                                      const std::string& request_id = "");

  static tandem::reminders::v1::Template Template(const std::string& clinic, const std::string& id);
  // Due a day ahead at a whole hour fixed for the process, so that the same arguments make the same request.
  static tandem::reminders::v1::ScheduleReminderRequest ScheduleRequest(const std::string& clinic,
                                                                        const std::string& key,
                                                                        const std::string& owner);
  // Registers t1, schedules two reminders and records the decision of the admin `admin` about t1, in
  // `clinic`.
  Seeded Seed(const std::string& clinic, const std::string& admin = "a1");

  // Every row the service keeps for `clinic` (reminders, templates, discretion decisions, idempotency keys),
  // one line each, in a stable order: equal snapshots mean nothing of the clinic changed.
  std::vector<std::string> Snapshot(const std::string& clinic);
  // Runs DDL on the service's database (a test's way to break or restore the audit trail).
  absl::Status Exec(const std::string& sql);
  bool IsPostgres() const { return GetParam() == "postgres"; }

  // The methods of tandem.reminders.v1.ReminderService, from its descriptor.
  static std::vector<std::string> Methods();
  // Fails the test unless `covered` names exactly the service's methods.
  static void ExpectEveryMethodCovered(const std::set<std::string>& covered);

  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<tandem::testing::ServiceFixture> fixture_;
  std::unique_ptr<tandem::reminders::v1::ReminderService::Stub> stub_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_TESTS_REMINDERS_REMINDERS_API_FIXTURE_H_
