#ifndef TANDEM_TESTS_REMINDERS_TLS_SMTP_SERVER_H_
#define TANDEM_TESTS_REMINDERS_TLS_SMTP_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/fixtures/subprocess.h"

namespace tandem::reminders::testing {

// A real SMTP server that speaks STARTTLS (aiosmtpd, from the python3-aiosmtpd package that
// scripts/install-deps.sh installs) on 127.0.0.1 and a port it picks, run as a child process for as long as
// this object lives. When it offers STARTTLS it also requires it before MAIL, as a careful relay does.
class TlsSmtpServer {
 public:
  struct Options {
    // PEM certificate chain and key; needed when offer_starttls.
    std::string cert_file;
    std::string key_file;
    bool offer_starttls = true;
  };
  struct Mail {
    std::string mail_from;  // envelope sender, e.g. "a@b.example"
    std::vector<std::string> rcpt_to;
    std::string data;  // the message bytes as received (dot-unstuffed), CRLF line ends
    bool over_tls = false;
  };

  // FAILED_PRECONDITION when the server package is not installed: the tests that use it must fail, not skip.
  static absl::StatusOr<std::unique_ptr<TlsSmtpServer>> Start(const Options& options);
  ~TlsSmtpServer();

  int port() const { return port_; }
  std::vector<Mail> mails() const;  // accepted messages, in order
  // One line per MAIL command the server saw, accepted or not: "<sender> tls=yes|no".
  std::vector<std::string> mail_commands() const;

 private:
  TlsSmtpServer() = default;

  std::string dir_;
  std::unique_ptr<tandem::testing::Subprocess> process_;
  int port_ = 0;
};

}  // namespace tandem::reminders::testing

#endif  // TANDEM_TESTS_REMINDERS_TLS_SMTP_SERVER_H_
