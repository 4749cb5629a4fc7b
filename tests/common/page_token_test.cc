// Page sizes and keyset page tokens: round trips, binding to the filters, and refusal of anything else.
#include "common/db/page_token.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::db {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kUuid[] = "01943a6e-8f2b-7c3d-9e4f-a1b2c3d4e5f6";

PageFilter ClinicFilter(const std::string& clinic = "clinic-1") {
  PageFilter filter;
  filter.Add("clinic_id", clinic).Add("client_id", "client-7").Add("state", int64_t{2});
  return filter;
}

// Expects INVALID_ARGUMENT with exactly one violation, on `field`, that does not quote `token`.
void ExpectViolation(const absl::Status& status, const std::string& field, const std::string& token = "") {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  auto violations = GetFieldViolations(status);
  ASSERT_EQ(violations.size(), 1u) << status;
  EXPECT_EQ(violations[0].field(), field);
  EXPECT_FALSE(violations[0].description().empty());
  if (!token.empty()) {
    EXPECT_FALSE(absl::StrContains(violations[0].description(), token));
    EXPECT_FALSE(absl::StrContains(status.message(), token));
  }
}

TEST(EffectivePageSizeTest, DefaultsClampsAndRefusesNegative) {
  EXPECT_EQ(EffectivePageSize(0, 50, 500).value(), 50);
  EXPECT_EQ(EffectivePageSize(1, 50, 500).value(), 1);
  EXPECT_EQ(EffectivePageSize(500, 50, 500).value(), 500);
  EXPECT_EQ(EffectivePageSize(501, 50, 500).value(), 500);
  EXPECT_EQ(EffectivePageSize(2147483647, 50, 500).value(), 500);
  ExpectViolation(EffectivePageSize(-1, 50, 500).status(), "page.page_size");
  ExpectViolation(EffectivePageSize(-5, 50, 500, "page_size").status(), "page_size");
}

TEST(PageTokenTest, EmptyTokenIsTheFirstPage) {
  absl::StatusOr<std::vector<std::string>> keys = DecodePageToken("", ClinicFilter());
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, IsEmpty());
}

TEST(PageTokenTest, RoundTripsKeys) {
  const std::vector<std::string> keys = {"1767225600123456", kUuid};
  const std::string token = EncodePageToken(ClinicFilter(), keys);
  EXPECT_LT(token.size(), 200u);
  // URL-safe and unpadded, so it can sit in a query string as it is.
  for (char c : token) EXPECT_TRUE(absl::ascii_isalnum(c) || c == '-' || c == '_') << token;
  // Opaque: the keys are not readable in the token.
  EXPECT_FALSE(absl::StrContains(token, kUuid));

  absl::StatusOr<std::vector<std::string>> decoded = DecodePageToken(token, ClinicFilter());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, keys);
}

TEST(PageTokenTest, SingleUuidTokenIsShort) {
  EXPECT_LT(EncodePageToken(ClinicFilter(), {kUuid}).size(), 100u);
}

TEST(PageTokenTest, RoundTripsUnusualKeys) {
  const std::vector<std::string> keys = {"", std::string("a\0b", 3), std::string(300, 'x'), "\xff\x80"};
  absl::StatusOr<std::vector<std::string>> decoded =
      DecodePageToken(EncodePageToken(ClinicFilter(), keys), ClinicFilter());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, keys);

  decoded = DecodePageToken(EncodePageToken(ClinicFilter(), {}), ClinicFilter());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(*decoded, IsEmpty());
}

TEST(PageTokenTest, FilterOrderDoesNotMatter) {
  PageFilter a;
  a.Add("clinic_id", "c1").Add("client_id", "x");
  PageFilter b;
  b.Add("client_id", "x").Add("clinic_id", "c1");
  EXPECT_EQ(a.Fingerprint(), b.Fingerprint());
  absl::StatusOr<std::vector<std::string>> decoded = DecodePageToken(EncodePageToken(a, {kUuid}), b);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(*decoded, ElementsAre(kUuid));
}

