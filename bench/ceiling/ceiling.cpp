// boxoffice-ceiling: how many single-row update transactions per second this machine's database
// commits, with the durability settings and connection count the server uses. Each transaction
// is what the server's cheapest contended write is: BEGIN, one UPDATE of one row by primary key,
// COMMIT. The number bounds every endpoint that commits a write, so scripts/bench reports the
// endpoints as a fraction of it.
//
//   boxoffice-ceiling --backend sqlite --path /tmp/x.db --seconds 5
//   boxoffice-ceiling --backend mysql --db-url mysql://u:p@127.0.0.1:3306/db --seconds 5
//
// Prints one JSON object on stdout. Rows are spread over the connections (no two connections
// touch the same row) unless --hot, where every connection updates row 1. --read measures point
// SELECTs by primary key in autocommit instead: the ceiling of the endpoints that only read.
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string backend = "sqlite";
  std::string path;     // sqlite
  std::string db_url;   // mysql
  int connections = 0;  // 0: the server's default pool size for the backend
  double seconds = 5.0;
  int rows_per_connection = 16;
  bool hot = false;
  bool read = false;  // point SELECTs in autocommit instead of update transactions
  std::string synchronous = "full";
  int busy_timeout_ms = 5000;
};

std::string PercentDecode(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out.push_back(static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::string Quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// mysql://user:password@host[:port]/database as SOCI's connection string.
std::string MysqlConnectString(const std::string& url) {
  const std::string scheme = "mysql://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("--db-url must start with mysql://");
  std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size()) {
    throw std::invalid_argument("--db-url must name a database: mysql://u:p@host:port/db");
  }
  const std::string database = rest.substr(slash + 1);
  std::string authority = rest.substr(0, slash);
  std::string user, password;
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    const std::string info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = info.find(':');
    user = PercentDecode(info.substr(0, colon));
    if (colon != std::string::npos) password = PercentDecode(info.substr(colon + 1));
  }
  std::string host = authority, port = "3306";
  if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  std::string out = "host=" + Quote(host) + " port=" + port + " dbname=" + Quote(database);
  if (!user.empty()) out += " user=" + Quote(user);
  if (!password.empty()) out += " password=" + Quote(password);
  return out + " charset=utf8mb4";
}

// A session configured as the server configures its pooled connections.
std::unique_ptr<soci::session> Connect(const Options& options) {
  if (options.backend == "sqlite") {
    auto session = std::make_unique<soci::session>(soci::sqlite3, "db=" + options.path);
    *session << "PRAGMA busy_timeout = " + std::to_string(options.busy_timeout_ms);
    std::string mode;
    *session << "PRAGMA journal_mode = WAL", soci::into(mode);
    *session << (options.synchronous == "full" ? "PRAGMA synchronous = FULL"
                                               : "PRAGMA synchronous = NORMAL");
    return session;
  }
  auto session = std::make_unique<soci::session>(soci::mysql, MysqlConnectString(options.db_url));
  *session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
  *session << "SET SESSION innodb_lock_wait_timeout = 10";
  return session;
}

std::string BeginStatement(const Options& options) {
  // The server's write transactions: BEGIN IMMEDIATE on SQLite (see src/infrastructure/sql).
  return options.backend == "sqlite" ? "BEGIN IMMEDIATE" : "START TRANSACTION";
}

void CreateTable(const Options& options, int rows) {
  auto session = Connect(options);
  *session << "DROP TABLE IF EXISTS ceiling_counter";
  *session << (options.backend == "sqlite"
                   ? "CREATE TABLE ceiling_counter (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"
                   : "CREATE TABLE ceiling_counter (id BIGINT PRIMARY KEY, v BIGINT NOT NULL) "
                     "ENGINE=InnoDB");
  *session << BeginStatement(options);
  for (int id = 1; id <= rows; ++id) {
    *session << "INSERT INTO ceiling_counter (id, v) VALUES (:id, 0)", soci::use(id);
  }
  *session << "COMMIT";
}

struct WorkerResult {
  std::vector<std::int64_t> latencies_us;
  std::int64_t errors = 0;
  std::string first_error;
};

