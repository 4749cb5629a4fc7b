#include "common/crypto/sensitive_fields.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/log/redact.h"
#include "common/status/status_macros.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace tandem::crypto {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The sealed plaintext is an Any naming the message type: bytes of one type often parse as another, so
// without the name an envelope opened into the wrong type would restore garbage instead of failing.
std::string TypeUrl(const Descriptor& descriptor) {
  return absl::StrCat("type.googleapis.com/", descriptor.full_name());
}

// Deterministic so that equal sensitive content always gives equal plaintext; partial so that proto2 required
// fields left behind in the rest do not make the sensitive part unserializable.
absl::StatusOr<std::string> SerializeDeterministically(const Message& message) {
  std::string out;
  bool ok = false;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    ok = message.SerializePartialToCodedStream(&coded);
  }  // the stream flushes into `out` when destroyed
  if (!ok) return absl::InternalError(absl::StrCat("cannot serialize ", message.GetTypeName()));
  return out;
}

std::vector<const FieldDescriptor*> SetFields(const Message& message) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  return fields;
}

// A non-sensitive field is descended into only when its type can hold something sensitive.
bool CanHoldSensitive(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         log::HasSensitiveFields(*field.message_type());
}

// The key of a map entry as text, to pair the entries of two maps of one type.
std::string MapKey(const Message& entry) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  const Reflection* reflection = entry.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(reflection->GetInt32(entry, key));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(reflection->GetInt64(entry, key));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(reflection->GetUInt32(entry, key));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(reflection->GetUInt64(entry, key));
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(entry, key) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_STRING:
      return reflection->GetString(entry, key);
    default:
      return "";  // protobuf allows no other key types
  }
}

void CopyMapKey(const Message& from, Message& to) {
  const FieldDescriptor* key = from.GetDescriptor()->map_key();
  const Reflection* in = from.GetReflection();
  const Reflection* out = to.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      out->SetInt32(&to, key, in->GetInt32(from, key));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      out->SetInt64(&to, key, in->GetInt64(from, key));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      out->SetUInt32(&to, key, in->GetUInt32(from, key));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      out->SetUInt64(&to, key, in->GetUInt64(from, key));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->SetBool(&to, key, in->GetBool(from, key));
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      out->SetString(&to, key, in->GetString(from, key));
      break;
    default:
      break;  // protobuf allows no other key types
  }
}

// Moves the sensitive parts of `from` into `to`, an empty message of the same type, keeping the shape restore
// needs: one element per element of a repeated message, and the key of each map entry. True when anything
// moved; nothing is left in `to` for a subtree that had nothing sensitive.
bool Extract(Message& from, Message& to) {
  const Reflection* reflection = from.GetReflection();
  bool moved = false;
  for (const FieldDescriptor* field : SetFields(from)) {
    if (log::IsSensitive(*field)) {
      reflection->SwapFields(&from, &to, {field});
      moved = true;
      continue;
    }
    if (!CanHoldSensitive(*field)) continue;
    if (field->is_map()) {
      const FieldDescriptor* value = field->message_type()->map_value();
      for (int i = 0; i < reflection->FieldSize(from, field); ++i) {
        Message* entry = reflection->MutableRepeatedMessage(&from, field, i);
        Message* sealed = reflection->AddMessage(&to, field);
        if (Extract(*entry->GetReflection()->MutableMessage(entry, value),
                    *sealed->GetReflection()->MutableMessage(sealed, value))) {
          CopyMapKey(*entry, *sealed);
          moved = true;
        } else {
          reflection->RemoveLast(&to, field);
        }
      }
    } else if (field->is_repeated()) {
      bool any = false;
      for (int i = 0; i < reflection->FieldSize(from, field); ++i) {
        any |= Extract(*reflection->MutableRepeatedMessage(&from, field, i),
                       *reflection->AddMessage(&to, field));
      }
      if (!any) reflection->ClearField(&to, field);
      moved |= any;
    } else if (Extract(*reflection->MutableMessage(&from, field), *reflection->MutableMessage(&to, field))) {
      moved = true;
    } else {
      reflection->ClearField(&to, field);
    }
  }
  return moved;
}

// True when `sealed` has only the shape Extract gives: sensitive fields, messages leading to them and map
// keys. Anything else means the bytes were not made from this type.
bool HasExtractedShape(const Message& sealed) {
  const Reflection* reflection = sealed.GetReflection();
  if (!reflection->GetUnknownFields(sealed).empty()) return false;
  for (const FieldDescriptor* field : SetFields(sealed)) {
    if (log::IsSensitive(*field)) continue;
    if (!CanHoldSensitive(*field)) return false;
    if (field->is_map()) {
      const FieldDescriptor* value = field->message_type()->map_value();
      for (int i = 0; i < reflection->FieldSize(sealed, field); ++i) {
        const Message& entry = reflection->GetRepeatedMessage(sealed, field, i);
        if (!HasExtractedShape(entry.GetReflection()->GetMessage(entry, value))) return false;
      }
    } else if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(sealed, field); ++i) {
        if (!HasExtractedShape(reflection->GetRepeatedMessage(sealed, field, i))) return false;
      }
    } else if (!HasExtractedShape(reflection->GetMessage(sealed, field))) {
      return false;
    }
  }
  return true;
}

