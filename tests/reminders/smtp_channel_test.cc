#include "services/reminders/channels/smtp_channel.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/reminders/fake_smtp_server.h"
#include "tests/reminders/test_http_server.h"
#include "tests/reminders/test_pki.h"
#include "tests/reminders/tls_smtp_server.h"

namespace tandem::reminders {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeSmtpServer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using testing::TlsSmtpServer;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 7, 13, 9, 30, 0), absl::UTCTimeZone());

OutboundMessage Message() {
  OutboundMessage message;
  message.idempotency_id = "0192f1c2-7a6b-7c3d-8e9f-0123456789ab";
  message.recipient = "sam@example.org";
  message.sender_name = "Riverside Practice";
  message.subject = "Reminder for tomorrow";
  message.body = "Hello Sam,\n.a line starting with a dot\nSee you Tue 14 Jul, 18:00.\n";
  message.due_at = absl::FromCivil(absl::CivilSecond(2026, 7, 14, 16, 0, 0), absl::UTCTimeZone());
  return message;
}

std::unique_ptr<FakeSmtpServer> Server(FakeSmtpServer::Options options = FakeSmtpServer::Options()) {
  auto server = FakeSmtpServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

SmtpChannelOptions Options(int port) {
  SmtpChannelOptions options;
  options.url = absl::StrCat("smtp://127.0.0.1:", port, "/clinic.example");
  options.from_address = "reminders@clinic.example";
  options.connect_timeout = absl::Seconds(2);
  options.timeout = absl::Seconds(5);
  return options;
}

std::unique_ptr<SmtpChannel> MakeChannel(const SmtpChannelOptions& options, const Clock& clock) {
  auto channel = SmtpChannel::Create(options, clock);
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *std::move(channel) : nullptr;
}

TEST(SmtpChannelTest, DeliversTheMessageWithHeadersAndBody) {
  auto server = Server();
  FakeClock clock(kNow);
  ASSERT_TRUE(MakeChannel(Options(server->port()), clock)->Send(Message()).ok());

  const auto mails = server->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_THAT(mails[0].mail_from, StartsWith("FROM:<reminders@clinic.example>"));
  EXPECT_THAT(mails[0].rcpt_to, ElementsAre("TO:<sam@example.org>"));
  const std::string& data = mails[0].data;
  EXPECT_THAT(data, HasSubstr("Date: Mon, 13 Jul 2026 09:30:00 +0000\r\n"));
  EXPECT_THAT(data, HasSubstr("From: \"Riverside Practice\" <reminders@clinic.example>\r\n"));
  EXPECT_THAT(data, HasSubstr("To: <sam@example.org>\r\n"));
  EXPECT_THAT(data, HasSubstr("Subject: Reminder for tomorrow\r\n"));
  EXPECT_THAT(data, HasSubstr("Message-ID: <0192f1c2-7a6b-7c3d-8e9f-0123456789ab@clinic.example>\r\n"));
  EXPECT_THAT(data, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
  EXPECT_THAT(data, HasSubstr("Content-Transfer-Encoding: 7bit\r\n"));
  EXPECT_THAT(data, HasSubstr("Auto-Submitted: auto-generated\r\n"));
  // The body, after the blank line, with the leading dot intact (stuffed by the client, unstuffed here).
  EXPECT_THAT(
      data, HasSubstr("\r\n\r\nHello Sam,\r\n.a line starting with a dot\r\nSee you Tue 14 Jul, 18:00.\r\n"));

  const auto commands = server->commands();
  EXPECT_THAT(commands, Contains("EHLO clinic.example"));
  EXPECT_THAT(commands, Contains("QUIT"));
}

TEST(SmtpChannelTest, EveryAttemptCarriesTheSameMessageId) {
  auto server = Server();
  FakeClock clock(kNow);
  auto channel = MakeChannel(Options(server->port()), clock);
  ASSERT_TRUE(channel->Send(Message()).ok());
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(channel->Send(Message()).ok());
  const auto mails = server->mails();
  ASSERT_EQ(mails.size(), 2u);
  const std::string id = "Message-ID: <0192f1c2-7a6b-7c3d-8e9f-0123456789ab@clinic.example>";
  EXPECT_THAT(mails[0].data, HasSubstr(id));
  EXPECT_THAT(mails[1].data, HasSubstr(id));
  EXPECT_THAT(mails[1].data, HasSubstr("Date: Mon, 13 Jul 2026 09:35:00 +0000"));
}

TEST(SmtpChannelTest, NonAsciiTextIsEncoded) {
  auto server = Server();
  FakeClock clock(kNow);
  OutboundMessage message = Message();
  message.sender_name = "Praxis M\xC3\xBCller";
  message.subject = "Erinnerung f\xC3\xBCr morgen";
  message.body =
      "Gr\xC3\xBC\xC3\x9F"
      "e = bis morgen";
  ASSERT_TRUE(MakeChannel(Options(server->port()), clock)->Send(message).ok());
  const auto mails = server->mails();
  ASSERT_EQ(mails.size(), 1u);
  const std::string& data = mails[0].data;
  EXPECT_THAT(data, HasSubstr(absl::StrCat("From: =?UTF-8?B?", absl::Base64Escape(message.sender_name),
                                           "?= <reminders@clinic.example>")));
  EXPECT_THAT(data,
              HasSubstr(absl::StrCat("Subject: =?UTF-8?B?", absl::Base64Escape(message.subject), "?=")));
  EXPECT_THAT(data, HasSubstr("Content-Transfer-Encoding: quoted-printable"));
  EXPECT_THAT(data, HasSubstr("\r\n\r\nGr=C3=BC=C3=9Fe =3D bis morgen\r\n"));
}

TEST(SmtpChannelTest, AuthenticatesWithConfiguredCredentials) {
  FakeSmtpServer::Options server_options;
  server_options.auth_plain = absl::Base64Escape(std::string("\0relay-user\0relay-pass", 22));
  auto server = Server(server_options);
  FakeClock clock(kNow);
  SmtpChannelOptions options = Options(server->port());
  options.username = "relay-user";
  options.password = "relay-pass";
  ASSERT_TRUE(MakeChannel(options, clock)->Send(Message()).ok());
  ASSERT_EQ(server->mails().size(), 1u);
  EXPECT_TRUE(server->mails()[0].authenticated);

  options.password = "wrong";
  const absl::Status denied = MakeChannel(options, clock)->Send(Message());
  EXPECT_EQ(denied.code(), absl::StatusCode::kFailedPrecondition) << denied;
  EXPECT_EQ(server->mails().size(), 1u);
}

struct ReplyCase {
  std::string name;
  FakeSmtpServer::Options server;
  absl::StatusCode code;
};

class SmtpReplyTest : public ::testing::TestWithParam<ReplyCase> {};

TEST_P(SmtpReplyTest, MapsServerAnswers) {
  const ReplyCase& c = GetParam();
  auto server = Server(c.server);
  FakeClock clock(kNow);
  const absl::Status status = MakeChannel(Options(server->port()), clock)->Send(Message());
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(IsRetryable(status), c.code == absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("sam@")));
  EXPECT_THAT(server->mails(), IsEmpty());
}

FakeSmtpServer::Options With(int FakeSmtpServer::Options::*field, int value) {
  FakeSmtpServer::Options options;
  options.*field = value;
  return options;
}

INSTANTIATE_TEST_SUITE_P(
    Replies, SmtpReplyTest,
    ::testing::Values(ReplyCase{"RecipientRejected", With(&FakeSmtpServer::Options::rcpt_reply, 550),
                                absl::StatusCode::kFailedPrecondition},
                      ReplyCase{"SenderRejected", With(&FakeSmtpServer::Options::mail_reply, 553),
                                absl::StatusCode::kFailedPrecondition},
                      ReplyCase{"MessageRejected", With(&FakeSmtpServer::Options::data_end_reply, 554),
                                absl::StatusCode::kFailedPrecondition},
                      ReplyCase{"GreetingRejected", With(&FakeSmtpServer::Options::greeting, 554),
                                absl::StatusCode::kFailedPrecondition},
                      ReplyCase{"RecipientDeferred", With(&FakeSmtpServer::Options::rcpt_reply, 450),
                                absl::StatusCode::kUnavailable},
                      ReplyCase{"MessageDeferred", With(&FakeSmtpServer::Options::data_end_reply, 451),
                                absl::StatusCode::kUnavailable},
                      ReplyCase{"ServiceNotAvailable", With(&FakeSmtpServer::Options::greeting, 421),
                                absl::StatusCode::kUnavailable}),
    [](const ::testing::TestParamInfo<ReplyCase>& param_info) { return param_info.param.name; });

TEST(SmtpChannelTest, RefusedConnectionIsRetryable) {
  testing::RefusingPort refusing;
  ASSERT_GT(refusing.port(), 0);
  FakeClock clock(kNow);
  const absl::Status status = MakeChannel(Options(refusing.port()), clock)->Send(Message());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsRetryable(status));
}

