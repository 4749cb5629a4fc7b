// The service runtime: a service built on it in process (authorization table enforced at start, the audit of
// calls), configuration errors, the service's own identity, migrations with the owner and runtime roles on
// PostgreSQL, and the real binary's --migrate_only and bad-configuration exits.
#include "common/service/runtime.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/auth/keys.h"
#include "common/db/idempotency_store.h"
#include "common/db/open_database.h"
#include "common/service/rpc_kit.h"
#include "common/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.grpc.pb.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

ABSL_DECLARE_FLAG(bool, grpc_reflection);
ABSL_DECLARE_FLAG(std::string, admin_address);

namespace tandem::service {
namespace {

using tandem::testing::v1::EchoRequest;
using tandem::testing::v1::EchoResponse;
using tandem::testing::v1::EchoService;

// Echo on the kit: the request's message names the clinic; Echo writes nothing, EchoBlocking audits a read.
class KitEchoService final : public EchoService::CallbackService {
 public:
  KitEchoService(Runtime& runtime, AuthzTable rules)
      : kit_("echo", std::move(rules), runtime.verifier(), runtime.audit(), runtime.workers()) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    return kit_.Unary(context, "Echo", request->message(), [response](const Call& call) {
      response->set_subject(call.caller().subject);
      return absl::OkStatus();
    });
  }
  grpc::ServerUnaryReactor* EchoBlocking(grpc::CallbackServerContext* context, const EchoRequest* request,
                                         EchoResponse* response) override {
    return kit_.Unary(context, "EchoBlocking", request->message(), [response](const Call& call) {
      response->set_subject(call.caller().subject);
      return call.AuditRead("thing-1");
    });
  }
  const AuthzTable& rules() const { return kit_.table(); }

 private:
  RpcKit kit_;
};

const RpcRule kRule{{auth::kRoleClinician}, {"scheduling"}, {}, "echo.read", "echo"};

struct EchoParts final : ServiceParts {
  std::unique_ptr<KitEchoService> service;
};

BuildService BuildEcho(bool complete) {
  return [complete](Runtime& runtime) -> absl::StatusOr<std::unique_ptr<ServiceParts>> {
    absl::flat_hash_map<std::string, RpcRule> rules = {{"Echo", kRule}};
    if (complete) rules["EchoBlocking"] = kRule;
    auto parts = std::make_unique<EchoParts>();
    parts->service = std::make_unique<KitEchoService>(
        runtime, AuthzTable(EchoService::service_full_name(), std::move(rules)));
    runtime.AddService(parts->service.get(), parts->service->rules());
    return parts;
  };
}

ServiceDefinition EchoDefinition() { return {"echo", 0, -1, {}}; }

// Owner-only, as a service requires of a secret file.
void WriteFile(const std::string& path, const std::string& content) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  chmod(path.c_str(), 0600);
}

