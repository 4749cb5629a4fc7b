#ifndef TANDEM_TOOLS_TANDEMCTL_KEY_FILES_H_
#define TANDEM_TOOLS_TANDEMCTL_KEY_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tandem::tandemctl {

enum class Existing { kReplace, kRefuse };

// Writes `content` to `path` with exactly `mode`, whatever the umask: into a fresh, randomly named file next
// to it, created with O_CREAT|O_EXCL|O_NOFOLLOW (never through a planted symlink, never readable by others
// even for a moment), fsynced, then renamed into place (kReplace; a symlink at `path` is replaced, not
// followed) or linked into place (kRefuse: ALREADY_EXISTS if anything is at `path`). Every failure is
// reported.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode,
                                 Existing existing = Existing::kReplace);

// Creates `dir` and any missing parents with mode 0700, so key directories are never listable by others. An
// existing directory is left as it is.
absl::Status MakePrivateDirectories(const std::string& dir);

}  // namespace tandem::tandemctl

#endif  // TANDEM_TOOLS_TANDEMCTL_KEY_FILES_H_
