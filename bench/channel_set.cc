#include "bench/channel_set.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace tandem::bench {
namespace {

// Any argument the channel does not know still takes part in the subchannel key; the value is the index.
constexpr char kChannelIndexArg[] = "tandem.bench.channel_index";

}  // namespace

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> OpenChannels(
    const std::string& target, int count, std::chrono::system_clock::time_point deadline) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  channels.reserve(count);
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(kChannelIndexArg, i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  for (int i = 0; i < count; ++i) {
    if (!channels[i]->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat("channel ", i, " to ", target, " did not connect"));
    }
  }
  return channels;
}

}  // namespace tandem::bench
