#ifndef TANDEM_BENCH_ECHO_CALLER_H_
#define TANDEM_BENCH_ECHO_CALLER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/call_recorder.h"
#include "grpcpp/channel.h"
#include "tandem/testing/v1/echo.grpc.pb.h"

namespace tandem::bench {

// Sends EchoService/Echo calls with the callback API (no thread waits on a call), records each outcome, and
// counts the calls in flight so a run can wait for its last answer. Held by shared_ptr: every call in flight
// keeps it alive, so a run that stops waiting early leaves nothing dangling.
class EchoCaller : public std::enable_shared_from_this<EchoCaller> {
 public:
  static std::shared_ptr<EchoCaller> Create(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                            int payload_bytes, absl::Duration rpc_timeout,
                                            BenchClock::time_point measure_from);

  EchoCaller(const EchoCaller&) = delete;
  EchoCaller& operator=(const EchoCaller&) = delete;

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
  EchoCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int payload_bytes,
             absl::Duration rpc_timeout, BenchClock::time_point measure_from);

  void Finished();

  std::vector<std::unique_ptr<tandem::testing::v1::EchoService::Stub>> stubs_;
  // Shared by every call; it is only read.
  tandem::testing::v1::EchoRequest request_;
  const absl::Duration rpc_timeout_;
  CallRecorder recorder_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_ECHO_CALLER_H_
