#include "services/gateway/grpc_forwarder.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/byte_buffer.h"

namespace tandem::gateway {
namespace {

bool ParseByteBuffer(grpc::ByteBuffer& buffer, google::protobuf::Message& message) {
  grpc::Slice slice;
  if (!buffer.TrySingleSlice(&slice).ok() && !buffer.DumpToSingleSlice(&slice).ok()) return false;
  return message.ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
}

}  // namespace

GrpcForwarder::GrpcForwarder(absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> backends) {
  for (auto& [name, channel] : backends) {
    Backend backend;
    backend.stub = std::make_unique<grpc::GenericStub>(channel);
    backend.channel = std::move(channel);
    stubs_.emplace(name, std::move(backend));
  }
}

std::shared_ptr<grpc::Channel> GrpcForwarder::ChannelFor(const std::string& service_full_name) const {
  auto it = stubs_.find(service_full_name);
  return it == stubs_.end() ? nullptr : it->second.channel;
}

void GrpcForwarder::Call(const google::protobuf::MethodDescriptor& method,
                         const google::protobuf::Message& request,
                         std::vector<std::pair<std::string, std::string>> metadata,
                         std::chrono::system_clock::time_point deadline, Done done) {
  auto backend = stubs_.find(method.service()->full_name());
  if (backend == stubs_.end()) {
    done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no backend configured for this service"), nullptr);
    return;
  }
  // Everything the call needs lives until its callback has run.
  struct CallState {
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    std::unique_ptr<google::protobuf::Message> response_message;
    Done done;
  };
  auto state = std::make_shared<CallState>();
  state->done = std::move(done);
  state->context.set_deadline(deadline);
  for (auto& [key, value] : metadata) state->context.AddMetadata(key, value);
  std::string serialized;
  if (!request.SerializeToString(&serialized)) {
    state->done(grpc::Status(grpc::StatusCode::INTERNAL, "cannot encode request"), nullptr);
    return;
  }
  grpc::Slice slice(std::move(serialized));
  state->request = grpc::ByteBuffer(&slice, 1);
  state->response_message.reset(
      request.GetReflection()->GetMessageFactory()->GetPrototype(method.output_type())->New());
  std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  backend->second.stub->UnaryCall(
      &state->context, path, grpc::StubOptions(), &state->request, &state->response,
      [state](grpc::Status status) {
        if (status.ok() && !ParseByteBuffer(state->response, *state->response_message)) {
          status = grpc::Status(grpc::StatusCode::INTERNAL, "cannot decode response");
        }
        state->done(status, status.ok() ? std::move(state->response_message) : nullptr);
      });
}

}  // namespace tandem::gateway
