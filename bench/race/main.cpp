// boxoffice-race-bench: N callers race for one seat, as the reference measured it (SPEC §6),
// for each hold strategy side by side. See docs/adr/0011-coalesced-seat-holds.md.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "http_race.hpp"
#include "report.hpp"
#include "sql_race.hpp"
#include "strategy.hpp"

namespace boxoffice::bench {
namespace {

constexpr const char* kDescription =
    R"(N concurrent callers each try to hold the same seat; the time from the start
until the slowest caller has its answer is measured, and exactly one winner is
asserted in every run (exit status 1 otherwise). Callers are threads created
first and parked on a latch; the clock starts when it opens. Every run uses a
fresh date. Each caller is a distinct user.

Backends:
  sqlite  a fresh SQLite file (WAL, synchronous=FULL), pool of --pool-size
  mysql   a fresh database --mysql-database on the server of --db-url, pool of
          --pool-size (durable settings are the server's: scripts/mariadb)
  http    a running `boxoffice serve` at --server-url (admin token required);
          strategy is always "ours"; one connection per caller, opened before
          the latch; the bench sets the server's admission policies wide open
Strategies (sqlite, mysql):
  redis-lock+pessimistic  SET NX PX on the seat's key (retried for
                          --lock-wait-ms, then refused), then pessimistic
  pessimistic             tx { SELECT seat FOR UPDATE (SQLite: BEGIN IMMEDIATE);
                          if available: insert hold, UPDATE seat }
  optimistic              tx { read seat and bench_version; UPDATE ... WHERE
                          bench_version = v (no retry); insert hold }
                          (bench_version: a column the bench adds to its copy)
  ours                    application::OccupySeats over the SQL adapter
  floor                   no work (not in the default list): the cost of
                          starting and answering N parked threads here
Output: a table on stdout; with --json, one JSON object per run per line:
  {"backend","strategy","n","run","elapsed_ms","winners","answers_by_status"})";

std::vector<int> ParseCounts(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int n = std::stoi(item);
    if (n < 1 || n > 100'000) throw std::invalid_argument("--n values must be 1..100000");
    out.push_back(n);
  }
  if (out.empty()) throw std::invalid_argument("--n needs at least one count");
  return out;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Thousands of sockets (http) or connections need more descriptors than the usual 1024.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int Main(int argc, char** argv) {
  CLI::App app{kDescription, "boxoffice-race-bench"};
  std::string backends = "sqlite";
  std::string counts = "10,100,1000,5000";
  int runs = 5;
  std::string strategies = "redis-lock+pessimistic,pessimistic,optimistic,ours";
  std::string json_path;
  std::string db_url;
  std::string mysql_database = "boxoffice_race_bench";
  std::string sqlite_path;
  std::string redis_url;
  std::string server_url;
  std::string admin_token =
      std::getenv("BOXOFFICE_ADMIN_TOKEN") ? std::getenv("BOXOFFICE_ADMIN_TOKEN") : "";
  SqlRaceSettings sql;
  app.add_option("--backend", backends, "sqlite, mysql or http (or a comma list)")
      ->capture_default_str();
  app.add_option("--n", counts, "callers per race, a comma list")->capture_default_str();
  app.add_option("--runs", runs, "races per backend, strategy and n")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--strategies", strategies, "comma list (sqlite, mysql)")->capture_default_str();
  app.add_option("--json", json_path, "write one JSON object per run per line to FILE");
  app.add_option("--db-url", db_url, "mysql://user:password@host:port/db of a server (mysql)");
  app.add_option("--mysql-database", mysql_database, "database the bench recreates (mysql)")
      ->capture_default_str();
  app.add_option("--sqlite-path", sqlite_path,
                 "SQLite file the bench recreates (sqlite; default "
                 "a temporary file, removed afterwards)");
  app.add_option("--redis-url", redis_url, "redis://host:port[/db] (redis-lock+pessimistic)");
  app.add_option("--server-url", server_url, "http://host:port of a running server (http)");
  app.add_option("--admin-token", admin_token,
                 "the server's admin token (http; default $BOXOFFICE_ADMIN_TOKEN)");
  app.add_option("--pool-size", sql.pool_size, "database connections (sqlite, mysql)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--lock-wait-ms", sql.lock_wait_ms,
                 "how long a caller retries the Redis lock before it is refused")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  app.add_option("--lock-lease-ms", sql.lock_lease_ms, "the Redis lock's PX")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::vector<int> ns = ParseCounts(counts);
  const int max_n = *std::max_element(ns.begin(), ns.end());
  std::vector<Strategy> chosen;
  for (const auto& name : Split(strategies)) {
    auto s = StrategyNamed(name);
    if (!s) {
      std::cerr << "unknown strategy '" << name << "'\n";
      return 2;
    }
    chosen.push_back(*s);
  }
  RaiseFileLimit();

  std::ofstream json;
  if (!json_path.empty()) {
    json.open(json_path, std::ios::trunc);
    if (!json) {
      std::cerr << "cannot write " << json_path << "\n";
      return 2;
    }
  }
  std::vector<RunRecord> records;
  auto record = [&](RunRecord r) {
    std::cerr << r.backend << " " << r.strategy << " n=" << r.n << " run " << r.run << ": "
              << r.elapsed_ms << " ms, winners " << r.winners << "\n";
    if (json.is_open()) json << JsonLine(r) << "\n" << std::flush;
    records.push_back(std::move(r));
  };

  for (const auto& backend : Split(backends)) {
    if (backend == "http") {
      if (server_url.empty() || admin_token.empty()) {
        std::cerr << "--backend http needs --server-url and --admin-token\n";
        return 2;
      }
      HttpRace race({.server_url = server_url, .admin_token = admin_token}, max_n);
      for (int n : ns) {
        for (int run = 1; run <= runs; ++run) record(RecordOf("http", "ours", n, run, race.Run(n)));
      }
    } else if (backend == "sqlite" || backend == "mysql") {
      SqlRaceSettings settings = sql;
      settings.mysql = backend == "mysql";
      settings.redis_url = redis_url;
      settings.db_url = db_url;
      settings.database_name = mysql_database;
      bool temporary = false;
      settings.sqlite_path = sqlite_path;
      if (settings.sqlite_path.empty()) {
        settings.sqlite_path = (std::filesystem::temp_directory_path() /
                                ("boxoffice-race-bench-" + std::to_string(getpid()) + ".db"))
                                   .string();
        temporary = true;
      }
      if (settings.mysql && db_url.empty()) {
        std::cerr << "--backend mysql needs --db-url\n";
        return 2;
      }
      {
        SqlRace race(settings, max_n);
        // Strategies interleave within each round, so drift of the machine hits them alike.
        for (int n : ns) {
          for (int run = 1; run <= runs; ++run) {
            for (auto s : chosen) {
              record(RecordOf(backend, std::string(NameOf(s)), n, run, race.Run(s, n)));
            }
          }
        }
      }
      if (!settings.mysql && temporary) {
        for (const char* suffix : {"", "-wal", "-shm"}) {
          std::filesystem::remove(settings.sqlite_path + suffix);
        }
      }
    } else {
      std::cerr << "unknown backend '" << backend << "' (sqlite, mysql, http)\n";
      return 2;
    }
  }

  PrintTable(std::cout, records);
  const bool exact = std::all_of(records.begin(), records.end(),
                                 [](const RunRecord& r) { return r.winners == 1; });
  if (!exact) std::cerr << "FAILED: a run did not have exactly one winner\n";
  return exact ? 0 : 1;
}

}  // namespace
}  // namespace boxoffice::bench

int main(int argc, char** argv) {
  try {
    return boxoffice::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "boxoffice-race-bench: " << e.what() << "\n";
    return 2;
  }
}
