// A test-only outbox relay process: OutboxRelay with GrpcOutboxSender against --db_url, delivering every
// message for --service to --receiver, authenticated with an HS256 service token of the test secret. Runs
// until SIGTERM (the crash test kills it with SIGKILL instead).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/service_token_source.h"
#include "common/db/grpc_outbox_sender.h"
#include "common/db/open_database.h"
#include "common/db/outbox_relay.h"
#include "common/grpc/client_channel.h"
#include "common/grpc/server_host.h"
#include "common/log/log.h"
#include "tests/support/test_tokens.h"

ABSL_FLAG(std::string, db_url, "", "the database holding the outbox");
ABSL_FLAG(std::string, receiver, "", "host:port of the service the messages go to");
ABSL_FLAG(std::string, service, "tandem.testing.v1.EchoService", "the full name of that service");
ABSL_FLAG(std::string, identity, "outbox-relay-test", "the service subject the relay authenticates as");
ABSL_FLAG(int, threads, 2, "relay threads");
ABSL_FLAG(int, batch_size, 8, "messages one thread claims at a time");
ABSL_FLAG(int, lease_ms, 3000, "how long a claim holds");
ABSL_FLAG(int, min_lease_left_ms, 1500, "claims with less left are given back unsent");
ABSL_FLAG(int, timeout_ms, 1000, "deadline of each call");
ABSL_FLAG(int, poll_ms, 20, "pause between polls when nothing is due");
ABSL_FLAG(int, backoff_base_ms, 100, "ceiling of the first retry's delay");
ABSL_FLAG(int, backoff_cap_ms, 1000, "longest retry delay");

namespace tandem {
namespace {

int Fail(const std::string& what, const absl::Status& status) {
  std::cerr << "outbox_relay_main: " << what << ": " << status << "\n";
  return EXIT_FAILURE;
}

int Run() {
  // Before any thread starts, so only WaitForTerminationSignal sees SIGTERM.
  BlockTerminationSignals();
  log::Init("outbox-relay-test", "info");
  absl::StatusOr<std::unique_ptr<db::Database>> database = db::OpenDatabase(absl::GetFlag(FLAGS_db_url));
  if (!database.ok()) return Fail("open database", database.status());
  absl::StatusOr<std::unique_ptr<auth::JwtSigner>> signer =
      auth::JwtSigner::FromHs256Secret(testing::kTestHs256Secret, testing::kTestIssuer);
  if (!signer.ok()) return Fail("signer", signer.status());
  auth::ServiceTokenSource identity(*std::move(signer), absl::GetFlag(FLAGS_identity));

  absl::flat_hash_map<std::string, db::GrpcOutboxSender::Target> targets;
  targets[absl::GetFlag(FLAGS_service)] = {MakeServiceChannel(absl::GetFlag(FLAGS_receiver)), "echo"};
  db::GrpcOutboxSender sender(std::move(targets), identity,
                              absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));

  db::OutboxRelayOptions options;
  options.threads = absl::GetFlag(FLAGS_threads);
  options.batch_size = absl::GetFlag(FLAGS_batch_size);
  options.lease = absl::Milliseconds(absl::GetFlag(FLAGS_lease_ms));
  options.min_lease_left = absl::Milliseconds(absl::GetFlag(FLAGS_min_lease_left_ms));
  options.poll_interval = absl::Milliseconds(absl::GetFlag(FLAGS_poll_ms));
  options.backoff_base = absl::Milliseconds(absl::GetFlag(FLAGS_backoff_base_ms));
  options.backoff_cap = absl::Milliseconds(absl::GetFlag(FLAGS_backoff_cap_ms));
  db::OutboxRelay relay(**database, sender, options);
  if (absl::Status started = relay.Start(); !started.ok()) return Fail("start relay", started);
  log::Info("outbox_relay_started");
  WaitForTerminationSignal();
  relay.Stop();
  log::Info("outbox_relay_stopped");
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tandem::Run();
}
