#ifndef TANDEM_BENCH_CHANNEL_SET_H_
#define TANDEM_BENCH_CHANNEL_SET_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace tandem::bench {

// Opens `count` insecure channels to `target`, each on its own TCP connection, and waits until every one is
// connected (so connection set-up is not measured as call latency). gRPC shares one subchannel, hence one
// connection, between channels with equal arguments: each channel here gets a distinct argument value and a
// local subchannel pool. UNAVAILABLE if a channel does not connect by `deadline`.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> OpenChannels(
    const std::string& target, int count, std::chrono::system_clock::time_point deadline);

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_CHANNEL_SET_H_
