#pragma once

#include <span>
#include <string_view>

namespace boxoffice::infra {

struct Migration {
  int version = 0;
  std::string_view name;
  std::string_view sql;  // statements each ending with ';' at the end of a line
};

// The SQLite migrations compiled into the binary, in version order.
std::span<const Migration> SqliteMigrations();
// The MySQL/MariaDB migrations compiled into the binary, in version order.
std::span<const Migration> MysqlMigrations();

}  // namespace boxoffice::infra
