#include "report.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <tuple>

namespace boxoffice::bench {

RunRecord RecordOf(std::string backend, std::string strategy, int n, int run, const RaceRun& race) {
  RunRecord r{.backend = std::move(backend),
              .strategy = std::move(strategy),
              .n = n,
              .run = run,
              .elapsed_ms = race.elapsed_ms};
  for (Status s : race.statuses) {
    if (s == 201) ++r.winners;
    ++r.answers_by_status[s < 0 ? std::string("setup_error") : std::to_string(s)];
  }
  return r;
}

std::string JsonLine(const RunRecord& r) {
  boost::json::object answers;
  for (const auto& [status, count] : r.answers_by_status) answers[status] = count;
  // Written by hand around the serialized parts: Boost.JSON prints doubles as 1.8E0, and the
  // time reads better (and diffs better) as 1.800.
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", r.elapsed_ms);
  return "{\"backend\":" + boost::json::serialize(boost::json::value(r.backend)) +
         ",\"strategy\":" + boost::json::serialize(boost::json::value(r.strategy)) +
         ",\"n\":" + std::to_string(r.n) + ",\"run\":" + std::to_string(r.run) +
         ",\"elapsed_ms\":" + elapsed + ",\"winners\":" + std::to_string(r.winners) +
         ",\"answers_by_status\":" + boost::json::serialize(answers) + "}";
}

void PrintTable(std::ostream& out, const std::vector<RunRecord>& records) {
  using Key = std::tuple<std::string, std::string, int>;
  std::vector<Key> order;
  std::map<Key, std::vector<const RunRecord*>> groups;
  for (const auto& r : records) {
    Key key{r.backend, r.strategy, r.n};
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  std::sort(order.begin(), order.end(), [](const Key& a, const Key& b) {
    return std::tie(std::get<0>(a), std::get<2>(a), std::get<1>(a)) <
           std::tie(std::get<0>(b), std::get<2>(b), std::get<1>(b));
  });
  char line[200];
  std::snprintf(line, sizeof line, "%-8s %-24s %6s %5s %10s %10s %10s  %s\n", "backend", "strategy",
                "n", "runs", "median_ms", "min_ms", "max_ms", "one winner each run");
  out << line;
  for (const auto& key : order) {
    const auto& runs = groups[key];
    std::vector<double> ms;
    bool exact = true;
    for (const auto* r : runs) {
      ms.push_back(r->elapsed_ms);
      exact = exact && r->winners == 1;
    }
    std::sort(ms.begin(), ms.end());
    const double median =
        ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
    std::snprintf(line, sizeof line, "%-8s %-24s %6d %5zu %10.1f %10.1f %10.1f  %s\n",
                  std::get<0>(key).c_str(), std::get<1>(key).c_str(), std::get<2>(key), ms.size(),
                  median, ms.front(), ms.back(), exact ? "yes" : "NO");
    out << line;
  }
}

}  // namespace boxoffice::bench
