#ifndef TANDEM_SERVICES_REMINDERS_CHANNELS_CURL_SUPPORT_H_
#define TANDEM_SERVICES_REMINDERS_CHANNELS_CURL_SUPPORT_H_

#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

// libcurl plumbing shared by the webhook and SMTP channels.
namespace tandem::reminders::curl {

// curl_global_init, once per process, before the first handle (it is not safe to race with other threads'
// first use of libcurl).
void EnsureInitialized();

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends to `list`; false when libcurl is out of memory.
bool Append(Slist& list, const std::string& line);

// The parts of a configured destination URL that policy looks at.
struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // as written; IPv6 literals in brackets
};
// INVALID_ARGUMENT (naming `what`, not quoting the URL) when libcurl cannot parse it.
absl::StatusOr<UrlParts> ParseUrl(absl::string_view url, absl::string_view what);

// localhost, 127.0.0.0/8 and ::1 (bracketed or not, also as ::ffff:127.x.y.z): destinations where plaintext
// never leaves the machine. Addresses are parsed, not matched by prefix: 127.evil.example is a DNS name and
// 127.1 (a shorthand libcurl's resolver might expand) is refused.
bool IsLoopbackHost(absl::string_view host);

// Maps a libcurl failure to a status: DEADLINE_EXCEEDED for timeouts, FAILED_PRECONDITION for configuration
// errors (bad URL, unsupported protocol, login denied, required TLS unavailable), UNAVAILABLE for everything
// else (connection refused, reset, DNS, TLS handshake). The message is "<what>: <libcurl's description>".
absl::Status StatusFromCurl(CURLcode code, absl::string_view what);

// Milliseconds for libcurl's timeout options (at least 1).
long TimeoutMillis(absl::Duration d);  // NOLINT(google-runtime-int): curl_easy_setopt reads a C long

// Easy handles kept for reuse: libcurl keeps a handle's connections open after a transfer, so repeated sends
// to the same host skip the TCP and TLS handshakes. Handles are reset (options cleared, connections kept)
// before reuse. Thread-safe.
class HandlePool {
 public:
  explicit HandlePool(size_t max_idle = 16) : max_idle_(max_idle) {}

  // A reset handle, or nullptr when libcurl cannot allocate one.
  EasyHandle Acquire();
  // Keeps `handle` for reuse, or frees it when enough are idle.
  void Release(EasyHandle handle);

 private:
  const size_t max_idle_;
  absl::Mutex mu_;
  std::vector<EasyHandle> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::reminders::curl

#endif  // TANDEM_SERVICES_REMINDERS_CHANNELS_CURL_SUPPORT_H_
