#ifndef TANDEM_SERVICES_GATEWAY_GRPC_FORWARDER_H_
#define TANDEM_SERVICES_GATEWAY_GRPC_FORWARDER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"

namespace tandem::gateway {

// Calls backend RPCs by descriptor with gRPC's generic callback stub: one long-lived channel per backend
// service, no thread waits for an answer, and no generated stub code is needed for a service added later.
class GrpcForwarder {
 public:
  // `backends`: service full name ("tandem.notes.v1.NotesService") -> channel.
  explicit GrpcForwarder(absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> backends);

  using Done = std::function<void(grpc::Status status, std::unique_ptr<google::protobuf::Message> response)>;

  // `metadata` is sent as-is (lower-case keys). `done` runs once, on a gRPC thread.
  void Call(const google::protobuf::MethodDescriptor& method, const google::protobuf::Message& request,
            std::vector<std::pair<std::string, std::string>> metadata,
            std::chrono::system_clock::time_point deadline, Done done);

  bool HasBackend(const std::string& service_full_name) const { return stubs_.contains(service_full_name); }
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& service_full_name) const;

 private:
  struct Backend {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
  };
  absl::flat_hash_map<std::string, Backend> stubs_;
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_GRPC_FORWARDER_H_