// Puts the parts Extract moved (`sealed`, consumed) back into `into`. Plain MergeFrom would append repeated
// elements and map entries; restore pairs them by index and by key instead. `sealed` has the extracted shape.
void Restore(Message& into, Message& sealed) {
  const Reflection* reflection = into.GetReflection();
  for (const FieldDescriptor* field : SetFields(sealed)) {
    if (log::IsSensitive(*field)) {
      reflection->ClearField(&into, field);
      reflection->SwapFields(&into, &sealed, {field});
      continue;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;  // a map entry's key
    if (field->is_map()) {
      absl::flat_hash_map<std::string, int> index;
      for (int i = 0; i < reflection->FieldSize(into, field); ++i) {
        index[MapKey(reflection->GetRepeatedMessage(into, field, i))] = i;
      }
      for (int i = 0; i < reflection->FieldSize(sealed, field); ++i) {
        Message* entry = reflection->MutableRepeatedMessage(&sealed, field, i);
        std::string key = MapKey(*entry);
        auto it = index.find(key);
        if (it == index.end()) {
          reflection->AddMessage(&into, field)->CopyFrom(*entry);
          index[key] = reflection->FieldSize(into, field) - 1;
        } else {
          Restore(*reflection->MutableRepeatedMessage(&into, field, it->second), *entry);
        }
      }
    } else if (field->is_repeated()) {
      const int present = reflection->FieldSize(into, field);
      for (int i = 0; i < reflection->FieldSize(sealed, field); ++i) {
        Message* element = i < present ? reflection->MutableRepeatedMessage(&into, field, i)
                                       : reflection->AddMessage(&into, field);
        Restore(*element, *reflection->MutableRepeatedMessage(&sealed, field, i));
      }
    } else {
      Restore(*reflection->MutableMessage(&into, field), *reflection->MutableMessage(&sealed, field));
    }
  }
}

}  // namespace

absl::StatusOr<std::string> SealSensitiveFields(ClinicalCipher& cipher, const SealBinding& binding,
                                                Message& message) {
  const Descriptor& descriptor = *message.GetDescriptor();
  if (!log::HasSensitiveFields(descriptor)) return std::string();
  // Extract from a copy so that a failed seal leaves `message` whole.
  std::unique_ptr<Message> rest(message.New());
  rest->CopyFrom(message);
  std::unique_ptr<Message> sensitive(message.New());
  if (!Extract(*rest, *sensitive)) return std::string();

  google::protobuf::Any any;
  any.set_type_url(TypeUrl(descriptor));
  ASSIGN_OR_RETURN(*any.mutable_value(), SerializeDeterministically(*sensitive));
  ASSIGN_OR_RETURN(std::string plaintext, SerializeDeterministically(any));
  ASSIGN_OR_RETURN(std::string envelope,
                   cipher.Seal(binding.clinic_id, binding.record_id, binding.record_version, plaintext));
  message.GetReflection()->Swap(&message, rest.get());
  return envelope;
}

absl::Status OpenSensitiveFields(ClinicalCipher& cipher, const SealBinding& binding,
                                 absl::string_view envelope, Message& message) {
  if (envelope.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string plaintext,
                   cipher.Open(binding.clinic_id, binding.record_id, binding.record_version, envelope));
  const Descriptor& descriptor = *message.GetDescriptor();
  google::protobuf::Any any;
  if (!any.ParseFromString(plaintext) || any.type_url() != TypeUrl(descriptor)) {
    return absl::DataLossError(absl::StrCat("sealed fields are not a ", descriptor.full_name()));
  }
  std::unique_ptr<Message> sealed(message.New());
  if (!sealed->ParsePartialFromString(any.value()) || !HasExtractedShape(*sealed)) {
    return absl::DataLossError(absl::StrCat("sealed fields do not parse as ", descriptor.full_name()));
  }
  Restore(message, *sealed);
  return absl::OkStatus();
}

// Layout: the rest's length (4 bytes, big endian), the rest, then the envelope. No library framing fits a
// blob that is half plain protobuf and half ciphertext, and four bytes are all it takes.
absl::StatusOr<std::string> SealMessage(ClinicalCipher& cipher, const SealBinding& binding,
                                        const google::protobuf::Message& message) {
  std::unique_ptr<google::protobuf::Message> rest(message.New());
  rest->CopyFrom(message);
  ASSIGN_OR_RETURN(std::string envelope, SealSensitiveFields(cipher, binding, *rest));
  std::string plain;
  if (!rest->SerializePartialToString(&plain)) return absl::InternalError("cannot serialize message");
  const auto size = static_cast<uint32_t>(plain.size());
  std::string blob = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                      static_cast<char>(size >> 8), static_cast<char>(size)};
  blob.append(plain);
  blob.append(envelope);
  return blob;
}

absl::Status OpenMessage(ClinicalCipher& cipher, const SealBinding& binding, absl::string_view blob,
                         google::protobuf::Message& message) {
  if (blob.size() < 4) return absl::DataLossError("stored message is truncated");
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(blob[i])); };
  const uint32_t size = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
  if (blob.size() - 4 < size) return absl::DataLossError("stored message is truncated");
  std::unique_ptr<google::protobuf::Message> restored(message.New());
  if (!restored->ParsePartialFromArray(blob.data() + 4, static_cast<int>(size))) {
    return absl::DataLossError("stored message is unreadable");
  }
  RETURN_IF_ERROR(OpenSensitiveFields(cipher, binding, blob.substr(4 + size), *restored));
  message.CopyFrom(*restored);
  return absl::OkStatus();
}

}  // namespace tandem::crypto
