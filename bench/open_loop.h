#ifndef TANDEM_BENCH_OPEN_LOOP_H_
#define TANDEM_BENCH_OPEN_LOOP_H_

#include <memory>
#include <vector>

#include "bench/load_options.h"
#include "bench/run_plan.h"
#include "bench/unary_caller.h"
#include "grpcpp/channel.h"

namespace tandem::bench {

// Sends calls of `spec` at options.rate per second on a fixed schedule (round-robin over the channels),
// whatever the answers do, and measures each call's latency from its scheduled send time. Returns once every
// call has answered (or drain_timeout).
RunOutcome RunOpenLoop(const LoadOptions& options, const CallSpec& spec,
                       const std::vector<std::shared_ptr<grpc::Channel>>& channels);

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_OPEN_LOOP_H_
