#include "common/config/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tandem::config {
namespace {

// Keys, secrets and a JWKS are a few kilobytes; a bound keeps a wrong path (a device, a log) from eating
// memory.
constexpr off_t kMaxFileBytes = 1 << 20;

std::string ModeText(mode_t mode) { return absl::StrFormat("%04o", mode & 07777); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::StatusOr<std::string> ReadChecked(const std::string& path, bool secret) {
  // The mode is taken from the open descriptor (fstat), so the file checked is the file read, after every
  // symlink; a link's own mode means nothing. O_NONBLOCK: a FIFO at the path must not hang the start.
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  struct stat info {};
  if (fstat(fd.get(), &info) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  if (info.st_size > kMaxFileBytes) return absl::FailedPreconditionError(absl::StrCat(path, " is too large"));
  if (absl::Status mode = CheckFileMode(path, info.st_mode, secret); !mode.ok()) return mode;
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > static_cast<size_t>(kMaxFileBytes)) {
      return absl::FailedPreconditionError(absl::StrCat(path, " is too large"));
    }
  }
  return content;
}

}  // namespace

absl::Status CheckFileMode(const std::string& path, mode_t mode, bool secret) {
  if ((mode & S_IWOTH) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is writable by every user (mode ", ModeText(mode), "); run chmod o-rwx on it"));
  }
  if (secret && (mode & S_IROTH) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is readable by every user (mode ", ModeText(mode),
                     "); run chmod o-rwx on it (0600, or 0440 for a group)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) { return ReadChecked(path, true); }

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) { return ReadChecked(path, false); }

}  // namespace tandem::config