TEST(SmtpChannelTest, RequiredStartTlsThatIsNotOfferedSendsNothing) {
  auto server = Server();
  FakeClock clock(kNow);
  SmtpChannelOptions options = Options(server->port());
  options.require_starttls = true;
  const absl::Status status = MakeChannel(options, clock)->Send(Message());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  for (const std::string& command : server->commands()) {
    EXPECT_THAT(command, AllOf(Not(StartsWith("MAIL")), Not(StartsWith("RCPT")), Not(StartsWith("DATA"))));
  }
  EXPECT_THAT(server->mails(), IsEmpty());
}

TEST(SmtpChannelTest, RefusesHeaderInjectionAndBadRecipients) {
  auto server = Server();
  FakeClock clock(kNow);
  auto channel = MakeChannel(Options(server->port()), clock);
  OutboundMessage subject = Message();
  subject.subject = "Hi\r\nBcc: someone@evil.example";
  EXPECT_EQ(channel->Send(subject).code(), absl::StatusCode::kInvalidArgument);
  OutboundMessage sender = Message();
  sender.sender_name = "Practice\nBcc: x@evil.example";
  EXPECT_EQ(channel->Send(sender).code(), absl::StatusCode::kInvalidArgument);
  OutboundMessage recipient = Message();
  recipient.recipient = "sam@example.org>\r\nRCPT TO:<x@evil.example";
  EXPECT_EQ(channel->Send(recipient).code(), absl::StatusCode::kInvalidArgument);
  OutboundMessage phone = Message();
  phone.recipient = "+4915112345678";
  EXPECT_EQ(channel->Send(phone).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server->commands(), IsEmpty());
}

