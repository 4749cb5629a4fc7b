#include "services/gateway/backend_health.h"

#include <algorithm>
#include <atomic>

#include "absl/time/clock.h"
#include "common/log/log.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace tandem::gateway {
namespace {

// grpc.health.v1.HealthCheckRequest{service} and the SERVING response, encoded by hand: two tiny fixed
// messages are not worth generating the health protos for.
std::string HealthRequest(const std::string& service) {
  std::string out;
  out.push_back(0x0A);  // field 1, length-delimited
  out.push_back(static_cast<char>(service.size()));
  out += service;
  return out;
}

bool IsServing(grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const auto& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes == std::string("\x08\x01", 2);  // status = SERVING
}

}  // namespace

BackendHealth::BackendHealth(std::vector<Backend> backends, absl::Duration timeout, absl::Duration cache_for)
    : backends_(std::move(backends)), timeout_(timeout), cache_for_(cache_for) {}

void BackendHealth::Check(Done done) {
  if (backends_.empty()) {
    done(true, {});
    return;
  }
  Done answer_now;  // set when a fresh result answers at once
  bool start_round = false;
  std::vector<std::string> cached;
  {
    absl::MutexLock lock(&state_->mu);
    if (absl::Now() - state_->checked_at < cache_for_) {
      answer_now = std::move(done);
      cached = state_->not_ready;
    } else {
      // The first caller since the last round starts one; the others join it.
      start_round = state_->waiting.empty();
      state_->waiting.push_back(std::move(done));
    }
  }
  if (answer_now) {
    const bool ready = cached.empty();
    answer_now(ready, std::move(cached));
    return;
  }
  if (start_round) StartRound();
}

bool BackendHealth::Ready() {
  if (backends_.empty()) return true;
  bool ready = false;
  bool stale = false;
  {
    absl::MutexLock lock(&state_->mu);
    ready = state_->checked_at != absl::InfinitePast() && state_->not_ready.empty();
    stale = absl::Now() - state_->checked_at >= cache_for_;
  }
  if (stale) Check([](bool /*ready*/, const std::vector<std::string>& /*not_ready*/) {});
  return ready;
}

void BackendHealth::StartRound() {
  struct Round {
    std::atomic<int> pending;
    absl::Mutex mu;
    std::vector<std::string> not_ready;
  };
  auto round = std::make_shared<Round>();
  round->pending = static_cast<int>(backends_.size());
  for (const Backend& backend : backends_) {
    struct Call {
      grpc::ClientContext context;
      grpc::ByteBuffer request;
      grpc::ByteBuffer response;
      std::unique_ptr<grpc::GenericStub> stub;
    };
    auto call = std::make_shared<Call>();
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    // The server's overall status: ServerHost turns it NOT_SERVING while draining.
    grpc::Slice slice(HealthRequest(""));
    call->request = grpc::ByteBuffer(&slice, 1);
    call->stub = std::make_unique<grpc::GenericStub>(backend.channel);
    call->stub->UnaryCall(&call->context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &call->request,
                          &call->response,
                          [state = state_, call, round, name = backend.service](const grpc::Status& status) {
                            if (!status.ok() || !IsServing(call->response)) {
                              absl::MutexLock lock(&round->mu);
                              round->not_ready.push_back(name);
                            }
                            if (round->pending.fetch_sub(1) != 1) return;
                            std::vector<std::string> not_ready;
                            {
                              absl::MutexLock lock(&round->mu);
                              not_ready = round->not_ready;
                            }
                            FinishRound(*state, std::move(not_ready));
                          });
  }
}

void BackendHealth::FinishRound(State& state, std::vector<std::string> not_ready) {
  std::sort(not_ready.begin(), not_ready.end());
  const bool ready = not_ready.empty();
  std::vector<Done> waiting;
  bool changed = false;
  {
    absl::MutexLock lock(&state.mu);
    state.checked_at = absl::Now();
    state.not_ready = not_ready;
    waiting.swap(state.waiting);
    changed = state.reported_ready != ready;
    state.reported_ready = ready;
  }
  // The probe answers only ready or not; which backends are missing is in the log, once per change.
  if (changed) log::Info("gateway_readiness", {{"ready", ready}, {"not_ready", not_ready}});
  for (Done& done : waiting) done(ready, not_ready);
}

}  // namespace tandem::gateway
