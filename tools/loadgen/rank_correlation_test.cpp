#include "rank_correlation.hpp"

#include <gtest/gtest.h>

namespace boxoffice::loadgen {
namespace {

TEST(AverageRanks, TiesShareTheAverageRank) {
  EXPECT_EQ(AverageRanks({10, 30, 20, 30}), (std::vector<double>{1, 3.5, 2, 3.5}));
  EXPECT_EQ(AverageRanks({5, 5, 5}), (std::vector<double>{2, 2, 2}));
}

TEST(Spearman, SameOrderIsOneAndReverseIsMinusOne) {
  EXPECT_DOUBLE_EQ(*SpearmanCorrelation({1, 2, 3, 4, 5}, {10, 20, 35, 100, 1000}), 1.0);
  EXPECT_DOUBLE_EQ(*SpearmanCorrelation({1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}), -1.0);
}

TEST(Spearman, MatchesTheTextbookFormulaWithoutTies) {
  // rho = 1 - 6 * sum(d^2) / (n (n^2 - 1)); ranks (1..5) vs (2,1,4,3,5): sum d^2 = 4.
  const auto rho = SpearmanCorrelation({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5});
  ASSERT_TRUE(rho.has_value());
  EXPECT_NEAR(*rho, 1.0 - 6.0 * 4 / (5 * 24), 1e-12);
}

TEST(Spearman, HandlesTiesAsPearsonOfAverageRanks) {
  // x ranks 1,2,3,4; y = (1,1,2,2) -> ranks 1.5,1.5,3.5,3.5; Pearson = 0.894427...
  const auto rho = SpearmanCorrelation({1, 2, 3, 4}, {1, 1, 2, 2});
  ASSERT_TRUE(rho.has_value());
  EXPECT_NEAR(*rho, 0.8944271909999159, 1e-12);
}

TEST(Spearman, UndefinedWithoutSpreadOrPairs) {
  EXPECT_FALSE(SpearmanCorrelation({1}, {1}).has_value());
  EXPECT_FALSE(SpearmanCorrelation({1, 2, 3}, {7, 7, 7}).has_value());
  EXPECT_FALSE(SpearmanCorrelation({1, 2}, {1, 2, 3}).has_value());
}

std::vector<double> Arrival(std::size_t n) {
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(i + 1);
  return out;
}

TEST(ConsistentAdmissionOrder, OverlappingWindowsOfAFifoRoomGiveOne) {
  // Two admission rounds seen through 1 s polls with staggered phases: windows overlap, the
  // observed first-ACTIVE times are out of arrival order, yet nothing proves an overtake.
  const std::vector<AdmissionWindow> windows = {{0.0, 1.9}, {0.5, 1.4}, {0.2, 1.1},
                                                {1.6, 3.0}, {1.2, 2.2}, {1.9, 2.5}};
  const auto order = ConsistentAdmissionOrder(windows);
  EXPECT_EQ(order.provable_overtakes, 0);
  EXPECT_DOUBLE_EQ(*SpearmanCorrelation(Arrival(6), order.ranks), 1.0);
  // The raw first-ACTIVE times would not say so.
  std::vector<double> observed;
  for (const auto& w : windows) observed.push_back(w.active_by);
  EXPECT_LT(*SpearmanCorrelation(Arrival(6), observed), 1.0);
}

TEST(ConsistentAdmissionOrder, AProvableOvertakeLowersTheCorrelation) {
  // The third arrival was admitted (active by 1.0) while the first was still waiting at 2.0.
  const std::vector<AdmissionWindow> windows = {{2.0, 3.0}, {2.1, 3.0}, {0.1, 1.0}, {2.5, 3.5}};
  const auto order = ConsistentAdmissionOrder(windows);
  EXPECT_EQ(order.provable_overtakes, 1);
  EXPECT_EQ(order.ranks, (std::vector<double>{2, 3, 1, 4}));
  EXPECT_LT(*SpearmanCorrelation(Arrival(4), order.ranks), 1.0);
}

TEST(ConsistentAdmissionOrder, LastInFirstOutIsStronglyNegative) {
  std::vector<AdmissionWindow> windows;
  for (int i = 0; i < 10; ++i) windows.push_back({10.0 - i, 10.5 - i});
  const auto order = ConsistentAdmissionOrder(windows);
  EXPECT_EQ(order.provable_overtakes, 9);
  EXPECT_DOUBLE_EQ(*SpearmanCorrelation(Arrival(10), order.ranks), -1.0);
}

}  // namespace
}  // namespace boxoffice::loadgen
