#ifndef TANDEM_SERVICES_SCHEDULING_API_FEED_TOKEN_H_
#define TANDEM_SERVICES_SCHEDULING_API_FEED_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::scheduling {

// A calendar feed's secret: 32 random bytes, base64url without padding (43 characters), safe in a URL path.
absl::StatusOr<std::string> NewFeedToken();

// Whether `token` has the shape NewFeedToken gives; anything else is looked up nowhere.
bool IsWellFormedFeedToken(absl::string_view token);

// What is stored of a token: the SHA-256 of it, in lowercase hex. A leaked table then opens no feed, and
// since the token is random and long, no salt or slow hash is needed.
std::string FeedTokenHash(absl::string_view token);

// The gateway path of a feed: "/v1/calendar-feeds/<token>".
std::string FeedUrlPath(absl::string_view token);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_API_FEED_TOKEN_H_
