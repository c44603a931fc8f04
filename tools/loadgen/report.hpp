#pragma once

#include <string>

#include "rush.hpp"

namespace boxoffice::loadgen {

// The report as the JSON document `--json` writes (stable keys: `make bench` reads them).
std::string ReportJson(const RushReport& report);

// The report for a person, several lines.
std::string ReportSummary(const RushReport& report);

// 0 when the rush ran, nothing failed unexpectedly and every invariant holds; 1 otherwise;
// 3 when the setup failed (nothing was measured).
int ExitCodeOf(const RushReport& report);

}  // namespace boxoffice::loadgen
