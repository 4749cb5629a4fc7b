#ifndef TANDEM_BENCH_REQUEST_SOURCE_H_
#define TANDEM_BENCH_REQUEST_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace tandem::bench {

// In a request template, replaced by the call's sequence number (0, 1, 2, ... over the whole run), so that
// idempotency keys and other unique values differ from call to call. Only inside JSON string values.
inline constexpr absl::string_view kSeqPlaceholder = "{{seq}}";
// In a request template, replaced once by the run's id (microseconds since the epoch when the run started),
// so that two runs against the same server do not reuse each other's idempotency keys.
inline constexpr absl::string_view kRunPlaceholder = "{{run}}";

// A unary method of a service whose descriptors are in the generated pool.
struct UnaryMethod {
  // The HTTP/2 path gRPC sends: "/tandem.testing.v1.EchoService/Echo".
  std::string path;
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
};

// Finds "package.Service/Method" (a leading '/' is accepted) in the generated descriptor pool: NOT_FOUND when
// no linked proto declares it, INVALID_ARGUMENT for a malformed name or a streaming method.
absl::StatusOr<UnaryMethod> FindUnaryMethod(absl::string_view name);

// The serialized requests of a run, built from JSON templates (proto3 JSON mapping) of the method's request
// type and used round-robin. Each template is parsed and serialized once; only a template holding {{seq}} is
// rendered again for each call, from its parsed message (no JSON on the call path). Immutable after Create,
// so callers on any thread may share it.
class RequestSource {
 public:
  // `run_id` replaces {{run}}. An empty `templates` sends the request type's empty message.
  static absl::StatusOr<std::shared_ptr<const RequestSource>> Create(
      const google::protobuf::Descriptor& request_type, const std::vector<std::string>& templates,
      uint64_t run_id);

  RequestSource(const RequestSource&) = delete;
  RequestSource& operator=(const RequestSource&) = delete;

  // The request of call number `seq`: template seq % count, with {{seq}} replaced by `seq`. A fixed template
  // costs a reference to its bytes, not a copy.
  grpc::ByteBuffer Request(uint64_t seq) const;

  size_t template_count() const { return templates_.size(); }
  // The serialized size of the first template (with {{seq}} still in it, when it has one).
  size_t first_request_bytes() const { return templates_.front().bytes.Length(); }
  bool has_seq() const;

 private:
  struct Template {
    // Serialized once; what a fixed template sends on every call.
    grpc::ByteBuffer bytes;
    // Only for a template with {{seq}}: the parsed message each call copies and renders.
    std::unique_ptr<google::protobuf::Message> with_seq;
  };

  RequestSource() = default;

  std::vector<Template> templates_;
};

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_REQUEST_SOURCE_H_
