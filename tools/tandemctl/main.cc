// tandemctl: local key material and tokens for running and testing Tandem.
//
//   tandemctl keys  --dir .run/keys            signing key + JWKS (kept if present)
//   tandemctl service-key --service scheduling   a service's own key, bound to it in the JWKS
//   tandemctl token --clinic c1 --role clinician --sub u1 [--ttl 3600]
//   tandemctl kek   --out .run/keys/kek.hex    key-encryption key for clinical text
//   tandemctl backup --db .run/data/x.db --out backups/x.db   online copy of a live SQLite database
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "tools/tandemctl/commands.h"
#include "tools/tandemctl/sqlite_backup.h"

ABSL_FLAG(std::string, dir, "", "keys directory (default: $TANDEM_KEYS_DIR or .run/keys)");
ABSL_FLAG(std::string, type, "ec", "keys: ec (ES256) or rsa (RS256)");
ABSL_FLAG(std::string, kid, "", "keys: key id (default: RFC 7638 thumbprint)");
ABSL_FLAG(bool, force, false, "keys: replace an existing key");
ABSL_FLAG(std::string, sub, "", "token: subject (user, client roster id, or service name)");
ABSL_FLAG(std::string, clinic, "", "token: clinic_id");
ABSL_FLAG(std::vector<std::string>, role, {}, "token: role(s), comma-separated");
ABSL_FLAG(std::string, issuer, "tandem-local", "token: iss");
ABSL_FLAG(std::string, audience, "tandem", "token: aud");
ABSL_FLAG(int, ttl, 3600, "token: lifetime in seconds");
ABSL_FLAG(std::string, out, "", "kek, backup: output file");
ABSL_FLAG(std::string, service, "", "service-key: the service's name");
ABSL_FLAG(std::string, db, "", "backup: the SQLite database file to copy (it may be in use)");

namespace {

std::string KeysDir() {
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (!dir.empty()) return dir;
  const char* env = std::getenv("TANDEM_KEYS_DIR");
  return env != nullptr && *env != '\0' ? env : ".run/keys";
}

int Fail(const absl::Status& status) {
  std::cerr << "tandemctl: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("tandemctl keys|service-key|token|kek|backup [flags]; see --help");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::cerr << "usage: tandemctl keys|service-key|token|kek|backup [flags] (--help for flags)\n";
    return 2;
  }
  std::string command = args[1];
  if (command == "keys") {
    absl::Status status = tandem::tandemctl::MakeKeys(KeysDir(), absl::GetFlag(FLAGS_type),
                                                      absl::GetFlag(FLAGS_kid), absl::GetFlag(FLAGS_force));
    if (!status.ok()) return Fail(status);
    std::cout << "keys in " << KeysDir() << "\n";
    return 0;
  }
  if (command == "service-key") {
    absl::Status status = tandem::tandemctl::MakeServiceKey(KeysDir(), absl::GetFlag(FLAGS_service));
    if (!status.ok()) return Fail(status);
    return 0;
  }
  if (command == "token") {
    tandem::tandemctl::TokenRequest request;
    request.keys_dir = KeysDir();
    request.subject = absl::GetFlag(FLAGS_sub);
    request.clinic_id = absl::GetFlag(FLAGS_clinic);
    request.roles = absl::GetFlag(FLAGS_role);
    request.issuer = absl::GetFlag(FLAGS_issuer);
    request.audience = absl::GetFlag(FLAGS_audience);
    request.ttl_seconds = absl::GetFlag(FLAGS_ttl);
    auto token = tandem::tandemctl::MintToken(request);
    if (!token.ok()) return Fail(token.status());
    std::cout << *token << "\n";
    return 0;
  }
  if (command == "kek") {
    if (absl::GetFlag(FLAGS_out).empty()) return Fail(absl::InvalidArgumentError("--out is required"));
    absl::Status status = tandem::tandemctl::MakeKeyEncryptionKey(absl::GetFlag(FLAGS_out));
    if (!status.ok()) return Fail(status);
    return 0;
  }
  if (command == "backup") {
    absl::Status status = tandem::tandemctl::BackupSqlite(absl::GetFlag(FLAGS_db), absl::GetFlag(FLAGS_out));
    if (!status.ok()) return Fail(status);
    std::cout << "backup in " << absl::GetFlag(FLAGS_out) << " (integrity check ok)\n";
    return 0;
  }
  std::cerr << "tandemctl: unknown command \"" << command << "\"\n";
  return 2;
}
