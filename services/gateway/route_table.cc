#include "services/gateway/route_table.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "tandem/api/v1/annotations.pb.h"

namespace tandem::gateway {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

struct RouteTable::Node {
  // The routes that end at this node, per custom verb ("" for none), indexed by HttpVerb.
  struct Terminal {
    std::string custom_verb;
    std::array<const Route*, kHttpVerbCount> routes{};
  };

  absl::flat_hash_map<std::string, std::unique_ptr<Node>> literals;
  std::unique_ptr<Node> variable;
  absl::InlinedVector<Terminal, 1> terminals;
};

namespace {

constexpr std::array<absl::string_view, kHttpVerbCount> kVerbNames = {"GET", "PUT", "POST", "DELETE",
                                                                      "PATCH"};

absl::Status RuleError(const MethodDescriptor& method, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("http rule of ", method.full_name(), ": ", problem));
}

// Resolves a template variable (`goal.id`) to its chain of fields: every step but the last a singular
// message, the last a singular scalar, since one path segment can only carry one scalar value.
absl::StatusOr<FieldPath> ResolveVariable(const MethodDescriptor& method, absl::string_view field_path) {
  FieldPath chain;
  const Descriptor* message = method.input_type();
  std::vector<absl::string_view> names = absl::StrSplit(field_path, '.');
  for (size_t i = 0; i < names.size(); ++i) {
    const FieldDescriptor* field = message->FindFieldByName(std::string(names[i]));
    if (field == nullptr) {
      return RuleError(method, absl::StrCat("path variable {", field_path, "}: ", message->full_name(),
                                            " has no field \"", names[i], "\""));
    }
    if (field->is_repeated()) {
      return RuleError(method,
                       absl::StrCat("path variable {", field_path, "}: \"", names[i], "\" is repeated"));
    }
    // URLs are kept by proxies, access logs and browser history: clinical text must travel in a body.
    if (field->options().GetExtension(tandem::api::v1::sensitive)) {
      return RuleError(method,
                       absl::StrCat("path variable {", field_path, "}: \"", names[i],
                                    "\" is marked (tandem.api.v1.sensitive) and cannot be put in a URL; "
                                    "send it in the request body"));
    }
    chain.push_back(field);
    bool last = i + 1 == names.size();
    if (!last) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return RuleError(
            method, absl::StrCat("path variable {", field_path, "}: \"", names[i], "\" is not a message"));
      }
      message = field->message_type();
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return RuleError(method, absl::StrCat("path variable {", field_path, "} must name a scalar field"));
    }
  }
  return chain;
}

absl::StatusOr<std::unique_ptr<Route>> BuildRoute(const MethodDescriptor& method,
                                                  const tandem::api::v1::HttpRule& rule) {
  auto route = std::make_unique<Route>();
  route->method = &method;
  route->grpc_path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  route->body = rule.body();
  std::string template_text;
  switch (rule.pattern_case()) {
    case tandem::api::v1::HttpRule::kGet:
      route->verb = HttpVerb::kGet;
      template_text = rule.get();
      break;
    case tandem::api::v1::HttpRule::kPut:
      route->verb = HttpVerb::kPut;
      template_text = rule.put();
      break;
    case tandem::api::v1::HttpRule::kPost:
      route->verb = HttpVerb::kPost;
      template_text = rule.post();
      break;
    case tandem::api::v1::HttpRule::kDelete:
      route->verb = HttpVerb::kDelete;
      template_text = rule.delete_();
      break;
    case tandem::api::v1::HttpRule::kPatch:
      route->verb = HttpVerb::kPatch;
      template_text = rule.patch();
      break;
    case tandem::api::v1::HttpRule::PATTERN_NOT_SET:
      return RuleError(method, "names no verb and path (get, put, post, delete or patch)");
  }
  auto parsed = PathTemplate::Parse(template_text);
  if (!parsed.ok()) return RuleError(method, parsed.status().message());
  route->path = *std::move(parsed);

  for (const PathTemplate::Segment& segment : route->path.segments()) {
    if (!segment.is_variable) continue;
    ASSIGN_OR_RETURN(FieldPath chain, ResolveVariable(method, segment.text));
    route->variable_fields.push_back(std::move(chain));
  }

  route->path_token = rule.path_token();
  if (!route->path_token.empty()) {
    // URLs leak (proxy logs, history, Referer), so a credential in one may only grant reads; writes keep
    // needing a bearer token.
    if (route->verb != HttpVerb::kGet) {
      return RuleError(method,
                       absl::StrCat("path_token is allowed on GET routes only, not on ", route->verb_name()));
    }
    const auto& segments = route->path.segments();
    if (std::none_of(segments.begin(), segments.end(), [&](const PathTemplate::Segment& segment) {
          return segment.is_variable && segment.text == route->path_token;
        })) {
      return RuleError(method, absl::StrCat("path_token \"", route->path_token, "\" names no variable of ",
                                            template_text));
    }
  }
  // By name, not by descriptor: a pool built at run time has its own copy of the type.
  route->raw_response =
      method.output_type()->full_name() == tandem::api::v1::HttpBody::descriptor()->full_name();

  if (!route->body.empty()) {
    if (route->verb == HttpVerb::kGet || route->verb == HttpVerb::kDelete) {
      return RuleError(method, absl::StrCat(route->verb_name(), " routes take no body"));
    }
    if (route->body != "*") {
      route->body_field = method.input_type()->FindFieldByName(route->body);
      if (route->body_field == nullptr) {
        return RuleError(method, absl::StrCat("body field \"", route->body, "\" is not a top-level field of ",
                                              method.input_type()->full_name()));
      }
      for (const FieldPath& chain : route->variable_fields) {
        if (chain.size() == 1 && chain[0] == route->body_field) {
          return RuleError(method,
                           absl::StrCat("body field \"", route->body, "\" is also bound by the path"));
        }
      }
    }
  }
  return route;
}

