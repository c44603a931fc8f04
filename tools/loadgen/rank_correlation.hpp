#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace boxoffice::loadgen {

// 1-based ranks of `values`; tied values share the average of the ranks they span.
std::vector<double> AverageRanks(const std::vector<double>& values);

// Spearman's rank correlation of two equally long samples (Pearson's coefficient of their
// average ranks, so ties are handled). nullopt when it is undefined: fewer than two pairs, or
// one side has no spread at all.
std::optional<double> SpearmanCorrelation(const std::vector<double>& x,
                                          const std::vector<double>& y);

// What a polling client knows of one user's admission: it happened after `waiting_since` (when
// the last request that still answered WAITING was sent) and no later than `active_by` (when
// the first answer saying ACTIVE arrived). Times in any common unit.
struct AdmissionWindow {
  double waiting_since = 0;
  double active_by = 0;
};

struct AdmissionOrder {
  // Admission rank of each user (1-based, no ties), in the order the windows were given.
  std::vector<double> ranks;
  // Users admitted before somebody who arrived earlier, provably (their `active_by` precedes
  // the earlier user's `waiting_since`).
  std::int64_t provable_overtakes = 0;
};

// The admission order that is consistent with every window and closest to arrival order.
// `windows` must be in arrival order. A poller only knows each admission to within its window,
// so two users whose windows overlap may have been admitted either way; this ranks them in
// arrival order and lets only provable overtakes lower a correlation with arrival rank.
AdmissionOrder ConsistentAdmissionOrder(const std::vector<AdmissionWindow>& windows);

}  // namespace boxoffice::loadgen
