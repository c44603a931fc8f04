#pragma once

#include <memory>
#include <string>
#include <vector>

#include "race_harness.hpp"
#include "strategy.hpp"

namespace boxoffice::bench {

struct SqlRaceSettings {
  bool mysql = false;         // MariaDB/MySQL at db_url; SQLite at sqlite_path otherwise
  std::string db_url;         // mysql://user:password@host:port/database (a server to use)
  std::string database_name;  // created afresh on that server for the bench
  std::string sqlite_path;    // created afresh
  std::string redis_url;      // redis://host:port[/db]; needed by redis-lock+pessimistic only
  int pool_size = 30;         // database connections, per strategy family, as the reference
  int redis_pool_size = 64;   // Redisson's default connection pool
  int lock_wait_ms = 0;       // how long a caller retries SET NX before giving up
  int lock_lease_ms = 3000;   // the lock's PX, in case its holder dies
};

// One fresh schema (the product's migrations plus a bench-only `seat.bench_version` column for
// the optimistic strategy), `max_callers` users, and a race per call of Run on a fresh date.
class SqlRace {
 public:
  SqlRace(const SqlRaceSettings& settings, int max_callers);
  ~SqlRace();
  SqlRace(const SqlRace&) = delete;
  SqlRace& operator=(const SqlRace&) = delete;

  RaceRun Run(Strategy strategy, int callers);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace boxoffice::bench
