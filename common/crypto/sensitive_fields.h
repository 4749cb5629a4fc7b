#ifndef TANDEM_COMMON_CRYPTO_SENSITIVE_FIELDS_H_
#define TANDEM_COMMON_CRYPTO_SENSITIVE_FIELDS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/clinical_cipher.h"
#include "google/protobuf/message.h"

namespace tandem::crypto {

// Where a sealed envelope belongs: the associated data binds it to clinic, record and version.
struct SealBinding {
  std::string clinic_id;
  std::string record_id;
  int64_t record_version = 1;
};

// Moves every field marked `(tandem.api.v1.sensitive)` in `message` (at any depth: singular, repeated and map
// fields, and sensitive fields inside nested / repeated / map-valued messages) out of it into ONE sealed
// envelope, leaving `message` with only non-sensitive data (so a store can keep searchable fields as
// columns). A field marked sensitive moves wholesale, whatever its type. Returns the envelope bytes; returns
// an empty string when no sensitive field was set (nothing to seal). On error `message` is left unchanged.
absl::StatusOr<std::string> SealSensitiveFields(ClinicalCipher& cipher, const SealBinding& binding,
                                                google::protobuf::Message& message);

// Restores what SealSensitiveFields removed into `message` (which holds the non-sensitive rest, e.g. read
// back from columns). Elements of repeated messages are restored by index and map values by key; an element
// or key the rest lacks is added. Restored sensitive fields replace whatever `message` holds in them. An
// empty envelope restores nothing. DATA_LOSS when the envelope was altered, or belongs to another
// clinic/record/version, or does not parse as this message type. On error `message` is left unchanged.
absl::Status OpenSensitiveFields(ClinicalCipher& cipher, const SealBinding& binding,
                                 absl::string_view envelope, google::protobuf::Message& message);

// A whole message kept outside its record (an idempotent call's stored response, a queued payload) in one
// blob: its non-sensitive rest in the clear and its sensitive fields sealed as above. Seal where the clinic's
// data key already exists or outside any transaction: creating the first key writes in a transaction of its
// own.
absl::StatusOr<std::string> SealMessage(ClinicalCipher& cipher, const SealBinding& binding,
                                        const google::protobuf::Message& message);
// The message SealMessage stored, into `message` (cleared first). DATA_LOSS for a blob that was altered,
// truncated or bound to another clinic, record or version.
absl::Status OpenMessage(ClinicalCipher& cipher, const SealBinding& binding, absl::string_view blob,
                         google::protobuf::Message& message);

}  // namespace tandem::crypto

#endif  // TANDEM_COMMON_CRYPTO_SENSITIVE_FIELDS_H_
