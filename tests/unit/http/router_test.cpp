#include "interfaces/http/router.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace boxoffice::http {
namespace {

using Kind = RouteMatch::Kind;

class RouterTest : public ::testing::Test {
 protected:
  Router router_{AllRoutes()};
};

TEST_F(RouterTest, MatchesStaticAndParameterisedRoutes) {
  auto m = router_.Match("GET", "/api/v1/concerts");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.route->id, RouteId::kListConcerts);

  m = router_.Match("GET", "/api/v1/concert-events/42/seats");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.route->id, RouteId::kListSeats);
  EXPECT_EQ(m.route->path, "/api/v1/concert-events/{eventId}/seats");
  EXPECT_EQ(m.params.Get("eventId"), 42);

  m = router_.Match("PATCH", "/api/v1/users/7/wallet/charge");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.route->id, RouteId::kWalletCharge);
  EXPECT_EQ(m.params.Get("userId"), 7);
}

TEST_F(RouterTest, SamePathDifferentMethods) {
  EXPECT_EQ(router_.Match("POST", "/api/v1/queue/token").route->id, RouteId::kIssueQueueToken);
  EXPECT_EQ(router_.Match("DELETE", "/api/v1/queue/token").route->id, RouteId::kLeaveQueue);
  EXPECT_EQ(router_.Match("GET", "/api/v1/admin/policies").route->id, RouteId::kAdminGetPolicies);
  EXPECT_EQ(router_.Match("PUT", "/api/v1/admin/policies").route->id, RouteId::kAdminPutPolicies);
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
  for (auto path : {"/", "", "/api/v1", "/api/v1/concerts/", "/api/v1/concertsx",
                    "/api/v1/concert-events/1/seats/extra", "api/v1/concerts",
                    "/api/v1/concert-events//seats"}) {
    EXPECT_EQ(router_.Match("GET", path).kind, Kind::kNotFound) << path;
  }
}

TEST_F(RouterTest, WrongMethodIsMethodNotAllowedWithAllow) {
  auto m = router_.Match("PUT", "/api/v1/queue/token");
  ASSERT_EQ(m.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "POST, DELETE");
  m = router_.Match("DELETE", "/api/v1/concert-events/3/seats");
  ASSERT_EQ(m.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET");
}

TEST_F(RouterTest, IdsMustBePositiveInt64Digits) {
  for (auto id : {"0", "-1", "abc", "1.5", "1e3", "+1", " 1", "9223372036854775808",
                  "99999999999999999999", "0x10"}) {
    auto m = router_.Match("GET", std::string("/api/v1/concert-events/") + id + "/seats");
    EXPECT_EQ(m.kind, Kind::kBadParameter) << id;
    EXPECT_NE(m.message.find("eventId"), std::string::npos) << m.message;
  }
  auto m = router_.Match("GET", "/api/v1/concert-events/9223372036854775807/seats");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.params.Get("eventId"), 9223372036854775807LL);
}

TEST_F(RouterTest, TestHooksCanBeLeftOut) {
  std::vector<RouteSpec> routes;
  for (const auto& r : AllRoutes()) {
    if (!r.test_hook) routes.push_back(r);
  }
  Router production(routes);
  EXPECT_EQ(production.Match("POST", "/api/v1/admin/test/tick").kind, Kind::kNotFound);
  EXPECT_EQ(router_.Match("POST", "/api/v1/admin/test/tick").kind, Kind::kMatched);
}

TEST(RouteTableTest, EveryRouteIsUniqueAndParsable) {
  std::set<std::string> seen;
  for (const auto& r : AllRoutes()) {
    EXPECT_TRUE(seen.insert(std::string(r.method) + " " + std::string(r.path)).second) << r.path;
    EXPECT_EQ(r.path.front(), '/');
  }
}

TEST(ParsePositiveIdTest, Bounds) {
  EXPECT_EQ(ParsePositiveId("1"), 1);
  EXPECT_EQ(ParsePositiveId("007"), 7);
  EXPECT_FALSE(ParsePositiveId(""));
  EXPECT_FALSE(ParsePositiveId("0"));
  EXPECT_FALSE(ParsePositiveId("12a"));
}

}  // namespace
}  // namespace boxoffice::http