void Work(const Options& options, int index, const Clock::time_point& deadline,
          const std::atomic<bool>& go, std::atomic<int>& connected, WorkerResult& result) {
  auto session = Connect(options);
  const std::string begin = BeginStatement(options);
  int id = 0;
  long long value = 0;
  soci::statement update =
      (session->prepare << "UPDATE ceiling_counter SET v = v + 1 WHERE id = :id", soci::use(id));
  soci::statement select = (session->prepare << "SELECT v FROM ceiling_counter WHERE id = :id",
                            soci::use(id), soci::into(value));
  connected.fetch_add(1);
  while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  std::int64_t n = 0;
  while (true) {
    const auto start = Clock::now();
    if (start >= deadline) break;
    id = options.hot ? 1
                     : index * options.rows_per_connection + 1 +
                           static_cast<int>(n % options.rows_per_connection);
    ++n;
    try {
      if (options.read) {
        if (!select.execute(true)) throw std::runtime_error("row not found");
      } else {
        *session << begin;
        update.execute(true);
        if (update.get_affected_rows() != 1) throw std::runtime_error("row not updated");
        *session << "COMMIT";
      }
      result.latencies_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    } catch (const std::exception& e) {
      ++result.errors;
      if (result.first_error.empty()) result.first_error = e.what();
      try {
        *session << "ROLLBACK";
      } catch (const std::exception&) {
        // No transaction was open: nothing to undo.
      }
    }
  }
}

double Percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[rank]) / 1000.0;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

int Run(Options options) {
  if (options.connections == 0) options.connections = options.backend == "sqlite" ? 8 : 16;
  const int rows = options.hot ? 1 : options.connections * options.rows_per_connection;
  CreateTable(options, rows);

  // Every connection opens before the clock starts, so the measurement holds no connects: the
  // workers wait for `go`, which is released after `deadline` is written.
  std::atomic<bool> go{false};
  Clock::time_point deadline;
  std::vector<WorkerResult> results(options.connections);
  std::vector<std::thread> threads;
  std::atomic<int> connected{0};
  std::atomic<bool> failed{false};
  std::string connect_error;
  for (int i = 0; i < options.connections; ++i) {
    threads.emplace_back([&, i] {
      try {
        Work(options, i, deadline, go, connected, results[i]);
      } catch (const std::exception& e) {
        if (!failed.exchange(true)) connect_error = e.what();
        connected.fetch_add(1);
      }
    });
  }
  while (connected.load() < options.connections) std::this_thread::yield();
  const auto start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(options.seconds));
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) {
    std::cerr << "boxoffice-ceiling: " << connect_error << "\n";
    return 1;
  }

  std::vector<std::int64_t> all;
  std::int64_t errors = 0;
  std::string first_error;
  for (const auto& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    errors += r.errors;
    if (first_error.empty()) first_error = r.first_error;
  }
  std::sort(all.begin(), all.end());
  const double tps = static_cast<double>(all.size()) / elapsed;
  std::cout << "{\"backend\":" << JsonString(options.backend) << ",\"mode\":"
            << JsonString(options.read  ? "point-read"
                          : options.hot ? "hot-row"
                                        : "distinct-rows")
            << ",\"connections\":" << options.connections << ",\"synchronous\":"
            << JsonString(options.backend == "sqlite" ? options.synchronous : "flush_at_commit")
            << ",\"seconds\":" << elapsed << ",\"transactions\":" << all.size()
            << ",\"errors\":" << errors << ",\"tps\":" << tps
            << ",\"p50_ms\":" << Percentile(all, 50) << ",\"p99_ms\":" << Percentile(all, 99)
            << ",\"first_error\":" << JsonString(first_error) << "}\n";
  return all.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"Single-row update transactions per second, as the server's database commits them"};
  app.add_option("--backend", options.backend, "sqlite or mysql")
      ->check(CLI::IsMember({"sqlite", "mysql"}));
  app.add_option("--path", options.path, "SQLite file (created; the table is replaced)");
  app.add_option("--db-url", options.db_url, "mysql://user:password@host:port/database");
  app.add_option("--connections", options.connections,
                 "concurrent connections (default: the server's pool size, 8 SQLite, 16 MySQL)")
      ->check(CLI::Range(1, 512));
  app.add_option("--seconds", options.seconds, "measured duration")->check(CLI::Range(0.1, 600.0));
  app.add_option("--rows-per-connection", options.rows_per_connection)->check(CLI::Range(1, 10000));
  app.add_flag("--hot", options.hot, "every connection updates the same row");
  app.add_flag("--read", options.read, "point SELECTs by primary key instead of updates");
  app.add_option("--synchronous", options.synchronous,
                 "SQLite: full (the server's default) or normal")
      ->check(CLI::IsMember({"full", "normal"}));
  CLI11_PARSE(app, argc, argv);
  if (options.backend == "sqlite" && options.path.empty()) {
    std::cerr << "boxoffice-ceiling: --path is required with --backend sqlite\n";
    return 2;
  }
  if (options.backend == "mysql" && options.db_url.empty()) {
    std::cerr << "boxoffice-ceiling: --db-url is required with --backend mysql\n";
    return 2;
  }
  try {
    return Run(options);
  } catch (const std::exception& e) {
    std::cerr << "boxoffice-ceiling: " << e.what() << "\n";
    return 1;
  }
}
