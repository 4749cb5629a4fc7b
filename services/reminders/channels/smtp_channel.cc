#include "services/reminders/channels/smtp_channel.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "services/reminders/channels/curl_support.h"
#include "services/reminders/domain/address.h"

namespace tandem::reminders {
namespace {

constexpr size_t kMaxPlainHeaderBytes = 900;  // well under the 998-byte line limit
constexpr size_t kMaxSevenBitLineBytes = 998;
constexpr size_t kMaxQuotedPrintableLine = 75;  // plus the '=' of a soft break: 76
constexpr size_t kEncodedWordChunkBytes = 45;   // base64 of 45 bytes + "=?UTF-8?B??=" = 72 <= 75

bool IsPrintableAscii(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

// RFC 2047 encoded words, split at code-point boundaries and folded onto continuation lines.
std::string EncodedWords(absl::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size()) {
      const size_t length =
          std::max<size_t>(1, text::Utf8SequenceLength(static_cast<unsigned char>(text[end])));
      if (end + length - i > kEncodedWordChunkBytes) break;
      end += length;
    }
    if (end == i) end = std::min(text.size(), i + kEncodedWordChunkBytes);
    words.push_back(absl::StrCat("=?UTF-8?B?", absl::Base64Escape(text.substr(i, end - i)), "?="));
    i = end;
  }
  return absl::StrJoin(words, "\r\n ");
}

std::string HeaderText(absl::string_view text) {
  if (IsPrintableAscii(text) && text.size() <= kMaxPlainHeaderBytes) return std::string(text);
  return EncodedWords(text);
}

std::string DisplayName(absl::string_view name) {
  if (!IsPrintableAscii(name) || name.size() > kMaxPlainHeaderBytes) return EncodedWords(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::vector<std::string> BodyLines(absl::string_view body) {
  const std::string normalized = absl::StrReplaceAll(body, {{"\r\n", "\n"}, {"\r", "\n"}});
  std::vector<std::string> lines = absl::StrSplit(normalized, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

bool IsSevenBitSafe(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    if (line.size() > kMaxSevenBitLineBytes) return false;
    for (char c : line) {
      if (!((c >= 0x20 && c <= 0x7E) || c == '\t')) return false;
    }
  }
  return true;
}

std::string QuotedPrintableLine(absl::string_view line) {
  std::string out;
  size_t column = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    std::string token;
    if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
      token.assign(1, static_cast<char>(c));
    } else {
      token = absl::StrFormat("=%02X", c);
    }
    if (column + token.size() > kMaxQuotedPrintableLine) {
      out += "=\r\n";
      column = 0;
    }
    out += token;
    column += token.size();
  }
  return out;
}

absl::string_view DomainOf(absl::string_view address) { return address.substr(address.rfind('@') + 1); }

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data->size() - upload->offset);
  // A slice of the message for libcurl, which takes a length: no terminator is wanted.
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

}  // namespace

