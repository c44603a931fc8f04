#pragma once

#include <memory>
#include <string>

#include "race_harness.hpp"

namespace boxoffice::bench {

struct HttpRaceSettings {
  std::string server_url;   // http://host:port of a running `boxoffice serve`
  std::string admin_token;  // its BOXOFFICE_ADMIN_TOKEN
};

// The race through the real server: `max_callers` users signed up, queued and admitted once
// (policies set so that everyone is admitted within a tick); each Run creates a fresh date and
// opens one connection per caller before the latch, then every caller POSTs the hold of the same
// seat. Changes the server's policies (admission wide open, long idle and grace periods).
class HttpRace {
 public:
  HttpRace(const HttpRaceSettings& settings, int max_callers);
  ~HttpRace();
  HttpRace(const HttpRace&) = delete;
  HttpRace& operator=(const HttpRace&) = delete;

  RaceRun Run(int callers);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace boxoffice::bench