void AddToTree(RouteTable::Node& root, const Route& route) {
  RouteTable::Node* node = &root;
  for (const PathTemplate::Segment& segment : route.path.segments()) {
    std::unique_ptr<RouteTable::Node>& child =
        segment.is_variable ? node->variable : node->literals[segment.text];
    if (child == nullptr) child = std::make_unique<RouteTable::Node>();
    node = child.get();
  }
  for (auto& terminal : node->terminals) {
    if (terminal.custom_verb == route.path.verb()) {
      terminal.routes[static_cast<size_t>(route.verb)] = &route;
      return;
    }
  }
  RouteTable::Node::Terminal terminal;
  terminal.custom_verb = route.path.verb();
  terminal.routes[static_cast<size_t>(route.verb)] = &route;
  node->terminals.push_back(std::move(terminal));
}

// Depth-first over the tree, literal before variable. Returns the route for `verb` when one matches;
// otherwise records in `allowed` (one bit per HttpVerb) the verbs of routes whose path matched.
const Route* Walk(const RouteTable::Node& node, const PathSegments& segments, size_t index,
                  absl::string_view custom_verb, const absl::optional<HttpVerb>& verb, unsigned* allowed) {
  if (index == segments.size()) {
    for (const auto& terminal : node.terminals) {
      if (terminal.custom_verb != custom_verb) continue;
      if (verb.has_value() && terminal.routes[static_cast<size_t>(*verb)] != nullptr) {
        return terminal.routes[static_cast<size_t>(*verb)];
      }
      for (size_t v = 0; v < kHttpVerbCount; ++v) {
        if (terminal.routes[v] != nullptr) *allowed |= 1u << v;
      }
    }
    return nullptr;
  }
  absl::string_view raw = segments[index];
  if (!node.literals.empty()) {
    decltype(node.literals)::const_iterator it;
    if (raw.find('%') == absl::string_view::npos) {
      it = node.literals.find(raw);
    } else {
      std::string decoded;
      it = PercentDecode(raw, &decoded) ? node.literals.find(decoded) : node.literals.end();
    }
    if (it != node.literals.end()) {
      if (const Route* route = Walk(*it->second, segments, index + 1, custom_verb, verb, allowed)) {
        return route;
      }
    }
  }
  if (node.variable != nullptr && IsValidPercentEncoding(raw)) {
    return Walk(*node.variable, segments, index + 1, custom_verb, verb, allowed);
  }
  return nullptr;
}

void Bind(const Route& route, const PathSegments& segments, Bindings* bindings) {
  const auto& template_segments = route.path.segments();
  for (size_t i = 0; i < template_segments.size(); ++i) {
    if (!template_segments[i].is_variable) continue;
    Binding binding;
    binding.field_path = template_segments[i].text;
    PercentDecode(segments[i], &binding.value);  // validated during the walk
    bindings->push_back(std::move(binding));
  }
}

}  // namespace

