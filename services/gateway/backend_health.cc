#include "services/gateway/backend_health.h"

#include <atomic>

#include "absl/time/clock.h"
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

void BackendHealth::Check(std::function<void(bool, std::vector<std::string>)> done) {
  {
    absl::MutexLock lock(&mu_);
    if (absl::Now() - checked_at_ < cache_for_) {
      done(not_ready_.empty(), not_ready_);
      return;
    }
  }
  if (backends_.empty()) {
    done(true, {});
    return;
  }
  struct Round {
    std::atomic<int> pending;
    absl::Mutex mu;
    std::vector<std::string> not_ready;
    std::function<void(bool, std::vector<std::string>)> done;
  };
  auto round = std::make_shared<Round>();
  round->pending = static_cast<int>(backends_.size());
  round->done = std::move(done);
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
                          &call->response, [this, call, round, name = backend.service](grpc::Status status) {
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
                            {
                              absl::MutexLock lock(&mu_);
                              checked_at_ = absl::Now();
                              not_ready_ = not_ready;
                            }
                            const bool ready = not_ready.empty();
                            round->done(ready, std::move(not_ready));
                          });
  }
}

}  // namespace tandem::gateway