TEST(PageTokenTest, FingerprintIsUnambiguous) {
  PageFilter text;
  text.Add("state", "2");
  PageFilter number;
  number.Add("state", int64_t{2});
  EXPECT_NE(text.Fingerprint(), number.Fingerprint());

  PageFilter split1;
  split1.Add("a", "bc");
  PageFilter split2;
  split2.Add("ab", "c");
  EXPECT_NE(split1.Fingerprint(), split2.Fingerprint());

  PageFilter one;
  one.Add("a", "x");
  PageFilter two;
  two.Add("a", "x").Add("a", "y");
  EXPECT_NE(one.Fingerprint(), two.Fingerprint());
  EXPECT_NE(PageFilter().Fingerprint(), one.Fingerprint());
}

TEST(PageTokenTest, TokenForOtherFiltersIsRefused) {
  const std::string token = EncodePageToken(ClinicFilter("clinic-1"), {kUuid});
  ExpectViolation(DecodePageToken(token, ClinicFilter("clinic-2")).status(), "page.page_token", token);

  PageFilter fewer;
  fewer.Add("clinic_id", "clinic-1");
  ExpectViolation(DecodePageToken(token, fewer).status(), "page.page_token", token);

  PageFilter more = ClinicFilter("clinic-1");
  more.Add("since", int64_t{1767225600});
  ExpectViolation(DecodePageToken(token, more, "page_token").status(), "page_token", token);
}

TEST(PageTokenTest, GarbageIsRefused) {
  const std::vector<std::string> garbage = {"x",
                                            "not a token",
                                            "!!!!",
                                            "AAAA",
                                            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                            "djEvMTc2NzIyNTYwMDAwMDAwMC9hYmM",
                                            std::string(5000, 'A')};
  for (const std::string& token : garbage) {
    ExpectViolation(DecodePageToken(token, ClinicFilter()).status(), "page.page_token", token);
  }
}

TEST(PageTokenTest, TruncatedTokensAreRefused) {
  const std::string token = EncodePageToken(ClinicFilter(), {"1767225600123456", kUuid});
  for (size_t n = 1; n < token.size(); ++n) {
    EXPECT_FALSE(DecodePageToken(token.substr(0, n), ClinicFilter()).ok()) << n;
    EXPECT_FALSE(DecodePageToken(token.substr(n), ClinicFilter()).ok()) << n;
  }
  ExpectViolation(DecodePageToken(token.substr(0, token.size() - 4), ClinicFilter()).status(),
                  "page.page_token");
}

TEST(PageTokenTest, AlteredTokensAreRefused) {
  const std::string token = EncodePageToken(ClinicFilter(), {kUuid});
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // Every other character at every position: the checksum catches changed bytes, and re-encoding catches
  // the unused low bits of the last character.
  for (size_t i = 0; i < token.size(); ++i) {
    for (char c : alphabet) {
      if (c == token[i]) continue;
      std::string altered = token;
      altered[i] = c;
      absl::Status status = DecodePageToken(altered, ClinicFilter()).status();
      ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << i << " " << c;
    }
  }
  // The same bytes with padding, or with an appended character, are not what was issued.
  EXPECT_FALSE(DecodePageToken(token + "=", ClinicFilter()).ok());
  EXPECT_FALSE(DecodePageToken(token + "A", ClinicFilter()).ok());

  // Well-formed base64 of a token with one key byte changed: only the checksum can tell.
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  raw[12] ^= 1;
  ExpectViolation(DecodePageToken(absl::WebSafeBase64Escape(raw), ClinicFilter()).status(),
                  "page.page_token");
}

TEST(PageTokenTest, ErrorsNeverQuoteTheToken) {
  const std::string token = EncodePageToken(ClinicFilter(), {"secret-looking-key"});
  absl::Status other = DecodePageToken(token, ClinicFilter("clinic-9")).status();
  ExpectViolation(other, "page.page_token", token);
  EXPECT_FALSE(absl::StrContains(other.ToString(), token));
  EXPECT_FALSE(absl::StrContains(other.ToString(), "secret-looking-key"));
}

}  // namespace
}  // namespace tandem::db