absl::string_view HttpVerbName(HttpVerb verb) { return kVerbNames[static_cast<size_t>(verb)]; }

absl::optional<HttpVerb> ParseHttpVerb(absl::string_view method) {
  for (size_t v = 0; v < kHttpVerbCount; ++v) {
    if (kVerbNames[v] == method) return static_cast<HttpVerb>(v);
  }
  return absl::nullopt;
}

std::string Lookup::AllowHeader() const { return absl::StrJoin(allowed_verbs, ", "); }

RouteTable::RouteTable() : root_(std::make_unique<Node>()) {}
RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

absl::StatusOr<RouteTable> RouteTable::Build(const std::vector<const ServiceDescriptor*>& services) {
  RouteTable table;
  absl::flat_hash_set<const ServiceDescriptor*> seen_services;
  absl::flat_hash_map<std::string, const Route*> by_shape;  // "GET /v1/goals/{}" -> route
  for (const ServiceDescriptor* service : services) {
    if (service == nullptr || !seen_services.insert(service).second) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      if (!method.options().HasExtension(tandem::api::v1::http)) continue;
      if (method.client_streaming() || method.server_streaming()) {
        return RuleError(method, "streaming methods cannot be routed over HTTP/JSON");
      }
      ASSIGN_OR_RETURN(std::unique_ptr<Route> route,
                       BuildRoute(method, method.options().GetExtension(tandem::api::v1::http)));
      std::string shape = absl::StrCat(route->verb_name(), " ", route->path.Shape());
      auto [it, inserted] = by_shape.emplace(shape, route.get());
      if (!inserted) {
        const Route& other = *it->second;
        return absl::InvalidArgumentError(
            absl::StrCat("http rules collide: ", other.verb_name(), " ", other.template_text(), " of ",
                         other.method->full_name(), " and ", route->verb_name(), " ", route->template_text(),
                         " of ", method.full_name()));
      }
      route->request_prototype = table.PrototypeOf(*method.input_type());
      route->response_prototype = table.PrototypeOf(*method.output_type());
      AddToTree(*table.root_, *route);
      table.routes_.push_back(std::move(route));
    }
  }
  return table;
}

Lookup RouteTable::Match(absl::string_view verb_name, absl::string_view path) const {
  Lookup lookup;
  PathSegments segments;
  if (!SplitPath(path, &segments)) return lookup;
  absl::optional<HttpVerb> verb = ParseHttpVerb(verb_name);
  unsigned allowed = 0;

  // A last segment `x:verb` may end in a custom verb; that reading is tried first, then the plain one (where
  // a variable may take the colon as part of its value).
  absl::string_view last = segments.back();
  size_t colon = last.rfind(':');
  if (colon != absl::string_view::npos && colon > 0 && colon + 1 < last.size()) {
    PathSegments split = segments;
    split.back() = last.substr(0, colon);
    if (const Route* route = Walk(*root_, split, 0, last.substr(colon + 1), verb, &allowed)) {
      lookup.route = route;
      Bind(*route, split, &lookup.bindings);
      return lookup;
    }
  }
  if (const Route* route = Walk(*root_, segments, 0, absl::string_view(), verb, &allowed)) {
    lookup.route = route;
    Bind(*route, segments, &lookup.bindings);
    return lookup;
  }
  for (size_t v = 0; v < kHttpVerbCount; ++v) {
    if (allowed & (1u << v)) lookup.allowed_verbs.push_back(kVerbNames[v]);
  }
  return lookup;
}

const google::protobuf::Message* RouteTable::PrototypeOf(const Descriptor& type) {
  if (type.file()->pool() == google::protobuf::DescriptorPool::generated_pool()) {
    return google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type);
  }
  if (dynamic_factory_ == nullptr) {
    dynamic_factory_ = std::make_unique<google::protobuf::DynamicMessageFactory>();
  }
  return dynamic_factory_->GetPrototype(&type);
}

const Route* RouteTable::FindByMethod(absl::string_view method_full_name) const {
  for (const auto& route : routes_) {
    if (route->method->full_name() == method_full_name) return route.get();
  }
  return nullptr;
}

}  // namespace tandem::gateway
