#include "common/time/time_zone.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tandem {
namespace {

bool LooksLikeZoneName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/') return false;
  if (name.find("..") != absl::string_view::npos) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') {
      return false;
    }
  }
  return true;
}

std::filesystem::path ZoneInfoDir() {
  const char* tzdir = std::getenv("TZDIR");
  return tzdir != nullptr && *tzdir != '\0' ? std::filesystem::path(tzdir)
                                            : std::filesystem::path("/usr/share/zoneinfo");
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadTimeZone(absl::string_view name) {
  if (!LooksLikeZoneName(name)) {
    return absl::InvalidArgumentError("time zone must be an IANA name such as Europe/Berlin");
  }
  absl::TimeZone zone;
  if (absl::LoadTimeZone(std::string(name), &zone)) return zone;
  std::error_code ec;
  if (!std::filesystem::exists(ZoneInfoDir() / "Europe" / "Berlin", ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("time zone database not found in ", ZoneInfoDir().string(),
                     "; install the tzdata package (scripts/install-deps.sh)"));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown time zone \"", name, "\""));
}

}  // namespace tandem
