#include "rank_correlation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace boxoffice::loadgen {

std::vector<double> AverageRanks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double average = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = average;
    i = j + 1;
  }
  return ranks;
}

std::optional<double> SpearmanCorrelation(const std::vector<double>& x,
                                          const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return std::nullopt;
  const auto rx = AverageRanks(x);
  const auto ry = AverageRanks(y);
  const double n = static_cast<double>(rx.size());
  const double mean = (n + 1.0) / 2.0;  // the mean of average ranks is always (n + 1) / 2
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    const double dx = rx[i] - mean;
    const double dy = ry[i] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return std::nullopt;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

AdmissionOrder ConsistentAdmissionOrder(const std::vector<AdmissionWindow>& windows) {
  // Walk in arrival order and place each admission as early as its window and the admissions
  // before it allow. When the window ends before that point, the user was provably admitted
  // ahead of an earlier arrival and is placed at the end of its window instead.
  AdmissionOrder out;
  std::vector<double> estimate(windows.size());
  double latest = -INFINITY;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const double earliest = std::max(latest, windows[i].waiting_since);
    if (earliest <= windows[i].active_by) {
      estimate[i] = earliest;
      latest = earliest;
    } else {
      estimate[i] = windows[i].active_by;
      ++out.provable_overtakes;
    }
  }
  // Rank by estimate; equal estimates keep arrival order (the stable sort).
  std::vector<std::size_t> order(windows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return estimate[a] < estimate[b]; });
  out.ranks.resize(windows.size());
  for (std::size_t r = 0; r < order.size(); ++r) out.ranks[order[r]] = static_cast<double>(r + 1);
  return out;
}

}  // namespace boxoffice::loadgen
