#include "common/db/page_token.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status/field_violations.h"

namespace tandem::db {
namespace {

// Token layout, before base64url (no padding):
//   version (1 byte) | SHA-256(filter fingerprint)[0..8) | per key: LEB128 length, bytes | checksum (4 bytes)
// where the checksum is SHA-256 of everything before it, so any alteration or truncation is refused before a
// key reaches SQL. No secret is involved: the filter hash only stops a token from being replayed against
// another listing, and the caller is authorised for whatever its own filter selects anyway.
constexpr char kVersion = 1;
constexpr size_t kFilterHashBytes = 8;
constexpr size_t kChecksumBytes = 4;
constexpr size_t kHeaderBytes = 1 + kFilterHashBytes;
// Tokens are short; a bound keeps a hostile one from costing a large decode and hash.
constexpr size_t kMaxTokenChars = 4096;

std::array<unsigned char, SHA256_DIGEST_LENGTH> Sha256(absl::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

std::string Prefix(absl::string_view data, size_t n) {
  const auto digest = Sha256(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), n);
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a LEB128 length from the front of `in`; false when it runs off the end or is not minimal.
bool ReadVarint(absl::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 35 && !in->empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return byte != 0 || shift == 0;
  }
  return false;
}

absl::Status Invalid(absl::string_view field_path, std::string description) {
  FieldViolations v;
  v.Add(std::string(field_path), std::move(description));
  return v.ToStatus();
}

}  // namespace

absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size,
                                      absl::string_view field_path) {
  if (requested < 0) return Invalid(field_path, "must not be negative");
  if (requested == 0) return std::min(default_size, max_size);
  return std::min(requested, max_size);
}

PageFilter& PageFilter::Add(absl::string_view name, absl::string_view value) {
  entries_.emplace_back(std::string(name), absl::StrCat("s", value));
  return *this;
}

PageFilter& PageFilter::Add(absl::string_view name, int64_t value) {
  entries_.emplace_back(std::string(name), absl::StrCat("i", value));
  return *this;
}

std::string PageFilter::Fingerprint() const {
  std::vector<std::pair<std::string, std::string>> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Length prefixes make the encoding unambiguous whatever bytes names and values hold.
  std::string out;
  for (const auto& [name, value] : sorted) {
    absl::StrAppend(&out, name.size(), ":", name, value.size(), ":", value);
  }
  return out;
}

std::string EncodePageToken(const PageFilter& filter, const std::vector<std::string>& last_keys) {
  std::string raw(1, kVersion);
  raw += Prefix(filter.Fingerprint(), kFilterHashBytes);
  for (const std::string& key : last_keys) {
    AppendVarint(&raw, key.size());
    raw += key;
  }
  raw += Prefix(raw, kChecksumBytes);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::vector<std::string>> DecodePageToken(absl::string_view token, const PageFilter& filter,
                                                         absl::string_view field_path) {
  if (token.empty()) return std::vector<std::string>();
  constexpr absl::string_view kMalformed = "is not a page token from this listing";
  std::string raw;
  // Re-encoding must give the token back: the decoder also accepts padding and ignores stray low bits of the
  // last character, and a token that is not exactly what was issued counts as altered.
  if (token.size() > kMaxTokenChars || !absl::WebSafeBase64Unescape(token, &raw) ||
      absl::WebSafeBase64Escape(raw) != token || raw.size() < kHeaderBytes + kChecksumBytes) {
    return Invalid(field_path, std::string(kMalformed));
  }
  absl::string_view body(raw.data(), raw.size() - kChecksumBytes);
  if (Prefix(body, kChecksumBytes) != absl::string_view(raw).substr(body.size()) || body[0] != kVersion) {
    return Invalid(field_path, std::string(kMalformed));
  }
  if (body.substr(1, kFilterHashBytes) != Prefix(filter.Fingerprint(), kFilterHashBytes)) {
    return Invalid(field_path, "was issued for different filters; list again without a page token");
  }
  body.remove_prefix(kHeaderBytes);
  std::vector<std::string> keys;
  while (!body.empty()) {
    uint64_t size;
    if (!ReadVarint(&body, &size) || size > body.size()) return Invalid(field_path, std::string(kMalformed));
    keys.emplace_back(body.substr(0, size));
    body.remove_prefix(size);
  }
  return keys;
}

}  // namespace tandem::db
