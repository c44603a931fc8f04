#include "contract/sql_backends.hpp"

#include <stdlib.h>

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

}  // namespace

std::vector<SqlBackend> SqlBackends() {
  return {
      {"Sqlite", [] { return std::make_unique<SqliteTestDatabase>(); }},
  };
}

}  // namespace boxoffice::contract
