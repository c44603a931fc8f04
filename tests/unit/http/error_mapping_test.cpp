#include "interfaces/http/error_mapping.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "interfaces/http/responses.hpp"

namespace boxoffice::http {
namespace {

using domain::ErrorCode;

constexpr int kLastCode = static_cast<int>(ErrorCode::kInternal);

TEST(ErrorMappingTest, EveryCodeHasADistinctSnakeCaseWireCode) {
  std::set<std::string> seen;
  for (int i = 0; i <= kLastCode; ++i) {
    const auto wire = MapError(static_cast<ErrorCode>(i));
    ASSERT_FALSE(wire.code.empty()) << "code " << i;
    for (char c : wire.code) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << wire.code;
    }
    EXPECT_TRUE(seen.insert(std::string(wire.code)).second) << "duplicate " << wire.code;
    EXPECT_GE(wire.status, 400);
    EXPECT_LE(wire.status, 599);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kLastCode + 1));
}

TEST(ErrorMappingTest, StatusesFollowTheSpec) {
  EXPECT_EQ(MapError(ErrorCode::kInvalidRequest).status, 400);
  EXPECT_EQ(MapError(ErrorCode::kTooManySeats).status, 400);
  EXPECT_EQ(MapError(ErrorCode::kPayloadTooLarge).status, 413);
  EXPECT_EQ(MapError(ErrorCode::kInvalidToken).status, 401);
  EXPECT_EQ(MapError(ErrorCode::kTokenNotProcessable).status, 403);
  EXPECT_EQ(MapError(ErrorCode::kEventNotFound).status, 404);
  EXPECT_EQ(MapError(ErrorCode::kEventNotFound).code, "concert_event_not_found");
  EXPECT_EQ(MapError(ErrorCode::kMethodNotAllowed).status, 405);
  EXPECT_EQ(MapError(ErrorCode::kSeatUnavailable).status, 409);
  EXPECT_EQ(MapError(ErrorCode::kIdempotencyInProgress).status, 409);
  EXPECT_EQ(MapError(ErrorCode::kReservationNotOpened).status, 422);
  EXPECT_EQ(MapError(ErrorCode::kRateLimited).status, 429);
  EXPECT_EQ(MapError(ErrorCode::kInternal).status, 500);
  EXPECT_EQ(MapError(ErrorCode::kUnavailable).status, 503);
}

TEST(ErrorMappingTest, ErrorEnvelope) {
  auto r = ErrorResponse(ErrorCode::kSeatUnavailable, "seat 3 is \"taken\"");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"seat_unavailable","message":"seat 3 is \"taken\""}})");
}

TEST(ErrorMappingTest, OverloadAnswersCarryRetryAfter) {
  for (auto code : {ErrorCode::kRateLimited, ErrorCode::kUnavailable}) {
    auto r = ErrorResponse(code, "busy");
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Retry-After");
  }
}

TEST(ResponsesTest, DataAndListEnvelopes) {
  EXPECT_EQ(DataResponse(boost::json::object{{"id", 1}}, 201).body, R"({"data":{"id":1}})");
  EXPECT_EQ(DataResponse(boost::json::object{{"id", 1}}, 201).status, 201);
  EXPECT_EQ(ListResponse(boost::json::array{1, 2}).body, R"({"list":[1,2]})");
  EXPECT_EQ(NoContent().status, 204);
  EXPECT_TRUE(NoContent().body.empty());
}

}  // namespace
}  // namespace boxoffice::http
