// The pure authorization decision and the table's completeness check, case by case.
#include "common/service/authz_rule.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tandem/testing/v1/echo.grpc.pb.h"

namespace tandem::service {
namespace {

auth::Principal Person(const std::string& role, const std::string& clinic = "c1") {
  auth::Principal p;
  p.subject = "u1";
  p.clinic_id = clinic;
  p.roles = {role};
  return p;
}

auth::Principal Service(const std::string& subject, const auth::Principal* end_user = nullptr) {
  auth::Principal p;
  p.subject = subject;
  p.roles = {auth::kRoleService};
  if (end_user != nullptr) p.end_user = std::make_shared<const auth::Principal>(*end_user);
  return p;
}

const RpcRule kRule{{"clinician", "admin"}, {"scheduling"}, {"client", "clinician"}, "thing.read", "thing"};

TEST(CheckRuleTest, EveryKindOfCaller) {
  const auth::Principal client = Person("client");
  const auth::Principal other_clinic_client = Person("client", "c2");
  const auth::Principal front_desk = Person("front_desk");
  struct Case {
    const char* name;
    auth::Principal caller;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"clinician in own clinic", Person("clinician"), absl::StatusCode::kOk},
      {"admin in own clinic", Person("admin"), absl::StatusCode::kOk},
      {"clinician of another clinic", Person("clinician", "c2"), absl::StatusCode::kNotFound},
      {"front desk", Person("front_desk"), absl::StatusCode::kPermissionDenied},
      {"client directly", Person("client"), absl::StatusCode::kPermissionDenied},
      {"person without clinic", Person("clinician", ""), absl::StatusCode::kNotFound},
      {"listed service alone", Service("scheduling"), absl::StatusCode::kOk},
      {"unlisted service", Service("notes"), absl::StatusCode::kPermissionDenied},
      {"listed service for a client", Service("scheduling", &client), absl::StatusCode::kOk},
      {"listed service for front desk", Service("scheduling", &front_desk),
       absl::StatusCode::kPermissionDenied},
      {"listed service for another clinic", Service("scheduling", &other_clinic_client),
       absl::StatusCode::kNotFound},
      {"unlisted service for a client", Service("notes", &client), absl::StatusCode::kPermissionDenied},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CheckRule(kRule, c.caller, "c1").code(), c.code) << c.name;
  }
}

TEST(CheckRuleTest, AnEmptyRuleAdmitsNobody) {
  const RpcRule nobody{{}, {}, {}, "x.y", "x"};
  EXPECT_EQ(CheckRule(nobody, Person("admin"), "c1").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckRule(nobody, Service("scheduling"), "c1").code(), absl::StatusCode::kPermissionDenied);
}

TEST(CheckRuleTest, OnBehalfOfDefaultsToTheDirectRoles) {
  const RpcRule rule{{"admin"}, {"scheduling"}, {}, "x.y", "x"};
  const auth::Principal admin = Person("admin");
  const auth::Principal client = Person("client");
  EXPECT_TRUE(CheckRule(rule, Service("scheduling", &admin), "c1").ok());
  EXPECT_EQ(CheckRule(rule, Service("scheduling", &client), "c1").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CheckRuleTest, ActingRoleIsTheAdmittedOne) {
  auth::Principal both = Person("client");
  both.roles.insert("clinician");
  EXPECT_EQ(ActingRole(kRule, both), "clinician");
  EXPECT_EQ(ActingRole(kRule, Service("scheduling")), "service");
}

TEST(AuthzTableTest, EveryMethodNeedsARuleThatAdmitsSomeoneAndIsAudited) {
  // A service's descriptor is in the generated pool once its file is linked in, as a service's own messages
  // make sure; here nothing else uses echo.proto's messages.
  ASSERT_NE(tandem::testing::v1::EchoRequest::descriptor(), nullptr);
  const std::string echo(tandem::testing::v1::EchoService::service_full_name());
  AuthzTable complete(echo, {{"Echo", kRule}, {"EchoBlocking", kRule}});
  EXPECT_TRUE(complete.Validate().ok());
  EXPECT_NE(complete.Find("Echo"), nullptr);
  EXPECT_EQ(complete.Find("Nope"), nullptr);

  AuthzTable missing(echo, {{"Echo", kRule}});
  EXPECT_EQ(missing.Validate().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.Validate().message().find("EchoBlocking"), std::string::npos);

  AuthzTable nobody(echo, {{"Echo", kRule}, {"EchoBlocking", RpcRule{{}, {}, {}, "x.y", "x"}}});
  EXPECT_FALSE(nobody.Validate().ok());
  AuthzTable unaudited(echo, {{"Echo", kRule}, {"EchoBlocking", RpcRule{{"admin"}, {}, {}, "", ""}}});
  EXPECT_FALSE(unaudited.Validate().ok());
  AuthzTable service_as_role(echo,
                             {{"Echo", kRule}, {"EchoBlocking", RpcRule{{"service"}, {}, {}, "x.y", "x"}}});
  EXPECT_FALSE(service_as_role.Validate().ok());
  AuthzTable extra(echo, {{"Echo", kRule}, {"EchoBlocking", kRule}, {"Gone", kRule}});
  EXPECT_FALSE(extra.Validate().ok());
  AuthzTable unknown("tandem.nothing.v1.Nothing", {});
  EXPECT_FALSE(unknown.Validate().ok());
}

TEST(AuthzTableTest, OnlyARuleMarkedCredentialInRequestMayNameNobody) {
  ASSERT_NE(tandem::testing::v1::EchoRequest::descriptor(), nullptr);
  const std::string echo(tandem::testing::v1::EchoService::service_full_name());
  RpcRule in_request{{}, {}, {}, "feed.read", "feed"};
  in_request.credential_in_request = true;
  EXPECT_TRUE(AuthzTable(echo, {{"Echo", kRule}, {"EchoBlocking", in_request}}).Validate().ok());

  RpcRule unmarked = in_request;
  unmarked.credential_in_request = false;
  EXPECT_FALSE(AuthzTable(echo, {{"Echo", kRule}, {"EchoBlocking", unmarked}}).Validate().ok());

  RpcRule with_roles = kRule;
  with_roles.credential_in_request = true;
  const absl::Status mixed = AuthzTable(echo, {{"Echo", kRule}, {"EchoBlocking", with_roles}}).Validate();
  EXPECT_EQ(mixed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(mixed.message().find("names callers"), std::string::npos);

  RpcRule unaudited{{}, {}, {}, "", ""};
  unaudited.credential_in_request = true;
  EXPECT_FALSE(AuthzTable(echo, {{"Echo", kRule}, {"EchoBlocking", unaudited}}).Validate().ok());
}

TEST(CheckRuleTest, ABearerTokenNeverAdmitsToARuleWhoseCredentialIsInTheRequest) {
  RpcRule rule = kRule;  // even one that (wrongly) names roles
  rule.credential_in_request = true;
  EXPECT_EQ(CheckRule(rule, Person("admin"), "c1").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckRule(rule, Service("scheduling"), "c1").code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tandem::service
