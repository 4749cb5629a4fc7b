#include "services/reminders/channels/curl_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tandem::reminders::curl {

void EnsureInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool Append(Slist& list, const std::string& line) {
  curl_slist* appended = curl_slist_append(list.get(), line.c_str());
  if (appended == nullptr) return false;
  // `appended` is the same list with one more entry: hand ownership over without freeing it.
  static_cast<void>(list.release());
  list.reset(appended);
  return true;
}

absl::StatusOr<UrlParts> ParseUrl(absl::string_view url, absl::string_view what) {
  EnsureInitialized();
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), &curl_url_cleanup);
  if (handle == nullptr) return absl::ResourceExhaustedError("out of memory parsing a URL");
  const std::string text(url);
  if (curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not a valid URL"));
  }
  UrlParts parts;
  for (auto [part, out] :
       {std::pair{CURLUPART_SCHEME, &parts.scheme}, std::pair{CURLUPART_HOST, &parts.host}}) {
    char* value = nullptr;
    if (curl_url_get(handle.get(), part, &value, 0) != CURLUE_OK || value == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(what, " must have a scheme and a host"));
    }
    *out = value;
    curl_free(value);
  }
  absl::AsciiStrToLower(&parts.scheme);
  return parts;
}

bool IsLoopbackHost(absl::string_view host) {
  // libcurl (7.78 and later) resolves "localhost" to the loopback addresses itself, never through DNS.
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) return false;
  // An address literal, parsed: a name that merely starts with "127." (127.evil.example) is resolved by DNS
  // and may be anywhere. Only the four-part dotted form counts; shorthands such as 127.1 are refused.
  const std::string literal(host);
  in_addr v4{};
  if (inet_pton(AF_INET, literal.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, literal.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.y.z is the IPv4 loopback written as IPv6.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::Status StatusFromCurl(CURLcode code, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", curl_easy_strerror(code));
  switch (code) {
    case CURLE_OK:
      return absl::OkStatus();
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_LOGIN_DENIED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_TOO_MANY_REDIRECTS:
      return absl::FailedPreconditionError(message);
    case CURLE_OUT_OF_MEMORY:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

long TimeoutMillis(absl::Duration d) {  // NOLINT(google-runtime-int): curl's option type
  return static_cast<long>(             // NOLINT(google-runtime-int)
      std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

EasyHandle HandlePool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      EasyHandle handle = std::move(idle_.back());
      idle_.pop_back();
      curl_easy_reset(handle.get());
      return handle;
    }
  }
  EnsureInitialized();
  return EasyHandle(curl_easy_init());
}

void HandlePool::Release(EasyHandle handle) {
  if (handle == nullptr) return;
  {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(handle));
      return;
    }
  }
  handle.reset();  // closes its connections outside the lock
}

}  // namespace tandem::reminders::curl
