#include "common/service/authz_rule.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tandem::service {
namespace {

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool HoldsAnyOf(const auth::Principal& person, const std::vector<std::string>& roles) {
  return std::any_of(roles.begin(), roles.end(),
                     [&](const std::string& role) { return person.HasRole(role); });
}

const std::vector<std::string>& OnBehalfRoles(const RpcRule& rule) {
  return rule.on_behalf_of.empty() ? rule.roles : rule.on_behalf_of;
}

}  // namespace

absl::Status CheckRule(const RpcRule& rule, const auth::Principal& caller, absl::string_view clinic_id) {
  // Its callers are admitted by the credential in the request, never by a bearer token.
  if (rule.credential_in_request) {
    return absl::PermissionDeniedError("this method takes its credential in the request");
  }
  if (caller.IsService()) {
    if (!Contains(rule.services, caller.subject)) {
      return absl::PermissionDeniedError("this service may not call this method");
    }
    if (caller.end_user == nullptr) return absl::OkStatus();
    const auth::Principal& person = *caller.end_user;
    if (!HoldsAnyOf(person, OnBehalfRoles(rule))) {
      return absl::PermissionDeniedError("the end user's role may not call this method");
    }
    if (person.clinic_id.empty() || person.clinic_id != clinic_id) return absl::NotFoundError("not found");
    return absl::OkStatus();
  }
  if (!HoldsAnyOf(caller, rule.roles)) {
    return absl::PermissionDeniedError("this role may not call this method");
  }
  if (caller.clinic_id.empty() || caller.clinic_id != clinic_id) return absl::NotFoundError("not found");
  return absl::OkStatus();
}

std::string ActingRole(const RpcRule& rule, const auth::Principal& caller) {
  if (caller.IsService()) return auth::kRoleService;
  for (const std::string& role : rule.roles) {
    if (caller.HasRole(role)) return role;
  }
  // None admitted (a denial): the first in name order, so the same caller always reads the same.
  return caller.roles.empty() ? std::string() : *std::min_element(caller.roles.begin(), caller.roles.end());
}

AuthzTable::AuthzTable(absl::string_view service_full_name, absl::flat_hash_map<std::string, RpcRule> rules)
    : service_name_(service_full_name),
      service_(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name_)),
      rules_(std::move(rules)) {}

absl::Status AuthzTable::Validate() const {
  if (service_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("unknown service ", service_name_));
  }
  for (int i = 0; i < service_->method_count(); ++i) {
    const std::string& method = service_->method(i)->name();
    const RpcRule* rule = Find(method);
    if (rule == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(service_->full_name(), "/", method, " has no rule"));
    }
    if (rule->credential_in_request) {
      // A rule cannot both name bearer callers and ignore their tokens.
      if (!rule->roles.empty() || !rule->services.empty() || !rule->on_behalf_of.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            service_->full_name(), "/", method, " takes its credential in the request but names callers"));
      }
    } else if (rule->roles.empty() && rule->services.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(service_->full_name(), "/", method, " admits nobody"));
    }
    if (rule->action.empty() || rule->resource_type.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(service_->full_name(), "/", method, " has no audit action or resource type"));
    }
    for (const auto* roles : {&rule->roles, &rule->on_behalf_of}) {
      for (const std::string& role : *roles) {
        if (!auth::IsKnownRole(role) || role == auth::kRoleService) {
          return absl::FailedPreconditionError(
              absl::StrCat(service_->full_name(), "/", method, " names an unknown person role"));
        }
      }
    }
    for (const std::string& subject : rule->services) {
      if (subject.empty() || subject.find_first_not_of("abcdefghijklmnopqrstuvwxyz_-") != std::string::npos) {
        return absl::FailedPreconditionError(
            absl::StrCat(service_->full_name(), "/", method, " names a service that is not a service name"));
      }
    }
  }
  for (const auto& [method, rule] : rules_) {
    if (service_->FindMethodByName(method) == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(service_->full_name(), " has no method ", method));
    }
  }
  return absl::OkStatus();
}

const RpcRule* AuthzTable::Find(absl::string_view method) const {
  auto it = rules_.find(method);
  return it == rules_.end() ? nullptr : &it->second;
}

}  // namespace tandem::service
