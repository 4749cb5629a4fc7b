#ifndef TANDEM_BENCH_CLOSED_LOOP_H_
#define TANDEM_BENCH_CLOSED_LOOP_H_

#include <memory>
#include <vector>

#include "bench/load_options.h"
#include "bench/run_plan.h"
#include "bench/unary_caller.h"
#include "grpcpp/channel.h"

namespace tandem::bench {

// Keeps options.in_flight calls of `spec` outstanding on each channel: every completion sends the next call,
// from the completion itself, until the plan says stop. Returns once every call has answered (or
// drain_timeout).
RunOutcome RunClosedLoop(const LoadOptions& options, const CallSpec& spec,
                         const std::vector<std::shared_ptr<grpc::Channel>>& channels);

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_CLOSED_LOOP_H_
