#ifndef TANDEM_BENCH_UNARY_CALLER_H_
#define TANDEM_BENCH_UNARY_CALLER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/call_recorder.h"
#include "bench/request_source.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"

namespace tandem::bench {

// What every call of a run sends: one unary method, its requests, and metadata such as a bearer token.
struct CallSpec {
  // The HTTP/2 path, "/package.Service/Method".
  std::string method_path;
  std::shared_ptr<const RequestSource> requests;
  // Sent with every call; values are never reported.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Sends unary calls of any method as pre-serialized bytes through grpc::GenericStub with the callback API (no
// thread waits on a call, and no per-call encoding beyond {{seq}}), records each outcome, and counts the
// calls in flight so a run can wait for its last answer. Answers are received as bytes and never parsed. Held
// by shared_ptr: every call in flight keeps it alive, so a run that stops waiting early leaves nothing
// dangling.
class UnaryCaller : public std::enable_shared_from_this<UnaryCaller> {
 public:
  static std::shared_ptr<UnaryCaller> Create(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                             CallSpec spec, absl::Duration rpc_timeout,
                                             BenchClock::time_point measure_from);

  UnaryCaller(const UnaryCaller&) = delete;
  UnaryCaller& operator=(const UnaryCaller&) = delete;

  size_t channel_count() const { return stubs_.size(); }

  // Sends one call on channel `channel`. Its latency counts from `intended_start` (the open loop's schedule
  // slot; the closed loop passes the send time). `then` runs on a gRPC thread after the call is recorded and
  // before it stops counting as in flight; it must not block.
  void Start(size_t channel, BenchClock::time_point intended_start, std::function<void()> then);

  // Blocks until fewer than `limit` calls are in flight or `deadline` passes; true in the first case.
  bool WaitInFlightBelow(int64_t limit, BenchClock::time_point deadline);
  int64_t in_flight() const;

  CallTally Snapshot() const { return recorder_.Snapshot(); }

 private:
  UnaryCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, CallSpec spec,
              absl::Duration rpc_timeout, BenchClock::time_point measure_from);

  void Finished();

  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  const CallSpec spec_;
  const absl::Duration rpc_timeout_;
  // The {{seq}} of the next call, which also picks its request template.
  std::atomic<uint64_t> next_seq_{0};
  CallRecorder recorder_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_UNARY_CALLER_H_
