// The service runtime: a service built on it in process (authorization table enforced at start, the audit of
// calls), configuration errors, the service's own identity, migrations with the owner and runtime roles on
// PostgreSQL, and the real binary's --migrate_only and bad-configuration exits.
#include "common/service/runtime.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/keys.h"
#include "common/db/idempotency_store.h"
#include "common/db/open_database.h"
#include "common/service/rpc_kit.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.grpc.pb.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

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

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
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
  tandem::testing::RemoveTree(*dir);
}

}  // namespace
}  // namespace tandem::service
