#include "common/log/redact.h"

#include <memory>
#include <set>
#include <vector>

#include "google/protobuf/reflection.h"
#include "google/protobuf/text_format.h"
#include "tandem/api/v1/annotations.pb.h"

namespace tandem::log {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kRedacted[] = "[redacted]";

bool HasSensitiveFieldsImpl(const Descriptor& descriptor, std::set<const Descriptor*>& seen) {
  if (!seen.insert(&descriptor).second) return false;  // recursive message types
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* field = descriptor.field(i);
    if (IsSensitive(*field)) return true;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        HasSensitiveFieldsImpl(*field->message_type(), seen)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsSensitive(const FieldDescriptor& field) {
  return field.options().GetExtension(tandem::api::v1::sensitive);
}

bool HasSensitiveFields(const Descriptor& descriptor) {
  std::set<const Descriptor*> seen;
  return HasSensitiveFieldsImpl(descriptor, seen);
}

void RedactInPlace(Message& message) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (IsSensitive(*field)) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !field->is_repeated()) {
        reflection->SetString(&message, field, kRedacted);
      } else {
        reflection->ClearField(&message, field);
      }
      continue;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        RedactInPlace(*reflection->MutableRepeatedMessage(&message, field, i));
      }
    } else {
      RedactInPlace(*reflection->MutableMessage(&message, field));
    }
  }
}

std::string RedactedDebugString(const Message& message) {
  std::unique_ptr<Message> copy(message.New());
  copy->CopyFrom(message);
  RedactInPlace(*copy);
  std::string out;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.PrintToString(*copy, &out);
  return out;
}

}  // namespace tandem::log
