#include "tests/reminders/fake_smtp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tandem::reminders::testing {
namespace {

// Reads CRLF-terminated lines from a socket.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // False when the peer closed or the socket failed.
  bool Next(std::string* line) {
    while (true) {
      const size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        *line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return true;
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

bool SendAll(int fd, const std::string& text) {
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string Reply(int code, absl::string_view text) { return absl::StrCat(code, " ", text, "\r\n"); }

}  // namespace

absl::StatusOr<std::unique_ptr<FakeSmtpServer>> FakeSmtpServer::Start(Options options) {
  std::unique_ptr<FakeSmtpServer> server(new FakeSmtpServer(std::move(options)));
  server->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  if (server->listen_fd_ < 0 ||
      ::bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(server->listen_fd_, 16) != 0 ||
      ::getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return absl::InternalError(absl::StrCat("fake smtp listen: ", std::strerror(errno)));
  }
  server->port_ = ntohs(addr.sin_port);
  server->thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

FakeSmtpServer::~FakeSmtpServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (session_fd_ >= 0) ::shutdown(session_fd_, SHUT_RDWR);
  }
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept() on Linux
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::vector<FakeSmtpServer::Mail> FakeSmtpServer::mails() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mails_;
}

std::vector<std::string> FakeSmtpServer::commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commands_;
}

void FakeSmtpServer::AcceptLoop() {
  while (true) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || fd < 0) {
        if (fd >= 0) ::close(fd);
        if (stopping_) return;
        continue;
      }
      session_fd_ = fd;
    }
    Session(fd);
    std::lock_guard<std::mutex> lock(mu_);
    session_fd_ = -1;
    ::close(fd);
  }
}

void FakeSmtpServer::Session(int fd) {
  LineReader reader(fd);
  if (!SendAll(fd, Reply(options_.greeting, "fake.test ESMTP"))) return;
  if (options_.greeting != 220) return;
  Mail mail;
  bool authenticated = false;
  bool awaiting_auth = false;
  std::string line;
  auto record = [&](const std::string& command) {
    std::lock_guard<std::mutex> lock(mu_);
    commands_.push_back(command);
  };
  auto check_auth = [&](absl::string_view credential) {
    awaiting_auth = false;
    authenticated = credential == options_.auth_plain;
    return SendAll(fd, authenticated ? Reply(235, "ok") : Reply(535, "authentication failed"));
  };
  while (reader.Next(&line)) {
    if (awaiting_auth) {
      record("<auth response>");
      if (!check_auth(line)) return;
      continue;
    }
    const std::string verb = absl::AsciiStrToUpper(line.substr(0, line.find(' ')));
    record(verb == "AUTH" ? "AUTH <masked>" : line);
    std::string answer;
    if (verb == "EHLO") {
      answer = "250-fake.test\r\n250-8BITMIME\r\n";
      if (options_.offer_starttls) absl::StrAppend(&answer, "250-STARTTLS\r\n");
      if (!options_.auth_plain.empty()) absl::StrAppend(&answer, "250-AUTH PLAIN\r\n");
      absl::StrAppend(&answer, "250 HELP\r\n");
    } else if (verb == "HELO" || verb == "NOOP") {
      answer = Reply(250, "ok");
    } else if (verb == "RSET") {
      mail = Mail();
      answer = Reply(250, "ok");
    } else if (verb == "AUTH") {
      const std::string argument = line.size() > 11 ? line.substr(11) : "";  // after "AUTH PLAIN "
      if (!absl::StartsWithIgnoreCase(line, "AUTH PLAIN")) {
        answer = Reply(504, "mechanism not supported");
      } else if (argument.empty()) {
        awaiting_auth = true;
        answer = "334 \r\n";
      } else {
        if (!check_auth(argument)) return;
        continue;
      }
    } else if (verb == "MAIL") {
      mail = Mail();
      mail.mail_from = line.substr(5);
      mail.authenticated = authenticated;
      answer = Reply(options_.mail_reply, "mail");
    } else if (verb == "RCPT") {
      mail.rcpt_to.push_back(line.substr(5));
      answer = Reply(options_.rcpt_reply, "rcpt");
    } else if (verb == "DATA") {
      if (!SendAll(fd, Reply(354, "go ahead"))) return;
      std::string data_line;
      bool ended = false;
      while (reader.Next(&data_line)) {
        if (data_line == ".") {
          ended = true;
          break;
        }
        if (absl::StartsWith(data_line, ".")) data_line.erase(0, 1);
        absl::StrAppend(&mail.data, data_line, "\r\n");
      }
      if (!ended) return;
      if (options_.data_end_reply == 250) {
        std::lock_guard<std::mutex> lock(mu_);
        mails_.push_back(mail);
      }
      answer = Reply(options_.data_end_reply, "data");
    } else if (verb == "QUIT") {
      SendAll(fd, Reply(221, "bye"));
      return;
    } else {
      answer = Reply(502, "not implemented");
    }
    if (!SendAll(fd, answer)) return;
  }
}

}  // namespace tandem::reminders::testing
