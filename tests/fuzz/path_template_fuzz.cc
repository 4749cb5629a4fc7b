// libFuzzer target: arbitrary path templates and request paths must never crash parsing or matching, and a
// match must bind exactly one value per variable.
//
// Input: `<template>\n<verb>\n<request target>`.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/path_template.h"
#include "services/gateway/route_table.h"
#include "tandem/testing/v1/gateway_test.pb.h"

namespace {

const tandem::gateway::RouteTable& Table() {
  static const tandem::gateway::RouteTable* const kTable = [] {
    const auto* file = tandem::testing::v1::GatewayTestGoal::descriptor()->file();
    auto table = tandem::gateway::RouteTable::Build({file->FindServiceByName("GatewayTestService")});
    if (!table.ok()) __builtin_trap();
    return new tandem::gateway::RouteTable(*std::move(table));
  }();
  return *kTable;
}

absl::string_view NextLine(absl::string_view& input) {
  size_t newline = input.find('\n');
  absl::string_view line = input.substr(0, newline);
  input.remove_prefix(newline == absl::string_view::npos ? input.size() : newline + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::string_view template_text = NextLine(input);
  absl::string_view verb = NextLine(input);
  tandem::gateway::RequestTarget target = tandem::gateway::SplitRequestTarget(input);

  auto parsed = tandem::gateway::PathTemplate::Parse(template_text);
  if (parsed.ok()) {
    // A parsed template re-parses from its own text to the same shape.
    auto again = tandem::gateway::PathTemplate::Parse(parsed->text());
    if (!again.ok() || again->Shape() != parsed->Shape()) __builtin_trap();
    tandem::gateway::Bindings bindings;
    if (parsed->Match(target.path, &bindings) && bindings.size() != parsed->variable_count())
      __builtin_trap();
  }

  tandem::gateway::Lookup lookup = Table().Match(verb, target.path);
  if (lookup.route != nullptr) {
    if (lookup.bindings.size() != lookup.route->variable_fields.size()) __builtin_trap();
    if (!lookup.allowed_verbs.empty()) __builtin_trap();
    // The route's own template agrees that the path is its own (the custom verb aside).
    if (lookup.route->path.verb().empty()) {
      tandem::gateway::Bindings bindings;
      if (!lookup.route->path.Match(target.path, &bindings)) __builtin_trap();
    }
  }
  return 0;
}
