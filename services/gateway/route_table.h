#ifndef TANDEM_SERVICES_GATEWAY_ROUTE_TABLE_H_
#define TANDEM_SERVICES_GATEWAY_ROUTE_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "services/gateway/path_template.h"

namespace tandem::gateway {

enum class HttpVerb { kGet = 0, kPut, kPost, kDelete, kPatch };
inline constexpr size_t kHttpVerbCount = 5;

// "GET", "PUT", ... for a verb; the verb for an (upper-case, as HTTP requires) method name.
absl::string_view HttpVerbName(HttpVerb verb);
absl::optional<HttpVerb> ParseHttpVerb(absl::string_view method);

// A chain of fields from the request message down to one field: `goal.id` is {goal, id}.
using FieldPath = absl::InlinedVector<const google::protobuf::FieldDescriptor*, 2>;

// One RPC reachable over HTTP, built from its `tandem.api.v1.http` rule. Every field the rule names was
// checked against the request message when the table was built, so transcoding never meets an unknown name.
struct Route {
  HttpVerb verb = HttpVerb::kGet;
  PathTemplate path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_path;  // "/tandem.notes.v1.NotesService/GetNote"
  std::string body;       // "", "*" or the name of the request field the body fills
  // The path variable that carries the caller's credential (GET only), or "". Such a route takes no bearer
  // header: the service verifies the credential from the request field.
  std::string path_token;
  // The response is a tandem.api.v1.HttpBody, written to HTTP as its own content rather than as JSON.
  bool raw_response = false;

  // Resolved at build time: one field path per template variable, in template order, and the body field when
  // `body` names one.
  std::vector<FieldPath> variable_fields;
  const google::protobuf::FieldDescriptor* body_field = nullptr;

  // Empty messages of the method's types, owned by the table: `request_prototype->New()` makes the message to
  // fill. Generated classes when the descriptors come from the generated pool, dynamic messages otherwise.
  const google::protobuf::Message* request_prototype = nullptr;
  const google::protobuf::Message* response_prototype = nullptr;

  absl::string_view verb_name() const { return HttpVerbName(verb); }
  const std::string& template_text() const { return path.text(); }
};

// The result of matching one request. Exactly one of three outcomes:
//  - `route` set: call it with `bindings` (field path -> percent-decoded value, in template order);
//  - `route` null, `allowed_verbs` non-empty: the path exists for other verbs only (405 with Allow);
//  - both empty: no such path (404).
struct Lookup {
  const Route* route = nullptr;
  Bindings bindings;
  absl::InlinedVector<absl::string_view, kHttpVerbCount> allowed_verbs;

  // "GET, PATCH": the value of an Allow header.
  std::string AllowHeader() const;
};

// Every HTTP route of the configured services, built once at start-up from their descriptors (adding an RPC
// with a rule adds its route, with no gateway code). Matching walks a tree of path segments, so it costs a
// few hash lookups per segment whatever the number of routes, and it allocates only for the bound values.
// Among the routes for the request's verb, when a literal and a variable could both take a segment the
// literal wins (GET `/goals/search` before `/goals/{goal_id}`); a verb the literal route lacks falls back to
// the variable route (DELETE `/goals/search` is DeleteGoal with goal_id "search"). A last segment `x:verb` is
// read as a custom verb first, then as a plain value. Immutable after Build; safe to share between threads.
class RouteTable {
 public:
  // Reads every method's http rule; methods without one are not routed. Fails (INVALID_ARGUMENT, naming the
  // method) on a malformed template, a path variable or body field missing from the request message, a path
  // variable through a field marked (tandem.api.v1.sensitive), a body on GET or DELETE, a path_token on a
  // route other than GET or naming no variable of its template, and on two rules that collide (same verb and
  // shape; the message names both methods).
  static absl::StatusOr<RouteTable> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;
  ~RouteTable();

  // `verb` is the request method as sent ("GET"); `path` excludes the query string.
  Lookup Match(absl::string_view verb, absl::string_view path) const;

  // Routes in the order the services and methods were given.
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }
  // The route of a method by full name ("tandem.testing.v1.GatewayTestService.GetGoal"), or null.
  const Route* FindByMethod(absl::string_view method_full_name) const;

  struct Node;  // one position in the segment tree (defined in route_table.cc)

 private:
  RouteTable();
  const google::protobuf::Message* PrototypeOf(const google::protobuf::Descriptor& type);

  std::vector<std::unique_ptr<Route>> routes_;
  std::unique_ptr<Node> root_;
  // Makes prototypes for descriptors outside the generated pool.
  std::unique_ptr<google::protobuf::DynamicMessageFactory> dynamic_factory_;
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_ROUTE_TABLE_H_
