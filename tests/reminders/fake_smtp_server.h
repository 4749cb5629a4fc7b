#ifndef TANDEM_TESTS_REMINDERS_FAKE_SMTP_SERVER_H_
#define TANDEM_TESTS_REMINDERS_FAKE_SMTP_SERVER_H_

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace tandem::reminders::testing {

// Just enough of an SMTP server, on 127.0.0.1 and a free port, to check what a client sends: 220 greeting,
// EHLO/HELO, optional AUTH PLAIN, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT. Sessions are
// served one after another on one thread. Reply codes for the interesting steps are configurable.
class FakeSmtpServer {
 public:
  struct Options {
    int greeting = 220;
    int mail_reply = 250;
    int rcpt_reply = 250;
    int data_end_reply = 250;     // the answer to the final "."
    bool offer_starttls = false;  // advertised only; the server cannot actually speak TLS
    std::string auth_plain;       // when set, AUTH PLAIN is offered and this base64 credential accepted
  };
  struct Mail {
    std::string mail_from;  // the MAIL command's argument, e.g. "FROM:<a@b.c> SIZE=123"
    std::vector<std::string> rcpt_to;
    std::string data;  // the message as received, dot-unstuffed, CRLF line ends
    bool authenticated = false;
  };

  static absl::StatusOr<std::unique_ptr<FakeSmtpServer>> Start(Options options);
  ~FakeSmtpServer();

  int port() const { return port_; }
  std::vector<Mail> mails() const;            // transactions whose final "." got a 250
  std::vector<std::string> commands() const;  // every command line, in order (AUTH arguments masked)

 private:
  explicit FakeSmtpServer(Options options) : options_(std::move(options)) {}
  void AcceptLoop();
  void Session(int fd);

  const Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;

  mutable std::mutex mu_;
  bool stopping_ = false;
  int session_fd_ = -1;
  std::vector<Mail> mails_;
  std::vector<std::string> commands_;
};

}  // namespace tandem::reminders::testing

#endif  // TANDEM_TESTS_REMINDERS_FAKE_SMTP_SERVER_H_
