#ifndef TANDEM_SERVICES_GATEWAY_TRANSCODER_H_
#define TANDEM_SERVICES_GATEWAY_TRANSCODER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/gateway/path_template.h"
#include "services/gateway/route_table.h"

namespace tandem::gateway {

// Builds the gRPC request of `route` from one HTTP request: the JSON body first (the whole message for `*`,
// or the named field), then the path bindings (from RouteTable::Match), then the query string (see
// query_params.h). `request` must be an empty message of the route's input type.
//
// Errors are INVALID_ARGUMENT carrying a google.rpc.BadRequest with every violation found, each named by the
// JSON path of the offending value (`goal.milestones[2].title`) or the query parameter; malformed JSON is one
// violation with field "" and the byte offset where parsing stopped. No part of the body, and no parser
// message (those quote the body, which may be clinical text), is ever put in an error. A route without a body
// rejects a non-blank one; a blank body on a body route is an empty message. A value in the body for a field
// the path binds must equal the path's value.
absl::Status FillRequest(const Route& route, const Bindings& bindings, absl::string_view query_string,
                         absl::string_view body, google::protobuf::Message& request);

// The proto3 canonical JSON of a response: lowerCamel names, int64 kinds as strings, enums by name,
// Timestamp/Duration as strings. Primitive fields are always printed, defaults included (0, false, "", [] and
// the zero enum), so browser code sees a stable shape; unset message fields (and unset proto3 `optional`
// fields) are omitted, which keeps "absent" distinguishable from "empty". INTERNAL when the message cannot be
// printed.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& response);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_TRANSCODER_H_
