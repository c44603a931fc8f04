#include "contract/sql_backends.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <regex>
#include <stdexcept>

#include "infrastructure/sql/sql_database.hpp"

namespace boxoffice::contract {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "boxoffice-sql-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

class SqliteTestDatabase final : public TestDatabase {
 public:
  SqliteTestDatabase() {
    settings_.path = (dir_.path() / "test.db").string();
    settings_.pool_size = 8;
    settings_.busy_timeout_ms = 10'000;
    // The contract is about semantics, not durability; NORMAL keeps the suites fast.
    settings_.synchronous_full = false;
    infra::MigrateSqlite(settings_);
    db_ = infra::OpenSqlite(settings_);
  }
  domain::Database& db() override { return *db_; }

 private:
  TempDir dir_;
  infra::SqliteSettings settings_;
  std::unique_ptr<infra::SqlDatabase> db_;
};

// A MariaDB/MySQL server for the contract: BOXOFFICE_TEST_MYSQL_URL names a database whose user
// may also create and drop databases `<name>_*` (scripts/mariadb grants that).
constexpr const char* kMysqlUrlVariable = "BOXOFFICE_TEST_MYSQL_URL";

// Every test gets its own freshly migrated database, dropped afterwards, so ids start at 1 and
// tests never see each other's rows.
class MysqlTestDatabase final : public TestDatabase {
 public:
  explicit MysqlTestDatabase(const std::string& url) {
    const auto slash = url.rfind('/');
    if (slash == std::string::npos || url.find('?', slash) != std::string::npos) {
      throw std::invalid_argument(std::string(kMysqlUrlVariable) +
                                  " must look like mysql://user:password@host:port/database");
    }
    static std::atomic<int> counter{0};
    name_ =
        url.substr(slash + 1) + "_t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    admin_.url = url;
    infra::RecreateMysqlDatabase(admin_, name_);
    settings_.url = url.substr(0, slash + 1) + name_;
    // As many connections as the racing tests have threads, so they race on rows, not the pool.
    settings_.pool_size = 16;
    infra::MigrateMysql(settings_);
    db_ = infra::OpenMysql(settings_);
  }
  ~MysqlTestDatabase() override {
    db_.reset();
    try {
      infra::DropMysqlDatabase(admin_, name_);
    } catch (const std::exception&) {
      // A leftover test database is harmless; the next run with this pid drops it first.
    }
  }
  domain::Database& db() override { return *db_; }

 private:
  std::string name_;
  infra::MysqlSettings admin_;
  infra::MysqlSettings settings_;
  std::unique_ptr<infra::SqlDatabase> db_;
};

}  // namespace

std::optional<std::string> TestMysqlUrl() {
  const char* url = std::getenv(kMysqlUrlVariable);
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

std::string TestMysqlServer::UrlOf(const std::string& name) const {
  return url.substr(0, url.rfind('/') + 1) + name;
}

std::string TestMysqlServer::ConnectString(const std::string& name) const {
  return "host=" + host + " port=" + port + " user=" + user + " password=" + password +
         " dbname=" + name;
}

std::optional<TestMysqlServer> TestMysqlServerFromEnv() {
  auto url = TestMysqlUrl();
  if (!url) return std::nullopt;
  static const std::regex kUrl(R"(mysql://([^:@/]+):([^@/]*)@([^:/]+):(\d+)/(\w+))");
  std::smatch m;
  if (!std::regex_match(*url, m, kUrl)) {
    throw std::invalid_argument(std::string(kMysqlUrlVariable) +
                                " must look like mysql://user:password@host:port/database");
  }
  return TestMysqlServer{*url, m[1].str(), m[2].str(), m[3].str(), m[4].str(), m[5].str()};
}

std::vector<SqlBackend> SqlBackends() {
  return {
      {"Sqlite", [] { return std::make_unique<SqliteTestDatabase>(); }},
      {"Mysql",
       []() -> std::unique_ptr<TestDatabase> {
         auto url = TestMysqlUrl();
         if (!url) return nullptr;
         return std::make_unique<MysqlTestDatabase>(*url);
       },
       "MySQL contract skipped: set BOXOFFICE_TEST_MYSQL_URL (scripts/test-mysql-contract "
       "starts a MariaDB and does)"},
  };
}

}  // namespace boxoffice::contract
