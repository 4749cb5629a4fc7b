#include "bench/request_source.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/support/slice.h"

namespace tandem::bench {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

grpc::ByteBuffer ToByteBuffer(const Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool IsText(const FieldDescriptor& field) { return field.type() == FieldDescriptor::TYPE_STRING; }

// True when a string value anywhere in `message` (nested messages, repeated fields and maps included) holds
// {{seq}}.
bool HoldsSeq(const Message& message) {
  const Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (IsText(*field)) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          if (absl::StrContains(reflection.GetRepeatedString(message, field, i), kSeqPlaceholder)) {
            return true;
          }
        }
      } else if (absl::StrContains(reflection.GetString(message, field), kSeqPlaceholder)) {
        return true;
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          if (HoldsSeq(reflection.GetRepeatedMessage(message, field, i))) return true;
        }
      } else if (HoldsSeq(reflection.GetMessage(message, field))) {
        return true;
      }
    }
  }
  return false;
}

// Replaces {{seq}} by `seq` in every string value of `message`, as HoldsSeq finds them.
void RenderSeq(Message* message, absl::string_view seq) {
  const Reflection& reflection = *message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (IsText(*field)) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(*message, field); ++i) {
          const std::string& value = reflection.GetRepeatedString(*message, field, i);
          if (absl::StrContains(value, kSeqPlaceholder)) {
            reflection.SetRepeatedString(message, field, i,
                                         absl::StrReplaceAll(value, {{kSeqPlaceholder, seq}}));
          }
        }
      } else {
        const std::string& value = reflection.GetString(*message, field);
        if (absl::StrContains(value, kSeqPlaceholder)) {
          reflection.SetString(message, field, absl::StrReplaceAll(value, {{kSeqPlaceholder, seq}}));
        }
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(*message, field); ++i) {
          RenderSeq(reflection.MutableRepeatedMessage(message, field, i), seq);
        }
      } else {
        RenderSeq(reflection.MutableMessage(message, field), seq);
      }
    }
  }
}

}  // namespace

absl::StatusOr<UnaryMethod> FindUnaryMethod(absl::string_view name) {
  absl::string_view rest = absl::StripPrefix(name, "/");
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--method must be package.Service/Method (tandem.testing.v1.EchoService/Echo), not '", name, "'"));
  }
  const std::string full_name = absl::StrCat(rest.substr(0, slash), ".", rest.substr(slash + 1));
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name);
  if (method == nullptr) {
    return absl::NotFoundError(absl::StrCat("no linked proto declares the method ", rest));
  }
  if (method->client_streaming() || method->server_streaming()) {
    return absl::InvalidArgumentError(
        absl::StrCat(rest, " is a streaming method; only unary ones are driven"));
  }
  UnaryMethod found;
  found.path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  found.descriptor = method;
  return found;
}

absl::StatusOr<std::shared_ptr<const RequestSource>> RequestSource::Create(
    const Descriptor& request_type, const std::vector<std::string>& templates, uint64_t run_id) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&request_type);
  if (prototype == nullptr) {
    return absl::NotFoundError(absl::StrCat("no generated message for ", request_type.full_name()));
  }
  std::shared_ptr<RequestSource> source(new RequestSource);
  const std::vector<std::string> empty_only = {"{}"};
  const std::string run = absl::StrCat(run_id);
  for (const std::string& json : templates.empty() ? empty_only : templates) {
    std::unique_ptr<Message> message(prototype->New());
    const std::string text = absl::StrReplaceAll(json, {{kRunPlaceholder, run}});
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // A misspelt field must not silently send an emptier request.
    const auto parsed = google::protobuf::util::JsonStringToMessage(text, message.get(), options);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--request is not a JSON ", request_type.full_name(), ": ", std::string(parsed.message()),
          absl::StrContains(json, kSeqPlaceholder) ? " ({{seq}} is replaced only inside string values)" : "",
          "; the template was: ", json));
    }
    Template t;
    t.bytes = ToByteBuffer(*message);
    if (HoldsSeq(*message)) t.with_seq = std::move(message);
    source->templates_.push_back(std::move(t));
  }
  return std::shared_ptr<const RequestSource>(std::move(source));
}

grpc::ByteBuffer RequestSource::Request(uint64_t seq) const {
  const Template& t = templates_[seq % templates_.size()];
  if (t.with_seq == nullptr) return t.bytes;
  std::unique_ptr<Message> message(t.with_seq->New());
  message->CopyFrom(*t.with_seq);
  RenderSeq(message.get(), absl::StrCat(seq));
  return ToByteBuffer(*message);
}

bool RequestSource::has_seq() const {
  for (const Template& t : templates_) {
    if (t.with_seq != nullptr) return true;
  }
  return false;
}

}  // namespace tandem::bench
