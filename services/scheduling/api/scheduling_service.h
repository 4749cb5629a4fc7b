#ifndef TANDEM_SERVICES_SCHEDULING_API_SCHEDULING_SERVICE_H_
#define TANDEM_SERVICES_SCHEDULING_API_SCHEDULING_SERVICE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/auth/jwt_verifier.h"
#include "common/grpc/worker_pool.h"
#include "common/redis/cache.h"
#include "common/service/rpc_kit.h"
#include "common/time/clock.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/domain/calendar_feed_store.h"
#include "services/scheduling/domain/scheduling_store.h"
#include "tandem/scheduling/v1/scheduling.grpc.pb.h"

namespace tandem::scheduling {

struct SchedulingServiceDeps {
  std::string service_name = "scheduling";  // the audience callers address their tokens and assertions to
  SchedulingStore* store = nullptr;
  // Care teams by client, in the cache Redis; nullptr: every check reads the database.
  redis::RedisCache* care_teams = nullptr;
  const auth::JwtVerifier* verifier = nullptr;
  const audit::AuditLog* audit = nullptr;
  WorkerPool* workers = nullptr;
  const Clock* clock = &Clock::Real();
  // Calendar feed URLs (calendar_feed_handlers.cc).
  CalendarFeedStore* feeds = nullptr;
  // Called after a change that may free a slot for the waitlist (a cancellation, a declined offer): wakes
  // the WaitlistWorker. Empty: the worker's next round finds it.
  std::function<void()> waitlist_changed;
};

// Who may call what is SchedulingRules() plus the relationship checks each handler makes (a clinician's own
// calendar, a client's own appointments, a clinician's care-team clients); a refusal there is audited like
// the table's. Every read and write is audited with ids only, writes in the transaction of the change.
class SchedulingService final : public tandem::scheduling::v1::SchedulingService::CallbackService {
 public:
  explicit SchedulingService(SchedulingServiceDeps deps);

  const service::AuthzTable& rules() const { return kit_.table(); }

