#include "tests/reminders/tls_smtp_server.h"

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/fixtures/temp_dir.h"

namespace tandem::reminders::testing {
namespace {

// The Debian interpreter, which the package installs for; a python3 earlier on PATH may not have it.
constexpr char kPython[] = "/usr/bin/python3";
constexpr absl::Duration kStartTimeout = absl::Seconds(15);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

absl::Status CheckServerInstalled() {
  tandem::testing::SubprocessOptions check;
  check.argv = {kPython, "-c", "import aiosmtpd"};
  auto process = tandem::testing::Subprocess::Start(check);
  absl::StatusOr<int> exit = process.ok() ? (*process)->Wait(absl::Seconds(30)) : process.status();
  if (!exit.ok() || !WIFEXITED(*exit) || WEXITSTATUS(*exit) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the STARTTLS SMTP test server needs ", kPython,
                     " with aiosmtpd (Debian package python3-aiosmtpd): run scripts/install-deps.sh"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsSmtpServer>> TlsSmtpServer::Start(const Options& options) {
  if (absl::Status installed = CheckServerInstalled(); !installed.ok()) return installed;
  auto dir = tandem::testing::MakeTempDir("tandem-tls-smtp");
  if (!dir.ok()) return dir.status();
  std::unique_ptr<TlsSmtpServer> server(new TlsSmtpServer());
  server->dir_ = *dir;
  const std::string mail_dir = *dir + "/mail";
  const std::string ready_file = *dir + "/ready";
  const std::string log_file = *dir + "/server.log";
  std::filesystem::create_directory(mail_dir);

  tandem::testing::SubprocessOptions launch;
  launch.argv = {kPython, TANDEM_TLS_SMTP_SERVER_SCRIPT, "--mail_dir", mail_dir, "--ready_file", ready_file};
  if (options.offer_starttls) {
    launch.argv.insert(launch.argv.end(), {"--cert", options.cert_file, "--key", options.key_file});
  } else {
    launch.argv.emplace_back("--no_starttls");
  }
  launch.log_path = log_file;
  auto process = tandem::testing::Subprocess::Start(launch);
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);

  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (!std::filesystem::exists(ready_file)) {
    if (!server->process_->Running() || absl::Now() > deadline) {
      return absl::UnavailableError(
          absl::StrCat("the STARTTLS SMTP test server did not start: ", ReadFile(log_file)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(ready_file)), &server->port_)) {
    return absl::InternalError("the STARTTLS SMTP test server wrote no port");
  }
  return server;
}

TlsSmtpServer::~TlsSmtpServer() {
  if (process_ != nullptr) (void)process_->Stop(SIGTERM, absl::Seconds(5));
  tandem::testing::RemoveTree(dir_);
}

std::vector<TlsSmtpServer::Mail> TlsSmtpServer::mails() const {
  std::vector<Mail> mails;
  for (int n = 1;; ++n) {
    const std::string base = absl::StrCat(dir_, "/mail/", n);
    if (!std::filesystem::exists(base + ".envelope")) break;
    Mail mail;
    for (const std::string& line : Lines(ReadFile(base + ".envelope"))) {
      if (absl::StartsWith(line, "from ")) mail.mail_from = line.substr(5);
      if (absl::StartsWith(line, "to ")) mail.rcpt_to.push_back(line.substr(3));
      if (line == "tls yes") mail.over_tls = true;
    }
    mail.data = ReadFile(base + ".eml");
    mails.push_back(std::move(mail));
  }
  return mails;
}

std::vector<std::string> TlsSmtpServer::mail_commands() const {
  return Lines(ReadFile(dir_ + "/mail/mail_commands"));
}

}  // namespace tandem::reminders::testing