TEST(SmtpChannelTest, BuildsQuotedPrintableWithShortLines) {
  OutboundMessage message = Message();
  message.body.clear();
  for (int i = 0; i < 60; ++i) message.body += "\xC3\xA9";  // 60 x 'é'
  message.body += " \n";
  auto mail = BuildMailMessage(Options(25), message, kNow);
  ASSERT_TRUE(mail.ok()) << mail.status();
  const std::string body = mail->substr(mail->find("\r\n\r\n") + 4);
  size_t start = 0;
  int lines = 0;
  while (start < body.size()) {
    const size_t end = body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 76u);
    start = end + 2;
    ++lines;
  }
  EXPECT_GT(lines, 1);
  EXPECT_THAT(body, HasSubstr("=20\r\n"));  // trailing space encoded
}

TEST(SmtpChannelTest, CreateValidatesConfiguration) {
  auto create = [](SmtpChannelOptions options) { return SmtpChannel::Create(std::move(options)).status(); };
  SmtpChannelOptions base = Options(25);
  EXPECT_TRUE(create(base).ok());
  SmtpChannelOptions remote = base;
  remote.url = "smtp://relay.example.org:587";
  EXPECT_EQ(create(remote).code(), absl::StatusCode::kInvalidArgument);
  remote.require_starttls = true;
  EXPECT_TRUE(create(remote).ok());
  remote.require_starttls = false;
  remote.allow_plaintext = true;
  EXPECT_TRUE(create(remote).ok());
  SmtpChannelOptions implicit_tls = base;
  implicit_tls.url = "smtps://relay.example.org:465";
  EXPECT_TRUE(create(implicit_tls).ok());
  SmtpChannelOptions http = base;
  http.url = "http://127.0.0.1:25";
  EXPECT_EQ(create(http).code(), absl::StatusCode::kInvalidArgument);
  SmtpChannelOptions from = base;
  from.from_address = "not an address";
  EXPECT_EQ(create(from).code(), absl::StatusCode::kInvalidArgument);
  SmtpChannelOptions domain = base;
  domain.message_id_domain = "bad domain";
  EXPECT_EQ(create(domain).code(), absl::StatusCode::kInvalidArgument);
  SmtpChannelOptions timeout = base;
  timeout.connect_timeout = absl::ZeroDuration();
  EXPECT_EQ(create(timeout).code(), absl::StatusCode::kInvalidArgument);
}

