#ifndef TANDEM_TOOLS_TANDEMCTL_COMMANDS_H_
#define TANDEM_TOOLS_TANDEMCTL_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tandem::tandemctl {

// `tandemctl keys --dir D [--type ec|rsa] [--kid K]`: writes D/signing-key.pem (0600), D/jwks.json and D/kid.
// Existing keys are kept unless --force, so re-running a local setup never invalidates issued tokens.
absl::Status MakeKeys(const std::string& dir, const std::string& type, std::string kid, bool force);

// `tandemctl service-key --dir D --service NAME`: the service's own signing key in D/services/NAME.pem
// (0600), published in D/jwks.json bound to that one service (`tandem_subjects`), so it can sign its own
// `service` tokens and end-user assertions and nothing else. Kept if present.
absl::Status MakeServiceKey(const std::string& dir, const std::string& service);

struct TokenRequest {
  std::string keys_dir;
  std::string subject;
  std::string clinic_id;
  std::vector<std::string> roles;
  std::string issuer;
  std::string audience;
  int ttl_seconds = 3600;
};

// `tandemctl token --clinic c1 --role clinician --sub u1`: a person's token signed with the local issuer key.
// `service` is refused: only a service's own key signs service tokens.
absl::StatusOr<std::string> MintToken(const TokenRequest& request);

// `tandemctl kek --out F`: a new random key-encryption key (hex) in F, mode 0600; refuses to overwrite.
absl::Status MakeKeyEncryptionKey(const std::string& path);

}  // namespace tandem::tandemctl

#endif  // TANDEM_TOOLS_TANDEMCTL_COMMANDS_H_
