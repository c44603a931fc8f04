#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::contract {

// A fresh, migrated, empty database that cleans up after itself.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual domain::Database& db() = 0;
};

struct SqlBackend {
  std::string name;
  // Null when the backend's server is not configured: the test then skips with skip_reason.
  std::function<std::unique_ptr<TestDatabase>()> open;
  std::string skip_reason;
};

inline void PrintTo(const SqlBackend& backend, std::ostream* os) { *os << backend.name; }

// Every backend the repository contract runs against. Adding MySQL is one line in the .cpp.
std::vector<SqlBackend> SqlBackends();

// BOXOFFICE_TEST_MYSQL_URL, when set and not empty.
std::optional<std::string> TestMysqlUrl();

// BOXOFFICE_TEST_MYSQL_URL taken apart, for tests that open connections of their own.
struct TestMysqlServer {
  std::string url;  // as set
  std::string user;
  std::string password;
  std::string host;
  std::string port;
  std::string database;
  // The URL of database `name` on the same server, as the same user.
  std::string UrlOf(const std::string& name) const;
  // SOCI's MySQL connection string for database `name`.
  std::string ConnectString(const std::string& name) const;
};
// Null when BOXOFFICE_TEST_MYSQL_URL is not set; throws std::invalid_argument when it does not
// look like mysql://user:password@host:port/database.
std::optional<TestMysqlServer> TestMysqlServerFromEnv();

// A unique empty directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline domain::Instant At(std::int64_t ms) { return domain::Instant{domain::Duration{ms}}; }

// Runs `work` in a write transaction that commits, and returns what it returned.
template <class F>
auto Commit(domain::Database& db, F&& work) {
  using T = std::invoke_result_t<F&, domain::Store&>;
  if constexpr (std::is_void_v<T>) {
    auto r = db.Write([&](domain::Store& s) {
      work(s);
      return domain::Result<bool>(true);
    });
    (void)r;
  } else {
    return db.Write([&](domain::Store& s) { return domain::Result<T>(work(s)); }).value();
  }
}

// Runs `work` in a read transaction and returns what it returned.
template <class F>
auto Query(domain::Database& db, F&& work) {
  using T = std::invoke_result_t<F&, domain::Store&>;
  return db.Read([&](domain::Store& s) { return domain::Result<T>(work(s)); }).value();
}

}  // namespace boxoffice::contract