// STARTTLS against a real SMTP server (aiosmtpd) with certificates from a CA made for each test. The server
// insists on STARTTLS before MAIL, so a mail that arrives came over TLS.
class SmtpStartTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = tandem::testing::MakeTempDir("tandem-smtp-tls");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    auto ca = testing::MakeTestCa(dir_, "clinic");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
  }
  void TearDown() override { tandem::testing::RemoveTree(dir_); }

  // A server whose certificate `ca_` signed for `names`.
  std::unique_ptr<TlsSmtpServer> StartServer(const std::string& names = "IP:127.0.0.1,DNS:localhost") {
    auto cert = testing::IssueServerCertificate(ca_, dir_, "relay", names);
    EXPECT_TRUE(cert.ok()) << cert.status();
    if (!cert.ok()) return nullptr;
    TlsSmtpServer::Options options;
    options.cert_file = cert->cert_file;
    options.key_file = cert->key_file;
    return StartServer(options);
  }
  static std::unique_ptr<TlsSmtpServer> StartServer(const TlsSmtpServer::Options& options) {
    // A missing server package fails here, loudly: install-deps installs it, so it is never skipped.
    auto server = TlsSmtpServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  SmtpChannelOptions StartTlsOptions(int port, std::string ca_file) const {
    SmtpChannelOptions options = Options(port);
    options.require_starttls = true;
    options.ca_file = std::move(ca_file);
    return options;
  }

  // A refused session: an error fit for the dispatcher, no recipient in it, and not even a MAIL command sent.
  static void ExpectRefusedBeforeMail(const absl::Status& status, const TlsSmtpServer& server) {
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.code(), absl::StatusCode::kInternal) << status;
    EXPECT_NE(status.code(), absl::StatusCode::kUnknown) << status;
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("sam@")));
    EXPECT_THAT(server.mail_commands(), IsEmpty());
    EXPECT_EQ(server.mails().size(), 0u);
  }

  std::string dir_;
  testing::PemPair ca_;
};

TEST_F(SmtpStartTlsTest, DeliversOverStartTlsToAServerTheCaVouchesFor) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeClock clock(kNow);
  auto channel = MakeChannel(StartTlsOptions(server->port(), ca_.cert_file), clock);
  ASSERT_NE(channel, nullptr);
  const absl::Status status = channel->Send(Message());
  ASSERT_TRUE(status.ok()) << status;

  const auto mails = server->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_TRUE(mails[0].over_tls);
  EXPECT_EQ(mails[0].mail_from, "reminders@clinic.example");
  EXPECT_THAT(mails[0].rcpt_to, ElementsAre("sam@example.org"));
  auto expected = BuildMailMessage(Options(server->port()), Message(), kNow);
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(mails[0].data, *expected);  // byte for byte, the dot-led line included
  EXPECT_THAT(server->mail_commands(), ElementsAre("reminders@clinic.example tls=yes"));
}

TEST_F(SmtpStartTlsTest, RefusesACertificateFromAnUnknownCa) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto other_ca = testing::MakeTestCa(dir_, "other");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  FakeClock clock(kNow);
  // Trusting another CA, and trusting only the system store: neither vouches for the test CA.
  for (const std::string& ca_file : {other_ca->cert_file, std::string()}) {
    SCOPED_TRACE(ca_file.empty() ? "system store" : "other CA");
    auto channel = MakeChannel(StartTlsOptions(server->port(), ca_file), clock);
    ASSERT_NE(channel, nullptr);
    ExpectRefusedBeforeMail(channel->Send(Message()), *server);
  }
}

TEST_F(SmtpStartTlsTest, RefusesACertificateForAnotherHost) {
  auto server = StartServer("DNS:mail.other.example");
  ASSERT_NE(server, nullptr);
  FakeClock clock(kNow);
  auto channel = MakeChannel(StartTlsOptions(server->port(), ca_.cert_file), clock);
  ASSERT_NE(channel, nullptr);
  ExpectRefusedBeforeMail(channel->Send(Message()), *server);
}

TEST_F(SmtpStartTlsTest, RequiredStartTlsIsNeverDowngradedToPlaintext) {
  TlsSmtpServer::Options plaintext;
  plaintext.offer_starttls = false;
  auto server = StartServer(plaintext);
  ASSERT_NE(server, nullptr);
  FakeClock clock(kNow);
  auto channel = MakeChannel(StartTlsOptions(server->port(), ca_.cert_file), clock);
  ASSERT_NE(channel, nullptr);
  const absl::Status status = channel->Send(Message());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  ExpectRefusedBeforeMail(status, *server);
}

}  // namespace
}  // namespace tandem::reminders
