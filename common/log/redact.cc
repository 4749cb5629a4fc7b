#include "common/log/redact.h"

#include <set>

#include "tandem/api/v1/annotations.pb.h"

namespace tandem::log {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

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

}  // namespace tandem::log
