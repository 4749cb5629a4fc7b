#include "services/scheduling/domain/proto_status.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;

struct StatusPair {
  AppointmentStatus domain;
  v1::AppointmentStatus proto;
};

constexpr StatusPair kStatusPairs[] = {
    {AppointmentStatus::kProposed, v1::APPOINTMENT_STATUS_PROPOSED},
    {AppointmentStatus::kPending, v1::APPOINTMENT_STATUS_PENDING},
    {AppointmentStatus::kBooked, v1::APPOINTMENT_STATUS_BOOKED},
    {AppointmentStatus::kArrived, v1::APPOINTMENT_STATUS_ARRIVED},
    {AppointmentStatus::kCheckedIn, v1::APPOINTMENT_STATUS_CHECKED_IN},
    {AppointmentStatus::kFulfilled, v1::APPOINTMENT_STATUS_FULFILLED},
    {AppointmentStatus::kCancelled, v1::APPOINTMENT_STATUS_CANCELLED},
    {AppointmentStatus::kNoShow, v1::APPOINTMENT_STATUS_NOSHOW},
    {AppointmentStatus::kEnteredInError, v1::APPOINTMENT_STATUS_ENTERED_IN_ERROR},
    {AppointmentStatus::kWaitlist, v1::APPOINTMENT_STATUS_WAITLIST},
};

}  // namespace

v1::AppointmentStatus ToProtoStatus(AppointmentStatus status) {
  for (const StatusPair& pair : kStatusPairs) {
    if (pair.domain == status) return pair.proto;
  }
  return v1::APPOINTMENT_STATUS_UNSPECIFIED;
}

std::optional<AppointmentStatus> FromProtoStatus(v1::AppointmentStatus status) {
  for (const StatusPair& pair : kStatusPairs) {
    if (pair.proto == status) return pair.domain;
  }
  return std::nullopt;
}

std::optional<AppointmentAction> FromProtoAction(v1::AttendanceAction action) {
  switch (action) {
    case v1::ATTENDANCE_ACTION_ARRIVE:
      return AppointmentAction::kArrive;
    case v1::ATTENDANCE_ACTION_CHECK_IN:
      return AppointmentAction::kCheckIn;
    case v1::ATTENDANCE_ACTION_COMPLETE:
      return AppointmentAction::kComplete;
    case v1::ATTENDANCE_ACTION_MARK_NO_SHOW:
      return AppointmentAction::kMarkNoShow;
    case v1::ATTENDANCE_ACTION_ENTER_IN_ERROR:
      return AppointmentAction::kEnterInError;
    default:
      return std::nullopt;
  }
}

}  // namespace tandem::scheduling
