#ifndef TANDEM_SERVICES_GATEWAY_PATH_TEMPLATE_H_
#define TANDEM_SERVICES_GATEWAY_PATH_TEMPLATE_H_

#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::gateway {

// The most segments a template or a routable request path may have; longer request paths match nothing
// without being split further.
inline constexpr size_t kMaxPathSegments = 32;

// One path variable bound by a match: the variable's field path ("goal.id") and its percent-decoded value.
struct Binding {
  absl::string_view field_path;  // points into the PathTemplate, which outlives the match
  std::string value;
};
using Bindings = absl::InlinedVector<Binding, 4>;

// The raw (still percent-encoded) segments of a request path.
using PathSegments = absl::InlinedVector<absl::string_view, 8>;

// A parsed HTTP rule path such as `/v1/clients/{client_id}/goals/{goal.id}` or `/v1/notes/{note_id}:sign`:
// literal segments, `{field}` / `{a.b}` variables that each take one whole segment, and an optional `:verb`
// custom-method suffix on the last segment. Wildcards and `{field=pattern}` are not supported and are
// rejected, so every template has a fixed number of segments.
class PathTemplate {
 public:
  struct Segment {
    bool is_variable = false;
    std::string text;  // the literal, or the variable's field path
  };

  // INVALID_ARGUMENT with a message naming the problem and its position for a malformed template.
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  const std::string& text() const { return text_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const std::string& verb() const { return verb_; }  // custom verb without ':', empty when none
  size_t variable_count() const { return variable_count_; }

  // What two templates share when they collide: literals in place, `{}` for each variable, then `:verb`.
  // `/v1/goals/{goal_id}` and `/v1/goals/{name}` have the same shape.
  std::string Shape() const;

  // Matches a request path (no query string). Segments are compared after percent-decoding; an encoded `/`
  // (%2F) stays inside its segment, empty segments and malformed escapes never match. On success `bindings`
  // holds one entry per variable, in template order.
  bool Match(absl::string_view path, Bindings* bindings) const;

 private:
  std::string text_;
  std::vector<Segment> segments_;
  std::string verb_;
  size_t variable_count_ = 0;
};

// Splits `/a/b/c` into raw segments. False when the path does not start with '/', has an empty segment
// (`//`, a trailing '/') or more than kMaxPathSegments segments.
bool SplitPath(absl::string_view path, PathSegments* segments);

// Percent-decodes one path segment (`+` stays a plus). False on a malformed escape.
bool PercentDecode(absl::string_view raw, std::string* out);
bool IsValidPercentEncoding(absl::string_view raw);

// Splits a request target into path and query string (without the '?'); a fragment is dropped.
struct RequestTarget {
  absl::string_view path;
  absl::string_view query;
};
RequestTarget SplitRequestTarget(absl::string_view target);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_PATH_TEMPLATE_H_
