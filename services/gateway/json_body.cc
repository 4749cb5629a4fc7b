#include "services/gateway/json_body.h"

#include <cstdint>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/gateway/violation_list.h"

namespace tandem::gateway {
namespace {

using nlohmann::json;

// A SAX handler that builds the DOM itself, so it can stop at the depth limit and on duplicate keys, and
// keeps enough of the path (pointers to keys already in the tree, array indices) to name where a problem is.
class BoundedDomBuilder {
 public:
  explicit BoundedDomBuilder(json* root) : root_(root) {}

  bool null() { return Put(json(nullptr)) != nullptr; }
  bool boolean(bool value) { return Put(json(value)) != nullptr; }
  bool number_integer(json::number_integer_t value) { return Put(json(value)) != nullptr; }
  bool number_unsigned(json::number_unsigned_t value) { return Put(json(value)) != nullptr; }
  bool number_float(json::number_float_t value, const std::string& /*text*/) {
    return Put(json(value)) != nullptr;
  }
  bool string(std::string& value) { return Put(json(std::move(value))) != nullptr; }
  bool binary(json::binary_t& /*value*/) { return false; }  // not produced by JSON text

  bool start_object(std::size_t /*elements*/) { return Open(json::object()); }
  bool start_array(std::size_t /*elements*/) { return Open(json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(std::string& name) {
    json& object = *open_.back().container;
    if (object.contains(name)) {
      std::string path = CurrentPath();
      AppendJsonKey(&path, name);
      error_ = JsonBodyError{std::move(path), "duplicate key"};
      return false;
    }
    // Insert now, so the key has a stable address for paths; the value replaces the null.
    auto it = object.emplace(std::move(name), nullptr).first;
    pending_key_ = &it.key();
    pending_value_ = &it.value();
    return true;
  }

  template <class Exception>
  bool parse_error(std::size_t position, const std::string& /*last_token*/, const Exception& /*ex*/) {
    // `position` counts characters read including the offending one (and the end of input as one more).
    size_t offset = position == 0 ? 0 : position - 1;
    std::string where = CurrentPath();
    if (!open_.empty()) {
      if (open_.back().container->is_array()) {
        AppendJsonIndex(&where, open_.back().container->size());
      } else if (pending_key_ != nullptr) {
        AppendJsonKey(&where, *pending_key_);
      }
    }
    error_ = JsonBodyError{"", where.empty()
                                   ? absl::StrCat("malformed JSON at byte ", offset)
                                   : absl::StrCat("malformed JSON at byte ", offset, " (in ", where, ")")};
    return false;
  }

  absl::optional<JsonBodyError> TakeError() { return std::move(error_); }

 private:
  struct OpenContainer {
    json* container;
    const std::string* key;  // key of this container in its parent object, or null
    size_t index;            // index in its parent array
  };

  // Places a value at the current position and returns where it now lives.
  json* Put(json value) {
    if (open_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    json& parent = *open_.back().container;
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json* slot = pending_value_;
    *slot = std::move(value);
    pending_key_ = nullptr;
    pending_value_ = nullptr;
    return slot;
  }

  bool Open(json empty) {
    if (open_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      std::string path = CurrentPath();
      if (open_.back().container->is_array()) {
        AppendJsonIndex(&path, open_.back().container->size());
      } else if (pending_key_ != nullptr) {
        AppendJsonKey(&path, *pending_key_);
      }
      error_ = JsonBodyError{path, absl::StrCat("JSON nested deeper than ", kMaxJsonDepth, " levels")};
      return false;
    }
    OpenContainer entry{nullptr, nullptr, 0};
    if (!open_.empty()) {
      const json& parent = *open_.back().container;
      if (parent.is_array()) {
        entry.index = parent.size();
      } else {
        entry.key = pending_key_;
      }
    }
    entry.container = Put(std::move(empty));
    open_.push_back(entry);
    return true;
  }

  bool Close() {
    open_.pop_back();
    return true;
  }

  // The path of the innermost open container.
  std::string CurrentPath() const {
    std::string path;
    for (size_t i = 1; i < open_.size(); ++i) {
      if (open_[i].key != nullptr) {
        AppendJsonKey(&path, *open_[i].key);
      } else {
        AppendJsonIndex(&path, open_[i].index);
      }
    }
    return path;
  }

  json* root_;
  std::vector<OpenContainer> open_;
  const std::string* pending_key_ = nullptr;
  json* pending_value_ = nullptr;
  absl::optional<JsonBodyError> error_;
};

}  // namespace

absl::optional<JsonBodyError> ParseJsonBody(absl::string_view body, nlohmann::json* out) {
  *out = nullptr;
  BoundedDomBuilder builder(out);
  bool ok = false;
  try {
    ok = json::sax_parse(body.begin(), body.end(), &builder);
  } catch (const std::exception&) {
    // Only allocation failure can get here; report it without detail.
    return JsonBodyError{"", "request body could not be parsed"};
  }
  if (ok) return absl::nullopt;
  absl::optional<JsonBodyError> error = builder.TakeError();
  if (!error.has_value()) error = JsonBodyError{"", "malformed JSON"};
  *out = nullptr;
  return error;
}

}  // namespace tandem::gateway
