// The calendar feed RPCs of SchedulingService: feed URLs a clinician subscribes to from a calendar app, and
// the feed itself, whose credential is the token in its URL (calendar apps cannot send a bearer token).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/field_violations.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "services/scheduling/api/feed_token.h"
#include "services/scheduling/api/scheduling_service.h"
#include "services/scheduling/domain/icalendar.h"
#include "services/scheduling/domain/proto_time.h"

namespace tandem::scheduling {
namespace {

namespace v1 = tandem::scheduling::v1;

// The one answer for every token that opens no feed (unknown, revoked, malformed), so that an answer never
// tells which; it never repeats the token.
absl::Status FeedNotFound() { return absl::NotFoundError("calendar feed not found"); }

// Admins manage any clinician's feeds; a clinician only their own (the table admits no one else).
bool MayManageFeedsOf(const service::Call& call, const std::string& clinician_id) {
  return call.caller().HasRole(auth::kRoleAdmin) || call.caller().subject == clinician_id;
}

v1::CalendarFeed FeedToProto(const CalendarFeedRecord& feed) {
  v1::CalendarFeed out;
  out.set_clinic_id(feed.clinic_id);
  out.set_feed_id(feed.feed_id);
  out.set_clinician_id(feed.clinician_id);
  *out.mutable_create_time() = ToProto(feed.created_at);
  return out;
}

}  // namespace

grpc::ServerUnaryReactor* SchedulingService::CreateCalendarFeed(grpc::CallbackServerContext* context,
                                                                const v1::CreateCalendarFeedRequest* request,
                                                                v1::CalendarFeed* response) {
  return kit_.Unary(
      context, "CreateCalendarFeed", request->clinic_id(),
      [this, request, response](const service::Call& call) -> absl::Status {
        FieldViolations v;
        CheckRef(v, "clinic_id", request->clinic_id());
        CheckRef(v, "clinician_id", request->clinician_id());
        RETURN_IF_ERROR(v.ToStatus());
        if (!MayManageFeedsOf(call, request->clinician_id())) {
          return call.Refuse(
              absl::PermissionDeniedError("a clinician creates feeds of their own calendar only"),
              request->clinician_id());
        }
        RETURN_IF_ERROR(deps_.store->GetClinician(request->clinic_id(), request->clinician_id()).status());
        ASSIGN_OR_RETURN(std::string token, NewFeedToken());
        CalendarFeedRecord feed;
        feed.clinic_id = request->clinic_id();
        feed.feed_id = NewUuidV7(*deps_.clock);
        feed.clinician_id = request->clinician_id();
        feed.created_at = deps_.clock->Now();
        RETURN_IF_ERROR(deps_.feeds->CreateFeed(feed, FeedTokenHash(token), call.SuccessEntry(feed.feed_id)));
        *response = FeedToProto(feed);
        // The only time the token is shown: only its hash is kept.
        response->set_url_path(FeedUrlPath(token));
        response->set_token(std::move(token));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SchedulingService::RevokeCalendarFeed(
    grpc::CallbackServerContext* context, const v1::RevokeCalendarFeedRequest* request,
    v1::RevokeCalendarFeedResponse* /*response*/) {
  return kit_.Unary(context, "RevokeCalendarFeed", request->clinic_id(),
                    [this, request](const service::Call& call) -> absl::Status {
                      FieldViolations v;
                      CheckRef(v, "clinic_id", request->clinic_id());
                      CheckRef(v, "feed_id", request->feed_id());
                      RETURN_IF_ERROR(v.ToStatus());
                      ASSIGN_OR_RETURN(CalendarFeedRecord feed,
                                       deps_.feeds->GetFeed(request->clinic_id(), request->feed_id()));
                      // Another clinician's feed is as absent as a missing one.
                      if (!MayManageFeedsOf(call, feed.clinician_id)) {
                        return call.Refuse(FeedNotFound(), feed.feed_id);
                      }
                      return deps_.feeds->RevokeFeed(feed.clinic_id, feed.feed_id, deps_.clock->Now(),
                                                     call.SuccessEntry(feed.feed_id));
                    });
}

grpc::ServerUnaryReactor* SchedulingService::ListCalendarFeeds(grpc::CallbackServerContext* context,
                                                               const v1::ListCalendarFeedsRequest* request,
                                                               v1::ListCalendarFeedsResponse* response) {
  return kit_.Unary(context, "ListCalendarFeeds", request->clinic_id(),
                    [this, request, response](const service::Call& call) -> absl::Status {
                      FieldViolations v;
                      CheckRef(v, "clinic_id", request->clinic_id());
                      CheckRef(v, "clinician_id", request->clinician_id());
                      RETURN_IF_ERROR(v.ToStatus());
                      if (!MayManageFeedsOf(call, request->clinician_id())) {
                        return call.Refuse(
                            absl::PermissionDeniedError("a clinician lists feeds of their own calendar only"),
                            request->clinician_id());
                      }
                      ASSIGN_OR_RETURN(std::vector<CalendarFeedRecord> feeds,
                                       deps_.feeds->ListFeeds(request->clinic_id(), request->clinician_id()));
                      std::vector<std::string> ids;
                      ids.reserve(feeds.size());
                      for (const CalendarFeedRecord& feed : feeds) ids.push_back(feed.feed_id);
                      RETURN_IF_ERROR(call.AuditList(ids));
                      for (const CalendarFeedRecord& feed : feeds) *response->add_feeds() = FeedToProto(feed);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* SchedulingService::GetCalendarFeed(grpc::CallbackServerContext* context,
                                                             const v1::GetCalendarFeedRequest* request,
                                                             tandem::api::v1::HttpBody* response) {
  return kit_.UnaryWithRequestCredential(
      context, "GetCalendarFeed",
      [this, request, response](const service::RequestCredentialCall& pending) -> absl::Status {
        // A malformed token is looked up nowhere, and answered like an unknown one.
        if (!IsWellFormedFeedToken(request->feed_token())) return FeedNotFound();
        absl::StatusOr<CalendarFeedRecord> feed =
            deps_.feeds->FindActiveFeed(FeedTokenHash(request->feed_token()));
        if (absl::IsNotFound(feed.status())) return FeedNotFound();
        RETURN_IF_ERROR(feed.status());
        // The trail names the feed, never its token.
        const service::Call call =
            pending.Admit(absl::StrCat("calendar-feed/", feed->feed_id), feed->clinic_id);
        const absl::Time now = deps_.clock->Now();
        AppointmentFilter filter;
        filter.clinic_id = feed->clinic_id;
        filter.clinician_id = feed->clinician_id;
        filter.starts_from = now - kCalendarFeedPast;
        filter.starts_before = now + kCalendarFeedAhead;
        ASSIGN_OR_RETURN(std::vector<AppointmentProto> appointments, AllAppointments(filter));
        RETURN_IF_ERROR(call.AuditRead(feed->feed_id));
        response->set_content_type(kCalendarContentType);
        response->set_data(RenderCalendar(appointments, now));
        return absl::OkStatus();
      });
}

}  // namespace tandem::scheduling
