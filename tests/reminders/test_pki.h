#ifndef TANDEM_TESTS_REMINDERS_TEST_PKI_H_
#define TANDEM_TESTS_REMINDERS_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace tandem::reminders::testing {

// A certificate and its private key as PEM files.
struct PemPair {
  std::string cert_file;
  std::string key_file;
};

// A fresh certificate authority (P-256, valid for an hour) named `name`, written as `<dir>/<name>.ca.pem` and
// `<dir>/<name>.ca.key`. Each call makes a new key, so two CAs never trust each other's certificates.
absl::StatusOr<PemPair> MakeTestCa(const std::string& dir, const std::string& name);

// A server certificate signed by `ca` for `subject_alt_names` (OpenSSL syntax, e.g.
// "IP:127.0.0.1,DNS:localhost"), written as `<dir>/<name>.pem` and `<dir>/<name>.key`.
absl::StatusOr<PemPair> IssueServerCertificate(const PemPair& ca, const std::string& dir,
                                               const std::string& name, const std::string& subject_alt_names);

}  // namespace tandem::reminders::testing

#endif  // TANDEM_TESTS_REMINDERS_TEST_PKI_H_