absl::StatusOr<std::string> BuildMailMessage(const SmtpChannelOptions& options,
                                             const OutboundMessage& message, absl::Time now) {
  RETURN_IF_ERROR(CheckOutboundMessage(message));
  RETURN_IF_ERROR(ValidateAddress(ChannelKind::kEmail, message.recipient, "recipient"));
  if (text::HasControlCharacters(message.sender_name)) {
    return absl::InvalidArgumentError("sender name holds control characters");
  }
  if (text::HasControlCharacters(message.subject)) {
    return absl::InvalidArgumentError("subject holds control characters");
  }
  if (text::HasControlCharacters(message.body, "\t\r\n")) {
    return absl::InvalidArgumentError("body holds control characters other than tab and line breaks");
  }
  const absl::string_view domain = options.message_id_domain.empty()
                                       ? DomainOf(options.from_address)
                                       : absl::string_view(options.message_id_domain);
  const std::string from = message.sender_name.empty() ? absl::StrCat("<", options.from_address, ">")
                                                       : absl::StrCat(DisplayName(message.sender_name), " <",
                                                                      options.from_address, ">");

  const std::vector<std::string> lines = BodyLines(message.body);
  const bool seven_bit = IsSevenBitSafe(lines);
  std::string mail = absl::StrCat(
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", now, absl::UTCTimeZone()), "\r\n",  //
      "From: ", from, "\r\n",                                                                       //
      "To: <", message.recipient, ">\r\n",                                                          //
      "Subject: ", HeaderText(message.subject), "\r\n",                                             //
      "Message-ID: <", message.idempotency_id, "@", domain, ">\r\n",                                //
      "MIME-Version: 1.0\r\n",                                                                      //
      "Content-Type: text/plain; charset=utf-8\r\n",                                                //
      "Content-Transfer-Encoding: ", seven_bit ? "7bit" : "quoted-printable", "\r\n",               //
      "Auto-Submitted: auto-generated\r\n",                                                         //
      "X-Auto-Response-Suppress: All\r\n",                                                          //
      "\r\n");
  for (const std::string& line : lines) {
    absl::StrAppend(&mail, seven_bit ? line : QuotedPrintableLine(line), "\r\n");
  }
  return mail;
}

absl::StatusOr<std::unique_ptr<SmtpChannel>> SmtpChannel::Create(SmtpChannelOptions options,
                                                                 const Clock& clock) {
  ASSIGN_OR_RETURN(curl::UrlParts url, curl::ParseUrl(options.url, "smtp url"));
  if (url.scheme != "smtp" && url.scheme != "smtps") {
    return absl::InvalidArgumentError("smtp url must be smtp:// or smtps://");
  }
  if (url.scheme == "smtp" && !options.require_starttls && !curl::IsLoopbackHost(url.host) &&
      !options.allow_plaintext) {
    return absl::InvalidArgumentError(
        "smtp relay must use smtps:// or STARTTLS unless it is on loopback or plaintext is allowed");
  }
  RETURN_IF_ERROR(ValidateAddress(ChannelKind::kEmail, options.from_address, "smtp from_address"));
  if (!options.message_id_domain.empty() &&
      AddressProblem(ChannelKind::kEmail, absl::StrCat("x@", options.message_id_domain)).has_value()) {
    return absl::InvalidArgumentError("smtp message_id_domain must be a host name");
  }
  if (options.connect_timeout <= absl::ZeroDuration() || options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("smtp timeouts must be positive");
  }
  return std::unique_ptr<SmtpChannel>(new SmtpChannel(std::move(options), clock));
}

absl::Status SmtpChannel::Send(const OutboundMessage& message) {
  ASSIGN_OR_RETURN(const std::string mail, BuildMailMessage(options_, message, clock_.Now()));
  curl::EnsureInitialized();
  curl::EasyHandle handle(curl_easy_init());
  curl::Slist recipients;
  if (handle == nullptr || !curl::Append(recipients, absl::StrCat("<", message.recipient, ">"))) {
    return absl::ResourceExhaustedError("out of memory starting an smtp session");
  }
  const std::string mail_from = absl::StrCat("<", options_.from_address, ">");
  Upload upload{&mail};

  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.require_starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!options_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, curl::TimeoutMillis(options_.connect_timeout));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, curl::TimeoutMillis(options_.timeout));
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.size()));

  const CURLcode code = curl_easy_perform(h);
  if (code == CURLE_OK) return absl::OkStatus();
  long reply = 0;  // NOLINT(google-runtime-int): CURLINFO_RESPONSE_CODE writes a C long
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  if (code != CURLE_USE_SSL_FAILED && code != CURLE_OPERATION_TIMEDOUT) {
    if (reply >= 500 && reply < 600) {
      return absl::FailedPreconditionError(absl::StrCat("smtp server refused the message (", reply, ")"));
    }
    if (reply >= 400 && reply < 500) {
      return absl::UnavailableError(absl::StrCat("smtp server deferred the message (", reply, ")"));
    }
  }
  return curl::StatusFromCurl(code, "smtp delivery failed");
}

}  // namespace tandem::reminders