TEST(RuntimeTest, ServesOnTheKitAndAuditsInTheServicesDatabase) {
  auto fixture = tandem::testing::ServiceFixture::Start(EchoDefinition(), BuildEcho(true));
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  auto stub = EchoService::NewStub((*fixture)->channel());
  EchoRequest request;
  request.set_message("c1");
  EchoResponse response;
  auto ok = tandem::testing::ServiceFixture::Context(tandem::testing::PersonToken("clinician", "u7", "c1"));
  ASSERT_TRUE(stub->EchoBlocking(ok.get(), request, &response).ok());
  EXPECT_EQ(response.subject(), "u7");
  auto denied = tandem::testing::ServiceFixture::Context(tandem::testing::PersonToken("client", "k1", "c1"));
  EXPECT_EQ(stub->Echo(denied.get(), request, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto other =
      tandem::testing::ServiceFixture::Context(tandem::testing::PersonToken("clinician", "u8", "c2"));
  EXPECT_EQ(stub->Echo(other.get(), request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  auto rows = (*fixture)->AuditRows("c1");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].actor, "u7");
  EXPECT_EQ(rows[0].action, "echo.read");
  EXPECT_EQ(rows[0].resource_id, "thing-1");
  EXPECT_EQ(rows[0].outcome, "ok");
  EXPECT_EQ(rows[1].actor, "k1");
  EXPECT_EQ(rows[1].outcome, "denied");
  EXPECT_EQ(rows[2].actor, "u8");
  EXPECT_EQ(rows[2].outcome, "denied");
}

// A real service refuses an end-user assertion that was made for another service and captured there: sent as
// a bearer token, or with a service token by its maker or by the service that captured it.
TEST(RuntimeTest, AnAssertionCapturedByAnotherServiceIsRefusedHere) {
  auto fixture = tandem::testing::ServiceFixture::Start(EchoDefinition(), BuildEcho(true));
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  auto stub = EchoService::NewStub((*fixture)->channel());
  EchoRequest request;
  request.set_message("c1");
  EchoResponse response;
  auto person =
      (*fixture)->runtime().verifier().Verify(tandem::testing::PersonToken("clinician", "u7", "c1"));
  ASSERT_TRUE(person.ok()) << person.status();
  auto scheduling = tandem::testing::TestServiceIdentity("scheduling");
  auto for_echo = scheduling->Assert(*person, "echo");
  auto captured = scheduling->Assert(*person, "reminders");
  ASSERT_TRUE(for_echo.ok() && captured.ok());
  // What scheduling may do: call echo for the clinician with an assertion addressed to echo.
  auto allowed = tandem::testing::ServiceFixture::Context(*scheduling->Token("echo"), *for_echo);
  ASSERT_TRUE(stub->Echo(allowed.get(), request, &response).ok());

  auto as_bearer = tandem::testing::ServiceFixture::Context(*captured);
  grpc::Status bearer = stub->Echo(as_bearer.get(), request, &response);
  EXPECT_EQ(bearer.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(bearer.error_message(), "invalid token: an end-user assertion is not a bearer token");
  auto reminders = tandem::testing::TestServiceIdentity("reminders");
  for (auto* service : {scheduling.get(), reminders.get()}) {
    auto replayed = tandem::testing::ServiceFixture::Context(*service->Token("echo"), *captured);
    grpc::Status status = stub->Echo(replayed.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << service->service_name();
    EXPECT_EQ(status.error_message(), "invalid end-user assertion");
  }
  // Echo records no read, and a caller never authenticated leaves no denial row: no row names the person.
  EXPECT_EQ((*fixture)->AuditRows("c1").size(), 0u);
}

// Authentication comes before any queued work: with every worker busy and the queue full, a flood of calls
// without a valid token is still refused at once as UNAUTHENTICATED, and leaves no audit row behind, while an
// authenticated call finds the pool full.
TEST(RuntimeTest, CallsWithoutAValidTokenCostNoWorkerAndNoAuditRow) {
  auto fixture = tandem::testing::ServiceFixture::Start(EchoDefinition(), BuildEcho(true));
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  WorkerPool& workers = (*fixture)->runtime().workers();
  // Shared with the tasks, which the pool may still run after this test body has returned. Every worker is
  // first seen busy, then the queue is filled.
  auto release = std::make_shared<absl::Notification>();
  auto started = std::make_shared<std::atomic<int>>(0);
  auto block = [release, started] {
    ++*started;
    release->WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  while (*started < workers.threads()) {
    if (!workers.TrySubmit(block)) absl::SleepFor(absl::Milliseconds(1));
  }
  while (workers.TrySubmit(block)) {
  }
  ASSERT_EQ(*started, workers.threads());

  // Over TCP, as a flood would arrive.
  auto stub = EchoService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*fixture)->runtime().host().port()), grpc::InsecureChannelCredentials()));
  EchoRequest request;
  request.set_message("c1");
  EchoResponse response;
  const std::string forged = tandem::testing::PersonToken("clinician", "u7", "c1") + "x";
  for (int i = 0; i < 50; ++i) {
    auto context = tandem::testing::ServiceFixture::Context(i % 2 == 0 ? forged : "not-a-token");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    EXPECT_EQ(stub->EchoBlocking(context.get(), request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  auto valid =
      tandem::testing::ServiceFixture::Context(tandem::testing::PersonToken("clinician", "u7", "c1"));
  valid->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(stub->EchoBlocking(valid.get(), request, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  release->Notify();
  EXPECT_EQ((*fixture)->AuditRows("c1").size(), 0u);
}

TEST(RuntimeTest, MaintenanceDeletesExpiredIdempotencyKeysOnly) {
  auto fixture = tandem::testing::ServiceFixture::Start(EchoDefinition(), BuildEcho(true));
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  db::Database& database = (*fixture)->runtime().database();
  FakeClock two_days_ago(absl::Now() - absl::Hours(48));
  const db::IdempotencyStore old_keys(two_days_ago), new_keys;
  for (const auto* store : {&old_keys, &new_keys}) {
    const db::IdempotencyKey key{"c1", "scheduling", "Book", store == &old_keys ? "old" : "new"};
    ASSERT_TRUE(database
                    .RunInTransaction(db::TxMode::kWrite,
                                      [&](db::Transaction& tx) -> absl::Status {
                                        auto begun = store->Begin(tx, key, "hash");
                                        if (!begun.ok()) return begun.status();
                                        return store->Complete(tx, key, "response");
                                      })
                    .ok());
  }
  auto swept = (*fixture)->runtime().RunMaintenance();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(*(*fixture)->runtime().RunMaintenance(), 0);
}

TEST(RuntimeTest, AServiceWithAMethodWithoutARuleDoesNotStart) {
  auto fixture = tandem::testing::ServiceFixture::Start(EchoDefinition(), BuildEcho(false));
  EXPECT_EQ(fixture.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(fixture.status().message().find("EchoBlocking"), std::string::npos);
}

TEST(RuntimeTest, ConfigurationErrorsNameWhatIsWrong) {
  auto dir = tandem::testing::MakeTempDir("runtime");
  ASSERT_TRUE(dir.ok());
  RuntimeConfig config;
  config.db_url = absl::StrCat("sqlite://", *dir, "/x.db");
  config.hs256_secret_file = *dir + "/secret";
  WriteFile(config.hs256_secret_file, tandem::testing::kTestHs256Secret);
  auto no_kek = Runtime::Create(EchoDefinition(), config);
  EXPECT_EQ(no_kek.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_kek.status().message().find("--kek_file"), std::string::npos);
  config.kek_file = *dir + "/kek";
  WriteFile(config.kek_file, std::string(64, 'a'));
  // Without an issuer a token from any issuer would do: the runtime does not start.
  auto no_issuer = Runtime::Create(EchoDefinition(), config);
  EXPECT_EQ(no_issuer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_issuer.status().message().find("--jwt_issuer"), std::string::npos);
  config.jwt_issuer = tandem::testing::kTestIssuer;
  config.redis_url = "http://not-redis";
  EXPECT_FALSE(Runtime::Create(EchoDefinition(), config).ok());
  config.redis_url = "redis://127.0.0.1:6399";
  config.cache_redis_url = "";
  config.db_url = "";
  EXPECT_NE(Runtime::Create(EchoDefinition(), config).status().message().find("--db_url"), std::string::npos);
  config.db_url = absl::StrCat("sqlite://", *dir, "/x.db");
  auto runtime = Runtime::Create(EchoDefinition(), config);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  EXPECT_EQ((*runtime)->CacheRedisOptions()->port, 6399);  // the cache defaults to --redis_url
  EXPECT_EQ((*runtime)->identity(), nullptr);
  EXPECT_EQ((*runtime)->RequireIdentity().status().code(), absl::StatusCode::kFailedPrecondition);
  runtime->reset();
  tandem::testing::RemoveTree(*dir);
}

TEST(RuntimeTest, ReflectionIsOffAndTheAdminPortSharesTheListenAddressUnlessFlagsSayOtherwise) {
  const RuntimeConfig defaults = RuntimeConfigFromFlags();
  EXPECT_FALSE(defaults.grpc_reflection);
  EXPECT_EQ(defaults.admin_address, "");
  absl::SetFlag(&FLAGS_grpc_reflection, true);
  absl::SetFlag(&FLAGS_admin_address, "127.0.0.1");
  const RuntimeConfig set = RuntimeConfigFromFlags();
  absl::SetFlag(&FLAGS_grpc_reflection, false);
  absl::SetFlag(&FLAGS_admin_address, "");
  EXPECT_TRUE(set.grpc_reflection);
  EXPECT_EQ(set.admin_address, "127.0.0.1");
}

TEST(RuntimeTest, TheSigningKeySignsThisServicesOwnBoundIdentity) {
  auto dir = tandem::testing::MakeTempDir("runtime");
  ASSERT_TRUE(dir.ok());
  auto key = auth::GenerateKey(auth::KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  auto kid = auth::JwkThumbprint(key->get());
  auto jwk = auth::PublicJwk(key->get(), *kid);
  (*jwk)["tandem_subjects"] = {"echo"};
  RuntimeConfig config;
  config.db_url = absl::StrCat("sqlite://", *dir, "/x.db");
  config.kek_file = *dir + "/kek";
  WriteFile(config.kek_file, std::string(64, 'a'));
  config.jwks_file = *dir + "/jwks.json";
  WriteFile(config.jwks_file, nlohmann::json{{"keys", {*jwk}}}.dump());
  config.jwt_issuer = tandem::testing::kTestIssuer;
  config.signing_key_file = *dir + "/echo.pem";
  WriteFile(config.signing_key_file, *auth::PrivateKeyPem(key->get()));
  auto runtime = Runtime::Create(EchoDefinition(), config);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  ASSERT_NE((*runtime)->identity(), nullptr);
  auto token = (*runtime)->identity()->Token("scheduling");
  ASSERT_TRUE(token.ok()) << token.status();
  auto principal = (*runtime)->verifier().Verify(*token);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_TRUE(principal->IsService());
  EXPECT_EQ(principal->subject, "echo");
  EXPECT_EQ(principal->audiences, std::vector<std::string>({"scheduling"}));
  // A service that calls others has an identity; one configured without a key is told so at start.
  EXPECT_TRUE((*runtime)->RequireIdentity().ok());
  runtime->reset();
  tandem::testing::RemoveTree(*dir);
}

TEST(RuntimeTest, MigrationsRunAsTheOwnerAndTheServiceAsItsRuntimeRole) {
  auto owner_url = tandem::testing::NewTestDatabaseUrl();
  ASSERT_TRUE(owner_url.ok()) << owner_url.status();
  auto runtime_url = tandem::testing::CreateLoginRole(*owner_url, "runtime_test_role");
  ASSERT_TRUE(runtime_url.ok()) << runtime_url.status();
  RuntimeConfig config;
  config.db_url = *runtime_url;
  config.db_migrate_url = *owner_url;
  ASSERT_TRUE(Runtime::Migrate(EchoDefinition(), config).ok());
  // Serving pods hold only the runtime role and do not migrate.
  tandem::testing::ServiceFixtureOptions options;
  options.db_url = *runtime_url;
  options.migrate_at_start = false;
  auto fixture = tandem::testing::ServiceFixture::Start(EchoDefinition(), BuildEcho(true), options);
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  auto stub = EchoService::NewStub((*fixture)->channel());
  EchoRequest request;
  request.set_message("c1");
  EchoResponse response;
  auto context = tandem::testing::ServiceFixture::Context(tandem::testing::PersonToken("clinician"));
  ASSERT_TRUE(stub->EchoBlocking(context.get(), request, &response).ok());
  EXPECT_EQ((*fixture)->AuditRows("c1").size(), 1u);
  // The runtime role cannot rewrite the trail.
  auto db = db::OpenDatabase(*runtime_url);
  ASSERT_TRUE(db.ok());
  absl::Status update = (*db)->RunInTransaction(db::TxMode::kWrite, [](db::Transaction& tx) {
    return tx.Execute("UPDATE audit_log SET actor = 'x'").status();
  });
  EXPECT_FALSE(update.ok());
}

TEST(RuntimeTest, TheBinaryMigratesOnlyOrExitsWithOneClearLine) {
  auto dir = tandem::testing::MakeTempDir("runtime");
  ASSERT_TRUE(dir.ok());
  const std::string log = *dir + "/out.log";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), TANDEM_REMINDERS_BINARY);
    auto process = tandem::testing::Subprocess::Start({args, "", log, false});
    EXPECT_TRUE(process.ok());
    auto status = (*process)->Wait(absl::Seconds(30));
    EXPECT_TRUE(status.ok());
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  };
  const std::string db = absl::StrCat("--db_url=sqlite://", *dir, "/reminders.db");
  EXPECT_EQ(run({db, "--migrate_only"}), 0);
  auto migrated = db::OpenDatabase(absl::StrCat("sqlite://", *dir, "/reminders.db"));
  ASSERT_TRUE(migrated.ok());
  absl::Status tables = (*migrated)->RunInTransaction(db::TxMode::kRead, [](db::Transaction& tx) {
    for (const char* table : {"reminders", "audit_log", "idempotency_keys", "data_keys"}) {
      if (absl::Status s = tx.Execute(absl::StrCat("SELECT COUNT(*) FROM ", table)).status(); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(tables.ok()) << tables;

  std::ofstream(log, std::ios::trunc).close();
  WriteFile(*dir + "/secret", tandem::testing::kTestHs256Secret);
  EXPECT_EQ(run({db, "--hs256_secret_file=" + *dir + "/secret", "--port=0", "--admin_port=-1"}), 2);
  std::ifstream in(log);
  std::string line, last;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    last = line;
  }
  EXPECT_EQ(lines, 1) << last;
  EXPECT_NE(last.find("bad_configuration"), std::string::npos) << last;
  EXPECT_NE(last.find("--kek_file is required"), std::string::npos) << last;

  // With every other setting in place, a service started without --jwt_issuer exits 2 and says why.
  std::ofstream(log, std::ios::trunc).close();
  WriteFile(*dir + "/kek", std::string(64, 'a'));
  EXPECT_EQ(run({db, "--hs256_secret_file=" + *dir + "/secret", "--kek_file=" + *dir + "/kek", "--port=0",
                 "--admin_port=-1"}),
            2);
  std::ifstream no_issuer(log);
  std::string first;
  std::getline(no_issuer, first);
  EXPECT_NE(first.find("bad_configuration"), std::string::npos) << first;
  EXPECT_NE(first.find("--jwt_issuer"), std::string::npos) << first;

  // A key-encryption key every user may read is refused: exit 2, one line naming the file and its mode.
  std::ofstream(log, std::ios::trunc).close();
  chmod((*dir + "/kek").c_str(), 0644);
  EXPECT_EQ(run({db, "--hs256_secret_file=" + *dir + "/secret", "--kek_file=" + *dir + "/kek", "--port=0",
                 "--admin_port=-1", "--jwt_issuer=tandem-test"}),
            2);
  std::ifstream readable_kek(log);
  std::string refused;
  std::getline(readable_kek, refused);
  EXPECT_NE(refused.find("bad_configuration"), std::string::npos) << refused;
  EXPECT_NE(refused.find(*dir + "/kek is readable by every user (mode 0644)"), std::string::npos) << refused;
  tandem::testing::RemoveTree(*dir);
}

}  // namespace
}  // namespace tandem::service
