#include "tools/tandemctl/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"

namespace tandem::tandemctl {
namespace {

namespace fs = std::filesystem;

absl::Status Failed(absl::string_view what, const std::string& path, int error) {
  return absl::FailedPreconditionError(absl::StrCat("cannot ", what, " ", path, ": ", strerror(error)));
}

absl::Status WriteAll(int fd, absl::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failed("write", path, errno);
    content.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Makes the rename or link itself durable.
absl::Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Failed("open", dir, errno);
  int synced = fsync(fd);
  int error = errno;
  close(fd);
  if (synced != 0) return Failed("sync", dir, error);
  return absl::OkStatus();
}

absl::Status WriteTemp(const std::string& tmp, absl::string_view content, mode_t mode) {
  int fd = open(tmp.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("create", tmp, errno);
  absl::Status status = WriteAll(fd, content, tmp);
  // fchmod on the descriptor: the mode is exact whatever the umask, and set on this very file.
  if (status.ok() && fchmod(fd, mode) != 0) status = Failed("set the mode of", tmp, errno);
  if (status.ok() && fsync(fd) != 0) status = Failed("sync", tmp, errno);
  if (close(fd) != 0 && status.ok()) status = Failed("close", tmp, errno);
  return status;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode,
                                 Existing existing) {
  absl::StatusOr<std::string> nonce = crypto::RandomBytes(8);
  if (!nonce.ok()) return nonce.status();
  const std::string tmp = absl::StrCat(path, ".tmp-", absl::BytesToHexString(*nonce));
  absl::Status status = WriteTemp(tmp, content, mode);
  bool renamed = false;
  if (status.ok()) {
    if (existing == Existing::kReplace) {
      renamed = rename(tmp.c_str(), path.c_str()) == 0;
      if (!renamed) status = Failed("write", path, errno);
    } else if (link(tmp.c_str(), path.c_str()) != 0) {
      status = errno == EEXIST
                   ? absl::AlreadyExistsError(absl::StrCat(path, " exists; refusing to overwrite"))
                   : Failed("write", path, errno);
    }
  }
  // After a link or a failure the temp name goes (a failed create left nothing there).
  if (!renamed && unlink(tmp.c_str()) != 0 && errno != ENOENT && status.ok()) {
    status = Failed("remove", tmp, errno);
  }
  if (!status.ok()) return status;
  std::string dir = fs::path(path).parent_path().string();
  return SyncDirectory(dir.empty() ? "." : dir);
}

absl::Status MakePrivateDirectories(const std::string& dir) {
  fs::path partial;
  for (const fs::path& part : fs::path(dir)) {
    partial /= part;
    if (mkdir(partial.c_str(), 0700) == 0 || errno == EEXIST) continue;
    return Failed("create", partial.string(), errno);
  }
  struct stat info {};
  if (stat(dir.c_str(), &info) != 0) return Failed("create", dir, errno);
  if (!S_ISDIR(info.st_mode)) return absl::FailedPreconditionError(absl::StrCat(dir, " is not a directory"));
  return absl::OkStatus();
}

}  // namespace tandem::tandemctl
