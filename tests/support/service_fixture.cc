#include "tests/support/service_fixture.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "common/status/status_macros.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/support/test_tokens.h"

namespace tandem::testing {
namespace {

// Owner-only: services refuse a secret file others may read.
absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out || chmod(path.c_str(), 0600) != 0) return absl::InternalError("cannot write " + path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceFixture>> ServiceFixture::Start(service::ServiceDefinition definition,
                                                                      const service::BuildService& build,
                                                                      const ServiceFixtureOptions& options) {
  std::unique_ptr<ServiceFixture> fixture(new ServiceFixture());
  ASSIGN_OR_RETURN(fixture->dir_, MakeTempDir(definition.name));
  service::RuntimeConfig config;
  config.listen_address = "127.0.0.1";
  config.db_url =
      options.db_url.empty() ? "sqlite://" + fixture->dir_ + "/" + definition.name + ".db" : options.db_url;
  config.redis_url = options.redis_url.empty() ? "redis://127.0.0.1:1" : options.redis_url;
  config.kek_file = fixture->dir_ + "/kek.hex";
  RETURN_IF_ERROR(WriteFile(config.kek_file, std::string(64, 'c')));
  config.hs256_secret_file = fixture->dir_ + "/hs256.secret";
  RETURN_IF_ERROR(WriteFile(config.hs256_secret_file, kTestHs256Secret));
  config.jwt_issuer = kTestIssuer;
  config.jwt_audience = kTestAudience;
  config.worker_threads = 4;
  config.migrate_at_start = options.migrate_at_start;
  ASSIGN_OR_RETURN(fixture->runtime_, service::Runtime::Create(std::move(definition), std::move(config)));
  ASSIGN_OR_RETURN(fixture->parts_, build(*fixture->runtime_));
  RETURN_IF_ERROR(fixture->runtime_->Start(fixture->parts_.get()));
  return fixture;
}

ServiceFixture::~ServiceFixture() { Stop(); }

void ServiceFixture::Stop() {
  if (runtime_ != nullptr) runtime_->Shutdown(absl::Seconds(1));
  parts_.reset();
  runtime_.reset();
  if (!dir_.empty()) RemoveTree(dir_);
  dir_.clear();
}

std::unique_ptr<grpc::ClientContext> ServiceFixture::Context(const std::string& token,
                                                             const std::string& end_user) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  if (!end_user.empty()) context->AddMetadata("x-tandem-end-user", end_user);
  return context;
}

std::vector<audit::AuditEntry> ServiceFixture::AuditRows(const std::string& clinic_id) {
  std::vector<audit::AuditEntry> rows;
  std::string token;
  do {
    absl::StatusOr<audit::AuditPage> page =
        runtime_->audit().List(clinic_id, {}, audit::AuditLog::kMaxPageSize, token);
    if (!page.ok()) break;
    rows.insert(rows.end(), page->entries.begin(), page->entries.end());
    token = page->next_page_token;
  } while (!token.empty());
  std::reverse(rows.begin(), rows.end());
  return rows;
}

}  // namespace tandem::testing
