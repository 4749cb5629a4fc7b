#ifndef TANDEM_SERVICES_GATEWAY_OPENAPI_H_
#define TANDEM_SERVICES_GATEWAY_OPENAPI_H_

#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/route_table.h"

namespace tandem::gateway {

// An OpenAPI 3.0 JSON document for every route of `table`, generated from the same descriptors the routes
// come from, so it cannot drift from what the gateway accepts:
//  - one operation per route (operationId from the method's full name), path variables as `{field.path}` path
//    parameters, the request fields neither bound by the path nor in the body as query parameters (by JSON
//    name, nested ones dotted), the body's schema for body routes, the response message for 200 and the error
//    body (components/schemas/tandem.gateway.Error) for 4XX and 5XX;
//  - a schema in components for every message and enum reachable (by full name, recursion through $ref), with
//    the proto3 JSON mapping: enums as string enums, 64-bit integers as strings, Timestamp as a date-time
//    string, wrappers as nullable scalars;
//  - fields marked `(tandem.api.v1.sensitive)` carry `x-tandem-sensitive: true`;
//  - a tandem.api.v1.HttpBody response as `*/*` content of `type: string, format: binary` (its media type is
//    chosen at run time);
//  - a bearer (JWT) security scheme required by every operation (the server's public endpoints are not
//    routes), except those with a path_token: `security: []`, their token variable described as a
//    credential (`x-tandem-credential: true`).
std::string OpenApiDocument(const RouteTable& table, absl::string_view title);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_OPENAPI_H_