  grpc::ServerUnaryReactor* UpsertClinician(grpc::CallbackServerContext* context,
                                            const tandem::scheduling::v1::UpsertClinicianRequest* request,
                                            tandem::scheduling::v1::Clinician* response) override;
  grpc::ServerUnaryReactor* GetClinician(grpc::CallbackServerContext* context,
                                         const tandem::scheduling::v1::GetClinicianRequest* request,
                                         tandem::scheduling::v1::Clinician* response) override;
  grpc::ServerUnaryReactor* SetAvailability(grpc::CallbackServerContext* context,
                                            const tandem::scheduling::v1::SetAvailabilityRequest* request,
                                            tandem::scheduling::v1::Availability* response) override;
  grpc::ServerUnaryReactor* GetAvailability(grpc::CallbackServerContext* context,
                                            const tandem::scheduling::v1::GetAvailabilityRequest* request,
                                            tandem::scheduling::v1::Availability* response) override;
  grpc::ServerUnaryReactor* UpsertClient(grpc::CallbackServerContext* context,
                                         const tandem::scheduling::v1::UpsertClientRequest* request,
                                         tandem::scheduling::v1::Client* response) override;
  grpc::ServerUnaryReactor* GetClient(grpc::CallbackServerContext* context,
                                      const tandem::scheduling::v1::GetClientRequest* request,
                                      tandem::scheduling::v1::Client* response) override;
  grpc::ServerUnaryReactor* SetCareTeam(grpc::CallbackServerContext* context,
                                        const tandem::scheduling::v1::SetCareTeamRequest* request,
                                        tandem::scheduling::v1::Client* response) override;
  grpc::ServerUnaryReactor* CheckCareTeam(grpc::CallbackServerContext* context,
                                          const tandem::scheduling::v1::CheckCareTeamRequest* request,
                                          tandem::scheduling::v1::CheckCareTeamResponse* response) override;
  grpc::ServerUnaryReactor* GetContact(grpc::CallbackServerContext* context,
                                       const tandem::scheduling::v1::GetContactRequest* request,
                                       tandem::scheduling::v1::Contact* response) override;
  grpc::ServerUnaryReactor* BookAppointment(grpc::CallbackServerContext* context,
                                            const tandem::scheduling::v1::BookAppointmentRequest* request,
                                            tandem::scheduling::v1::Appointment* response) override;
  grpc::ServerUnaryReactor* BookSeries(grpc::CallbackServerContext* context,
                                       const tandem::scheduling::v1::BookSeriesRequest* request,
                                       tandem::scheduling::v1::BookSeriesResponse* response) override;
  grpc::ServerUnaryReactor* GetAppointment(grpc::CallbackServerContext* context,
                                           const tandem::scheduling::v1::GetAppointmentRequest* request,
                                           tandem::scheduling::v1::Appointment* response) override;
  grpc::ServerUnaryReactor* RescheduleAppointment(
      grpc::CallbackServerContext* context,
      const tandem::scheduling::v1::RescheduleAppointmentRequest* request,
      tandem::scheduling::v1::Appointment* response) override;
  grpc::ServerUnaryReactor* CancelAppointment(grpc::CallbackServerContext* context,
                                              const tandem::scheduling::v1::CancelAppointmentRequest* request,
                                              tandem::scheduling::v1::Appointment* response) override;
  grpc::ServerUnaryReactor* RecordAttendance(grpc::CallbackServerContext* context,
                                             const tandem::scheduling::v1::RecordAttendanceRequest* request,
                                             tandem::scheduling::v1::Appointment* response) override;
  grpc::ServerUnaryReactor* ListAppointments(
      grpc::CallbackServerContext* context, const tandem::scheduling::v1::ListAppointmentsRequest* request,
      tandem::scheduling::v1::ListAppointmentsResponse* response) override;
  grpc::ServerUnaryReactor* GetClinicianDay(grpc::CallbackServerContext* context,
                                            const tandem::scheduling::v1::GetClinicianDayRequest* request,
                                            tandem::scheduling::v1::ClinicianDay* response) override;
  grpc::ServerUnaryReactor* FindSlots(grpc::CallbackServerContext* context,
                                      const tandem::scheduling::v1::FindSlotsRequest* request,
                                      tandem::scheduling::v1::FindSlotsResponse* response) override;
  grpc::ServerUnaryReactor* GetAttendanceSummary(
      grpc::CallbackServerContext* context,
      const tandem::scheduling::v1::GetAttendanceSummaryRequest* request,
      tandem::scheduling::v1::AttendanceSummary* response) override;

  // Calendar feeds (calendar_feed_handlers.cc).
  grpc::ServerUnaryReactor* CreateCalendarFeed(
      grpc::CallbackServerContext* context, const tandem::scheduling::v1::CreateCalendarFeedRequest* request,
      tandem::scheduling::v1::CalendarFeed* response) override;
  grpc::ServerUnaryReactor* RevokeCalendarFeed(
      grpc::CallbackServerContext* context, const tandem::scheduling::v1::RevokeCalendarFeedRequest* request,
      tandem::scheduling::v1::RevokeCalendarFeedResponse* response) override;
  grpc::ServerUnaryReactor* ListCalendarFeeds(
      grpc::CallbackServerContext* context, const tandem::scheduling::v1::ListCalendarFeedsRequest* request,
      tandem::scheduling::v1::ListCalendarFeedsResponse* response) override;
  // No bearer token: the request's feed token is the credential (RpcRule::credential_in_request).
  grpc::ServerUnaryReactor* GetCalendarFeed(grpc::CallbackServerContext* context,
                                            const tandem::scheduling::v1::GetCalendarFeedRequest* request,
                                            tandem::api::v1::HttpBody* response) override;

