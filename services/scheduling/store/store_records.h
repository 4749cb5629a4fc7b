#ifndef TANDEM_SERVICES_SCHEDULING_STORE_STORE_RECORDS_H_
#define TANDEM_SERVICES_SCHEDULING_STORE_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/crypto/sensitive_fields.h"
#include "common/status/field_violations.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/proto_status.h"
#include "tandem/scheduling/v1/scheduling.pb.h"

// What the scheduling store's files share about stored records (internal to store/).
namespace tandem::scheduling::store_records {

// Records are rewritten in place under the same id; the binding ties each envelope to its clinic and record.
inline constexpr int64_t kRecordVersion = 1;

inline crypto::SealBinding Binding(const std::string& clinic_id, absl::string_view kind,
                                   absl::string_view id) {
  return {clinic_id, absl::StrCat(kind, "/", id), kRecordVersion};
}

// The domain status of a stored or requested appointment; INVALID_ARGUMENT for an unknown one.
inline absl::StatusOr<AppointmentStatus> DomainStatus(tandem::scheduling::v1::AppointmentStatus status) {
  std::optional<AppointmentStatus> domain = FromProtoStatus(status);
  if (!domain.has_value()) {
    FieldViolations v;
    v.Add("appointment.status", "is not an appointment status");
    return v.ToStatus();
  }
  return *domain;
}

inline absl::Status NotFoundField(absl::string_view field, absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(field, ": the clinic has no such ", what));
}

}  // namespace tandem::scheduling::store_records

#endif  // TANDEM_SERVICES_SCHEDULING_STORE_STORE_RECORDS_H_
