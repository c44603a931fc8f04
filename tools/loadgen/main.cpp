// boxoffice-loadgen: a ticket-opening rush against a boxoffice server. `--help` says how.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "options.hpp"
#include "report.hpp"
#include "rush.hpp"

int main(int argc, char** argv) {
  using namespace boxoffice::loadgen;
  auto parsed = ParseOptions(argc, argv);
  if (auto* help = std::get_if<HelpShown>(&parsed)) {
    std::cout << help->text;
    return 0;
  }
  if (auto* error = std::get_if<OptionsError>(&parsed)) {
    std::cerr << "boxoffice-loadgen: " << error->message << "\n(see --help)\n";
    return 2;
  }
  const auto& options = std::get<Options>(parsed);
  const RushReport report = RunRush(options);
  if (!options.quiet) std::cout << ReportSummary(report) << std::flush;
  if (!report.fatal.empty()) std::cerr << "boxoffice-loadgen: " << report.fatal << "\n";
  if (!options.json_path.empty()) {
    std::ofstream file(options.json_path, std::ios::trunc);
    file << ReportJson(report);
    if (!file.flush()) {
      std::cerr << "boxoffice-loadgen: cannot write " << options.json_path << "\n";
      return 3;
    }
  }
  return ExitCodeOf(report);
}
