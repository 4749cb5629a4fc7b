#ifndef TANDEM_SERVICES_GATEWAY_QUERY_PARAMS_H_
#define TANDEM_SERVICES_GATEWAY_QUERY_PARAMS_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/gateway/route_table.h"
#include "services/gateway/violation_list.h"

namespace tandem::gateway {

// Applies a query string (`page_size=20&tag=a&tag=b&filter.kind=GATEWAY_TEST_KIND_ALPHA`) to a request.
//
// Each parameter names a field path in proto names or lowerCamel JSON names; intermediate fields must be
// singular messages. The last field is a scalar (an enum by name or number, a bool as true/false, bytes as
// base64) or a well-known type with a text form (Timestamp, Duration, FieldMask, wrappers); a repeated field
// takes one value per repetition, a singular field at most one. `+` decodes to a space.
//
// Violations (named by the parameter, never quoting its value): an unknown parameter, a field marked
// (tandem.api.v1.sensitive) or inside one, a field the path binds or the body sets (every field, for a `*`
// body), a map or message field, a malformed value or escape.
void ApplyQueryParameters(const Route& route, absl::string_view query, google::protobuf::Message& request,
                          ViolationList& violations);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_QUERY_PARAMS_H_