  // The waitlist (waitlist_handlers.cc).
  grpc::ServerUnaryReactor* JoinWaitlist(grpc::CallbackServerContext* context,
                                         const tandem::scheduling::v1::JoinWaitlistRequest* request,
                                         tandem::scheduling::v1::WaitlistEntry* response) override;
  grpc::ServerUnaryReactor* LeaveWaitlist(grpc::CallbackServerContext* context,
                                          const tandem::scheduling::v1::LeaveWaitlistRequest* request,
                                          tandem::scheduling::v1::WaitlistEntry* response) override;
  grpc::ServerUnaryReactor* ListWaitlist(grpc::CallbackServerContext* context,
                                         const tandem::scheduling::v1::ListWaitlistRequest* request,
                                         tandem::scheduling::v1::ListWaitlistResponse* response) override;
  grpc::ServerUnaryReactor* AcceptWaitlistOffer(
      grpc::CallbackServerContext* context, const tandem::scheduling::v1::AcceptWaitlistOfferRequest* request,
      tandem::scheduling::v1::Appointment* response) override;
  grpc::ServerUnaryReactor* DeclineWaitlistOffer(
      grpc::CallbackServerContext* context,
      const tandem::scheduling::v1::DeclineWaitlistOfferRequest* request,
      tandem::scheduling::v1::Appointment* response) override;

 private:
  // Whether the clinician is on the client's care team, through the cache.
  absl::StatusOr<bool> OnCareTeam(const std::string& clinic_id, const std::string& client_id,
                                  const std::string& clinician_id);
  // After a care team changed: readers of the old team miss from now on.
  void CareTeamChanged(const std::string& clinic_id, const std::string& client_id);
  // The appointment, when the person behind `call` may see it (CheckMayAccess).
  absl::StatusOr<AppointmentProto> AccessibleAppointment(const service::Call& call,
                                                         const std::string& clinic_id,
                                                         const std::string& appointment_id);
  // OK when the person behind `call` may see `appointment`; NOT_FOUND (audited) otherwise.
  absl::Status CheckMayAccess(const service::Call& call, const AppointmentProto& appointment);
  // Every appointment of the filter, across pages (the day view and the attendance summary).
  absl::StatusOr<std::vector<AppointmentProto>> AllAppointments(const AppointmentFilter& filter);
  // Moves the occurrences of `current`'s series in `scope` by the local-time shift `requested` makes to
  // `current`, all or nothing.
  absl::Status RescheduleSeries(const service::Call& call, const AppointmentProto& current,
                                const ClinicianPolicy& policy, const Interval& requested,
                                tandem::scheduling::v1::ChangeScope scope, AppointmentProto& response);
  // What slot search knows of one clinician around `window`: policy, availability and appointments.
  absl::StatusOr<ClinicianCalendar> CalendarOf(const ClinicianProto& clinician, const ClinicianPolicy& policy,
                                               const Interval& window);
  // A client booking (or moving) an appointment themselves gets only what slot search would offer them: the
  // clinician allows self-booking, and `interval` is a free slot (working hours, time off, buffers, notice
  // and horizon), `ignore_id` being the appointment moved. FAILED_PRECONDITION otherwise.
  absl::Status CheckSelfBooking(const ClinicianProto& clinician, const ClinicianPolicy& policy,
                                const Interval& interval, absl::Time now, absl::string_view ignore_id);

  // OK when the person behind `call` may see the waitlist entry; NOT_FOUND (audited) otherwise.
  absl::Status CheckMayReachEntry(const service::Call& call, const WaitlistEntryProto& entry);
  // Accepts (the hold becomes booked) or declines (it is cancelled) an open waitlist offer.
  absl::Status AnswerWaitlistOffer(const service::Call& call, const std::string& clinic_id,
                                   const std::string& appointment_id, bool accept,
                                   AppointmentProto& response);
  // Wakes the waitlist worker (deps_.waitlist_changed), when there is one.
  void WaitlistMayMove() const;

  SchedulingServiceDeps deps_;
  service::RpcKit kit_;
};

// The authorization table of tandem.scheduling.v1.SchedulingService (the relationship checks are the
// handlers').
service::AuthzTable SchedulingRules();

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_API_SCHEDULING_SERVICE_H_
