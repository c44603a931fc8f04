#include "domain/model/policies.hpp"

#include <gtest/gtest.h>

namespace boxoffice::domain {
namespace {

TEST(PoliciesTest, DefaultsFollowTheReferenceAndAreValid) {
  Policies p;
  EXPECT_EQ(p.admit_batch, 1400);
  EXPECT_EQ(p.admit_interval_ms, 10'000);
  EXPECT_EQ(p.hold_ttl_seconds, 300);
  EXPECT_EQ(p.max_seats_per_hold, 4);
  EXPECT_EQ(Validate(p), std::nullopt);
}

TEST(PoliciesTest, ZeroBatchIsAValidPause) {
  Policies p;
  p.admit_batch = 0;
  EXPECT_EQ(Validate(p), std::nullopt);
}

struct OutOfRange {
  const char* field;
  int Policies::*member;
  std::int32_t value;
};

class PoliciesRangeTest : public ::testing::TestWithParam<OutOfRange> {};

TEST_P(PoliciesRangeTest, NamesTheFirstFieldOutOfRange) {
  Policies p;
  p.*GetParam().member = GetParam().value;
  auto message = Validate(p);
  ASSERT_TRUE(message.has_value());
  EXPECT_NE(message->find(GetParam().field), std::string::npos) << *message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, PoliciesRangeTest,
    ::testing::Values(OutOfRange{"holdTtlSeconds", &Policies::hold_ttl_seconds, 0},
                      OutOfRange{"holdTtlSeconds", &Policies::hold_ttl_seconds, 24 * 3600 + 1},
                      OutOfRange{"admitBatch", &Policies::admit_batch, -1},
                      OutOfRange{"admitIntervalMs", &Policies::admit_interval_ms, 9},
                      OutOfRange{"maxActive", &Policies::max_active, 0},
                      OutOfRange{"activeIdleTtlSeconds", &Policies::active_idle_ttl_seconds, 0},
                      OutOfRange{"waitingGraceSeconds", &Policies::waiting_grace_seconds, 4},
                      OutOfRange{"maxSeatsPerHold", &Policies::max_seats_per_hold, 0},
                      OutOfRange{"maxSeatsPerHold", &Policies::max_seats_per_hold, 101}));

TEST(PoliciesTest, BoundsAreInclusive) {
  Policies p;
  p.hold_ttl_seconds = 1;
  p.admit_interval_ms = 10;
  p.max_active = 1;
  p.waiting_grace_seconds = 5;
  p.max_seats_per_hold = 100;
  EXPECT_EQ(Validate(p), std::nullopt);
}

TEST(PoliciesTest, ApplyChangesOnlyThePresentFields) {
  Policies base;
  PolicyPatch patch;
  patch.hold_ttl_seconds = 60;
  patch.max_active = 10;
  Policies changed = Apply(base, patch);

  Policies expected = base;
  expected.hold_ttl_seconds = 60;
  expected.max_active = 10;
  EXPECT_EQ(changed, expected);
}

TEST(PoliciesTest, EmptyPatchChangesNothing) {
  Policies base;
  base.admit_batch = 7;
  EXPECT_EQ(Apply(base, PolicyPatch{}), base);
}

TEST(PoliciesTest, FullPatchReplacesEveryField) {
  PolicyPatch patch{1, 2, 3, 4, 5, 6, 7};
  Policies p = Apply(Policies{}, patch);
  EXPECT_EQ(p, (Policies{1, 2, 3, 4, 5, 6, 7}));
}

}  // namespace
}  // namespace boxoffice::domain
