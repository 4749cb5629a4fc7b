#ifndef TANDEM_COMMON_DB_PAGE_TOKEN_H_
#define TANDEM_COMMON_DB_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Keyset paging for List RPCs (tandem.common.v1.PageRequest): a page is "the next page_size rows after the
// last one returned, in the sort order", so rows inserted or deleted between calls never shift later pages
// the way an OFFSET would.
namespace tandem::db {

// The page size to use for a request's page_size: 0 means `default_size`, more than `max_size` is clamped to
// `max_size`, and a negative size is INVALID_ARGUMENT with a FieldViolation on `field_path`.
absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size,
                                      absl::string_view field_path = "page.page_size");

// The filters a List request applied (clinic_id included), each as a name and a value. A page token is bound
// to them, so a client cannot carry a position from one listing into another (say, another client's). The
// order of Add calls does not matter; adding the same name twice keeps both values in the order added.
class PageFilter {
 public:
  PageFilter& Add(absl::string_view name, absl::string_view value);
  PageFilter& Add(absl::string_view name, int64_t value);

  // An unambiguous encoding of the filters (names and values, with their types). It holds the values
  // themselves and is only ever hashed into a token, never shown.
  std::string Fingerprint() const;

 private:
  // Name, then the value prefixed by a type tag so that "5" and 5 differ.
  std::vector<std::pair<std::string, std::string>> entries_;
};

// An opaque, URL-safe token for the page after the row whose sort-key values are `last_keys` (in sort-key
// order), bound to `filter`. Keys are short (ids, times), so a token for a uuid key stays under 100
// characters. The token is not encrypted: it only lets a caller continue a listing it was authorised for.
std::string EncodePageToken(const PageFilter& filter, const std::vector<std::string>& last_keys);

// The keys a token from EncodePageToken holds; an empty token is the first page (an empty vector). A token
// issued for another filter, or one EncodePageToken did not produce (garbage, truncated, altered), is
// INVALID_ARGUMENT with a FieldViolation on `field_path` that never quotes the token.
absl::StatusOr<std::vector<std::string>> DecodePageToken(absl::string_view token, const PageFilter& filter,
                                                         absl::string_view field_path = "page.page_token");

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_PAGE_TOKEN_H_
