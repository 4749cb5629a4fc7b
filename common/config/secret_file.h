#ifndef TANDEM_COMMON_CONFIG_SECRET_FILE_H_
#define TANDEM_COMMON_CONFIG_SECRET_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tandem::config {

// Reads a small file holding a secret (key-encryption key, private key, HS256 secret, password). Refuses,
// with FAILED_PRECONDITION naming the path and its mode (never the content), a file that every user of the
// machine may read or write: a leaked secret cannot be taken back. Group access is allowed, because
// Kubernetes mounts a Secret for a non-root pod as mode 0440 owned by the pod's fsGroup. Symlinks are
// followed (the kubelet mounts `name -> ..data/name`) and the mode checked is the one of the file actually
// read.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// Reads a small file that may be public but decides whom to trust (a JWKS) or how to behave: refused only
// when every user may write it.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// The mode check alone: OK, or why a file of mode `mode` at `path` must not be used.
absl::Status CheckFileMode(const std::string& path, mode_t mode, bool secret);

}  // namespace tandem::config

#endif  // TANDEM_COMMON_CONFIG_SECRET_FILE_H_
