#include "services/gateway/gateway_handler.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/grpc/call_context.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "services/gateway/http_errors.h"
#include "services/gateway/transcoder.h"
#include "tandem/api/v1/annotations.pb.h"

namespace tandem::gateway {

namespace http = boost::beast::http;

namespace {

struct GatewayMetrics {
  metrics::CounterFamily& requests = metrics::Registry::Default().AddCounter(
      "tandem_gateway_requests_total", "HTTP requests, by route template and status.", {"route", "status"});
  metrics::HistogramFamily& latency = metrics::Registry::Default().AddHistogram(
      "tandem_gateway_request_duration_seconds", "HTTP request latency, by route template.", {"route"});
  // Labelled by why, never by what was sent: the token itself must not reach a time series.
  metrics::CounterFamily& unauthenticated = metrics::Registry::Default().AddCounter(
      "tandem_gateway_unauthenticated_total",
      "Requests refused from their headers for a missing or invalid bearer token, before any body was read.",
      {"reason"});
};

GatewayMetrics& Metrics() {
  static GatewayMetrics* const kMetrics = new GatewayMetrics();
  return *kMetrics;
}

HttpResponse JsonResponse(http::status status, std::string body, const std::string& request_id) {
  HttpResponse response(status, 11);
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.set(kRequestIdHeader, request_id);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse ErrorResponse(const grpc::Status& status, const std::string& request_id) {
  int code = HttpStatusFor(status);
  HttpResponse response = JsonResponse(static_cast<http::status>(code), ErrorBody(status), request_id);
  if (code == 401) {
    response.set(http::field::www_authenticate, R"(Bearer realm="tandem", error="invalid_token")");
  }
  if (auto retry_after = RetryAfterSeconds(status); retry_after.has_value()) {
    response.set(http::field::retry_after, std::to_string(*retry_after));
  }
  return response;
}

// Reads a tandem.api.v1.HttpBody by reflection: the response may be a dynamic message of that type.
HttpResponse RawResponse(const google::protobuf::Message& body, const std::string& request_id) {
  const google::protobuf::Descriptor* type = body.GetDescriptor();
  const google::protobuf::FieldDescriptor* content_type =
      type->FindFieldByNumber(tandem::api::v1::HttpBody::kContentTypeFieldNumber);
  const google::protobuf::FieldDescriptor* data =
      type->FindFieldByNumber(tandem::api::v1::HttpBody::kDataFieldNumber);
  const google::protobuf::Reflection* reflection = body.GetReflection();
  HttpResponse response(http::status::ok, 11);
  response.set(http::field::content_type,
               SafeContentType(content_type == nullptr ? absl::string_view()
                                                       : reflection->GetString(body, content_type)));
  // The type came from a backend: browsers must not guess another (text/html) from the bytes.
  response.set("X-Content-Type-Options", "nosniff");
  response.set(http::field::cache_control, "no-store");
  response.set(kRequestIdHeader, request_id);
  if (data != nullptr) response.body() = reflection->GetString(body, data);
  response.prepare_payload();
  return response;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

// Consumes an RFC 9110 token from the front of `text`; false when none is there.
bool ConsumeToken(absl::string_view& text) {
  size_t length = 0;
  while (length < text.size() && IsTokenChar(text[length])) ++length;
  text.remove_prefix(length);
  return length > 0;
}

// Consumes an RFC 9110 quoted-string (ASCII only) from the front of `text`.
bool ConsumeQuotedString(absl::string_view& text) {
  if (!absl::ConsumePrefix(&text, "\"")) return false;
  while (!text.empty()) {
    char c = text.front();
    text.remove_prefix(1);
    if (c == '"') return true;
    if (c == '\\') {
      if (text.empty()) return false;
      c = text.front();
      text.remove_prefix(1);
      if (c != '\t' && (c < 0x20 || c > 0x7e)) return false;
    } else if (c != '\t' && (c < 0x20 || c > 0x7e)) {
      return false;
    }
  }
  return false;
}

void SkipOptionalWhitespace(absl::string_view& text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
}

std::string TokenFrom(const HttpRequestHeader& request) {
  auto header = request.find(http::field::authorization);
  if (header == request.end()) return "";
  absl::string_view value(header->value().data(), header->value().size());
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) return "";
  return std::string(absl::StripAsciiWhitespace(value.substr(7)));
}

// The caller's x-request-id when it is safe to log and forward, otherwise a new one.
std::string RequestIdOf(const HttpRequestHeader& request) {
  if (auto header = request.find(kRequestIdHeader); header != request.end()) {
    absl::string_view value(header->value().data(), header->value().size());
    if (IsSafeRequestId(value)) return std::string(value);
  }
  return NewUuidV7();
}

HttpResponse NoRouteResponse(const Lookup& lookup, const std::string& request_id) {
  const bool not_found = lookup.allowed_verbs.empty();
  HttpResponse response = JsonResponse(
      not_found ? http::status::not_found : http::status::method_not_allowed,
      nlohmann::json({{"code", not_found ? 5 : 12},
                      {"status", not_found ? "NOT_FOUND" : "UNIMPLEMENTED"},
                      {"message", not_found ? "no such route" : "method not allowed for this route"},
                      {"details", nlohmann::json::array()}})
          .dump(),
      request_id);
  if (!not_found) response.set(http::field::allow, lookup.AllowHeader());
  Metrics()
      .requests.WithLabels({not_found ? "unmatched" : "method_not_allowed", not_found ? "404" : "405"})
      .Increment();
  return response;
}

}  // namespace

absl::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value) {
  if (value.size() < 2 || value.size() > 9) return absl::nullopt;
  int64_t amount = 0;
  if (!absl::SimpleAtoi(value.substr(0, value.size() - 1), &amount) || amount < 0) return absl::nullopt;
  switch (value.back()) {
    case 'H':
      return absl::Hours(amount);
    case 'M':
      return absl::Minutes(amount);
    case 'S':
      return absl::Seconds(amount);
    case 'm':
      return absl::Milliseconds(amount);
    case 'u':
      return absl::Microseconds(amount);
    case 'n':
      return absl::Nanoseconds(amount);
    default:
      return absl::nullopt;
  }
}

std::string SafeContentType(absl::string_view value) {
  constexpr size_t kMaxLength = 127;
  constexpr char kFallback[] = "application/octet-stream";
  if (value.size() > kMaxLength) return kFallback;
  absl::string_view rest = value;
  if (!ConsumeToken(rest) || !absl::ConsumePrefix(&rest, "/") || !ConsumeToken(rest)) return kFallback;
  while (true) {
    SkipOptionalWhitespace(rest);
    if (rest.empty()) break;
    if (!absl::ConsumePrefix(&rest, ";")) return kFallback;
    SkipOptionalWhitespace(rest);
    if (!ConsumeToken(rest) || !absl::ConsumePrefix(&rest, "=")) return kFallback;
    if (!ConsumeToken(rest) && !ConsumeQuotedString(rest)) return kFallback;
  }
  return std::string(value);
}

GatewayHandler::GatewayHandler(const RouteTable& routes, GrpcForwarder& forwarder,
                               const auth::JwtVerifier& verifier, std::string openapi_json,
                               GatewayOptions options)
    : routes_(routes),
      forwarder_(forwarder),
      verifier_(verifier),
      openapi_json_(std::move(openapi_json)),
      options_(options) {}

bool GatewayHandler::IsPublic(const HttpRequestHeader& request, absl::string_view path) {
  return request.method() == http::verb::get && (path == "/healthz" || path == "/openapi.json");
}

bool GatewayHandler::HandlePublic(const HttpRequest& request, absl::string_view path,
                                  const std::string& request_id, Respond& respond) {
  if (!IsPublic(request, path)) return false;
  // Liveness only (the process answers HTTP), for whatever fronts this port; readiness, which costs backend
  // calls, is on the admin port.
  if (path == "/healthz") {
    respond(JsonResponse(http::status::ok, R"({"status":"ok"})", request_id));
  } else {
    respond(JsonResponse(http::status::ok, openapi_json_, request_id));
  }
  return true;
}

std::optional<HttpResponse> GatewayHandler::Screen(const HttpRequestHeader& request) {
  absl::string_view target(request.target().data(), request.target().size());
  absl::string_view path = target.substr(0, target.find('?'));
  if (IsPublic(request, path)) return std::nullopt;
  std::string route_label = "/v1/session";
  if (path != "/v1/session" || request.method() != http::verb::get) {
    absl::string_view verb(request.method_string().data(), request.method_string().size());
    Lookup lookup = routes_.Match(verb, path);
    // Nothing to call: answered now, so an unknown path is no way to make the gateway read a body either.
    if (lookup.route == nullptr) return NoRouteResponse(lookup, RequestIdOf(request));
    // The credential of a path-token route is a path variable its service verifies.
    if (!lookup.route->path_token.empty()) return std::nullopt;
    route_label = lookup.route->template_text();
  }
  // The verifier remembers verified tokens, so checking here and again in Handle costs one signature check.
  std::string token = TokenFrom(request);
  absl::Status authenticated = VerifyPerson(token).status();
  if (authenticated.ok()) return std::nullopt;
  Metrics().unauthenticated.WithLabels({token.empty() ? "missing" : "invalid"}).Increment();
  Metrics().requests.WithLabels({route_label, "401"}).Increment();
  return ErrorResponse(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(authenticated.message())),
                       RequestIdOf(request));
}

