#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "race_harness.hpp"

namespace boxoffice::bench {

// One race: the JSON line the bench writes, and a row of the human table.
struct RunRecord {
  std::string backend;   // sqlite | mysql | http
  std::string strategy;  // see strategy.hpp; "ours" for http
  int n = 0;             // callers
  int run = 0;           // 1-based
  double elapsed_ms = 0;
  int winners = 0;
  std::map<std::string, int> answers_by_status;  // "201" -> 1, "409" -> n - 1, ...
};

RunRecord RecordOf(std::string backend, std::string strategy, int n, int run, const RaceRun& race);

// {"backend":..,"strategy":..,"n":..,"run":..,"elapsed_ms":..,"winners":..,
//  "answers_by_status":{"201":1,"409":9}} on one line.
std::string JsonLine(const RunRecord& record);

// Median, min and max elapsed time per backend, strategy and n, with the winners check.
void PrintTable(std::ostream& out, const std::vector<RunRecord>& records);

}  // namespace boxoffice::bench
