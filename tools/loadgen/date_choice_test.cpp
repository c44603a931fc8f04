#include "date_choice.hpp"

#include <gtest/gtest.h>

#include <map>

namespace boxoffice::loadgen {
namespace {

TEST(ChooseDate, NoFreeSeatAnywhereIsNothing) {
  EXPECT_FALSE(ChooseDate({}, DateChoice::kWeighted, 0.5).has_value());
  EXPECT_FALSE(ChooseDate({0, 0, -1}, DateChoice::kFirst, 0.5).has_value());
  EXPECT_FALSE(ChooseDate({0, 0}, DateChoice::kWeighted, 0.0).has_value());
}

TEST(ChooseDate, FirstTakesTheEarliestDateWithAFreeSeatWhateverTheDraw) {
  EXPECT_EQ(ChooseDate({0, 3, 900}, DateChoice::kFirst, 0.99), 1u);
  EXPECT_EQ(ChooseDate({5, 3, 900}, DateChoice::kFirst, 0.99), 0u);
}

TEST(ChooseDate, WeightedSplitsTheDrawByFreeSeats) {
  // 10 + 30 + 60 free seats: [0, .1) -> 0, [.1, .4) -> 1, [.4, 1) -> 2.
  const std::vector<std::int64_t> free = {10, 30, 60};
  EXPECT_EQ(ChooseDate(free, DateChoice::kWeighted, 0.0), 0u);
  EXPECT_EQ(ChooseDate(free, DateChoice::kWeighted, 0.099), 0u);
  EXPECT_EQ(ChooseDate(free, DateChoice::kWeighted, 0.1), 1u);
  EXPECT_EQ(ChooseDate(free, DateChoice::kWeighted, 0.399), 1u);
  EXPECT_EQ(ChooseDate(free, DateChoice::kWeighted, 0.4), 2u);
  EXPECT_EQ(ChooseDate(free, DateChoice::kWeighted, 0.999999), 2u);
}

TEST(ChooseDate, WeightedNeverPicksASoldOutDate) {
  const std::vector<std::int64_t> free = {0, 4, 0, 4, 0};
  std::map<std::size_t, int> picked;
  for (int i = 0; i <= 100; ++i) ++picked[*ChooseDate(free, DateChoice::kWeighted, i / 100.0)];
  EXPECT_EQ(picked.size(), 2u);
  EXPECT_GT(picked[1], 40);
  EXPECT_GT(picked[3], 40);
}

TEST(ChooseDate, ADrawOutsideTheUnitIntervalStaysOnAFreeDate) {
  EXPECT_EQ(ChooseDate({0, 7, 0}, DateChoice::kWeighted, 1.0), 1u);
  EXPECT_EQ(ChooseDate({0, 7, 0}, DateChoice::kWeighted, -0.5), 1u);
}

}  // namespace
}  // namespace boxoffice::loadgen