absl::StatusOr<auth::Principal> GatewayHandler::VerifyPerson(const std::string& token) const {
  if (token.empty()) return absl::UnauthenticatedError("missing bearer token");
  ASSIGN_OR_RETURN(auth::Principal principal, verifier_.Verify(token));
  // Service identities come from inside the cluster; the public door admits people only.
  if (principal.IsService()) return absl::UnauthenticatedError("service tokens are not accepted here");
  return principal;
}

void GatewayHandler::HandleSession(const HttpRequest& request, const std::string& request_id,
                                   Respond& respond) {
  std::string token = TokenFrom(request);
  absl::StatusOr<auth::Principal> principal = VerifyPerson(token);
  if (!principal.ok()) {
    respond(ErrorResponse(
        grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(principal.status().message())),
        request_id));
    return;
  }
  std::vector<std::string> roles(principal->roles.begin(), principal->roles.end());
  std::sort(roles.begin(), roles.end());
  nlohmann::json body = {
      {"subject", principal->subject},
      {"clinicId", principal->clinic_id},
      {"roles", roles},
      {"expiresAt", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", principal->expires_at, absl::UTCTimeZone())}};
  respond(JsonResponse(http::status::ok, body.dump(), request_id));
}

void GatewayHandler::Handle(HttpRequest request, std::string /*peer_address*/, Respond respond) {
  const absl::Time start = absl::Now();
  const std::string request_id = RequestIdOf(request);

  absl::string_view target(request.target().data(), request.target().size());
  size_t query_start = target.find('?');
  absl::string_view path = target.substr(0, query_start);
  absl::string_view query = query_start == absl::string_view::npos ? "" : target.substr(query_start + 1);

  if (HandlePublic(request, path, request_id, respond)) return;

  if (path == "/v1/session" && request.method() == http::verb::get) {
    HandleSession(request, request_id, respond);
    return;
  }

  absl::string_view verb(request.method_string().data(), request.method_string().size());
  Lookup lookup = routes_.Match(verb, path);
  if (lookup.route == nullptr) {
    respond(NoRouteResponse(lookup, request_id));
    return;
  }
  const Route& route = *lookup.route;
  const std::string& route_label = route.template_text();
  auto finish = [respond, route_label, start, request_id](HttpResponse response) mutable {
    int code = static_cast<int>(response.result_int());
    double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    Metrics().requests.WithLabels({route_label, std::to_string(code)}).Increment();
    Metrics().latency.WithLabels({route_label}).Observe(seconds);
    log::Info("http", {{"request_id", request_id},
                       {"route", route_label},
                       {"status", code},
                       {"latency_ms", seconds * 1000.0}});
    respond(std::move(response));
  };

  std::vector<std::pair<std::string, std::string>> metadata = {{kRequestIdHeader, request_id}};
  // Authenticate before anything reaches a backend. A path-token route's credential is a request field the
  // service verifies; a bearer header sent to it anyway is ignored, so it never reaches that service.
  if (route.path_token.empty()) {
    std::string token = TokenFrom(request);
    absl::Status authenticated = VerifyPerson(token).status();
    if (!authenticated.ok()) {
      finish(ErrorResponse(
          grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(authenticated.message())), request_id));
      return;
    }
    metadata.emplace_back("authorization", "Bearer " + token);
  }

  std::unique_ptr<google::protobuf::Message> message(route.request_prototype->New());
  absl::Status filled = FillRequest(route, lookup.bindings, query, request.body(), *message);
  if (!filled.ok()) {
    finish(ErrorResponse(ToGrpcStatus(filled), request_id));
    return;
  }

  absl::Duration timeout = options_.default_timeout;
  if (auto header = request.find("grpc-timeout"); header != request.end()) {
    auto parsed = ParseGrpcTimeout(absl::string_view(header->value().data(), header->value().size()));
    if (!parsed.has_value()) {
      finish(ErrorResponse(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed grpc-timeout header"),
                           request_id));
      return;
    }
    timeout = std::min(*parsed, options_.max_timeout);
  }

  auto answer = [finish, request_id, raw = route.raw_response](
                    const grpc::Status& status, std::unique_ptr<google::protobuf::Message> response) mutable {
    if (!status.ok()) {
      finish(ErrorResponse(status, request_id));
      return;
    }
    if (raw) {
      finish(RawResponse(*response, request_id));
      return;
    }
    absl::StatusOr<std::string> json = ToJson(*response);
    if (!json.ok()) {
      finish(ErrorResponse(grpc::Status(grpc::StatusCode::INTERNAL, "cannot encode response"), request_id));
      return;
    }
    finish(JsonResponse(http::status::ok, *std::move(json), request_id));
  };
  forwarder_.Call(*route.method, *message, std::move(metadata), absl::ToChronoTime(absl::Now() + timeout),
                  std::move(answer));
}

}  // namespace tandem::gateway
