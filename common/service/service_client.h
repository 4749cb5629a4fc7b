#ifndef TANDEM_COMMON_SERVICE_SERVICE_CLIENT_H_
#define TANDEM_COMMON_SERVICE_SERVICE_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/auth/service_token_source.h"
#include "common/grpc/client_channel.h"
#include "common/status/grpc_status.h"
#include "grpcpp/client_context.h"

namespace tandem::service {

// A client of another Tandem service: one channel made at start-up and reused, the called service's name (the
// audience of end-user assertions), and this service's identity. Each call gets a context with the deadline
// derived from the inbound call, the request id, this service's token and, when acting for a person, an
// end-user assertion addressed to the called service.
//
//   ASSIGN_OR_RETURN(auth::ServiceTokenSource* identity, runtime.RequireIdentity());  // at build time
//   ServiceClient<scheduling::v1::SchedulingService> scheduling(channel, "scheduling", *identity);
//   ASSIGN_OR_RETURN(auto context, scheduling.NewContext(inbound_context, &call.caller()));
//   scheduling.stub().async()->GetAppointment(context.get(), &request, &response, [..](grpc::Status s)
//   {...});
template <typename Service>
class ServiceClient {
 public:
  ServiceClient(std::shared_ptr<grpc::Channel> channel, std::string service_name,
                auth::ServiceTokenSource& identity, absl::Duration timeout = absl::Seconds(5))
      : stub_(Service::NewStub(std::move(channel))),
        identity_(identity),
        options_{timeout, std::move(service_name)} {}

  typename Service::Stub& stub() { return *stub_; }

  // A prepared context for one call made while serving `inbound` for `caller` (both nullptr for background
  // work, which sends the service identity alone).
  absl::StatusOr<std::unique_ptr<grpc::ClientContext>> NewContext(const grpc::ServerContextBase* inbound,
                                                                  const auth::Principal* caller) {
    auto context = std::make_unique<grpc::ClientContext>();
    absl::Status prepared = PrepareOutboundContext(*context, inbound, caller, identity_, options_);
    if (!prepared.ok()) return prepared;
    return context;
  }

 private:
  std::unique_ptr<typename Service::Stub> stub_;
  auth::ServiceTokenSource& identity_;
  OutboundOptions options_;
};

// Calls several services at once without holding a thread while they answer, and reports which parts did not
// arrive (failed, or missed the deadline) so the caller can answer with what it has — a progress summary that
// names the part it could not fetch rather than failing whole.
//
//   auto fan_out = std::make_shared<FanOut>();
//   fan_out->Add("attendance", [state](FanOut::Done done) {  // `state` (a shared_ptr) owns contexts and
//   replies
//     scheduling.stub().async()->GetAttendance(state->ctx1.get(), &state->req1, &state->resp1,
//     std::move(done));
//   });
//   fan_out->Add("adherence", ...);
//   fan_out->Run([](FanOut::Result result) { ... result.missing ... });
class FanOut : public std::enable_shared_from_this<FanOut> {
 public:
  using Done = std::function<void(grpc::Status)>;
  struct Result {
    std::vector<std::string> arrived;
    std::vector<std::string> missing;  // in the order the parts were added
    absl::flat_hash_map<std::string, absl::Status> errors;
  };

  // `start` begins one call and arranges for the given callback to run exactly once with its status.
  void Add(std::string part, std::function<void(Done)> start) {
    parts_.push_back({std::move(part), std::move(start)});
  }

  // Starts every part; `done` runs once, on the thread of the last answer (or at once with no parts). The
  // FanOut must be held by a shared_ptr: it keeps itself alive until every callback has run.
  void Run(std::function<void(Result)> done) {
    done_ = std::move(done);
    statuses_.resize(parts_.size());
    pending_.store(static_cast<int>(parts_.size()));
    if (parts_.empty()) {
      Finish();
      return;
    }
    auto self = shared_from_this();
    for (size_t i = 0; i < parts_.size(); ++i) {
      parts_[i].start([self, i](const grpc::Status& status) {
        {
          absl::MutexLock lock(&self->mu_);
          self->statuses_[i] = FromGrpcStatus(status);
        }
        if (self->pending_.fetch_sub(1) == 1) self->Finish();
      });
    }
  }

 private:
  struct Part {
    std::string name;
    std::function<void(Done)> start;
  };

  void Finish() {
    Result result;
    {
      absl::MutexLock lock(&mu_);
      for (size_t i = 0; i < parts_.size(); ++i) {
        if (statuses_[i].ok()) {
          result.arrived.push_back(parts_[i].name);
        } else {
          result.missing.push_back(parts_[i].name);
          result.errors.emplace(parts_[i].name, statuses_[i]);
        }
      }
    }
    done_(std::move(result));
  }

  std::vector<Part> parts_;
  std::function<void(Result)> done_;
  std::atomic<int> pending_{0};
  absl::Mutex mu_;
  std::vector<absl::Status> statuses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::service

#endif  // TANDEM_COMMON_SERVICE_SERVICE_CLIENT_H_
