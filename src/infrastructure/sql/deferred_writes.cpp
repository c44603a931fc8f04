#include "infrastructure/sql/deferred_writes.hpp"

#include <mysql.h>
#include <mysqld_error.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <stdexcept>

#include "domain/errors.hpp"

namespace boxoffice::infra::sql {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

void BindParams(Statement& st, const Params& params) {
  for (const auto& p : params) {
    std::visit([&](const auto& value) { st.Bind(soci::use(value, p.name)); }, p.value);
  }
}

std::string DeferredWrites::Rendered(std::string_view sql, const Params& params) const {
  std::string out;
  out.reserve(sql.size() + 64);
  for (std::size_t i = 0; i < sql.size();) {
    if (sql[i] != ':' || i + 1 >= sql.size() || !IsNameChar(sql[i + 1])) {
      out += sql[i++];
      continue;
    }
    std::size_t end = i + 1;
    while (end < sql.size() && IsNameChar(sql[end])) ++end;
    const std::string_view name = sql.substr(i + 1, end - i - 1);
    const auto param =
        std::find_if(params.begin(), params.end(), [&](const Param& p) { return p.name == name; });
    if (param == params.end()) {
      throw std::logic_error("no value for placeholder :" + std::string(name));
    }
    if (const auto* number = std::get_if<std::int64_t>(&param->value)) {
      out += std::to_string(*number);
    } else {
      const auto& text = std::get<std::string>(param->value);
      std::string escaped(text.size() * 2 + 1, '\0');
      const unsigned long length =
          mysql_real_escape_string(connection_, escaped.data(), text.data(), text.size());
      out += '\'';
      out.append(escaped.data(), length);
      out += '\'';
    }
    i = end;
  }
  return out;
}

void DeferredWrites::Add(std::string_view sql, const Params& params, OnDuplicate on_duplicate) {
  statements_.push_back(Rendered(sql, params));
  on_duplicate_.push_back(on_duplicate);
}

void DeferredWrites::Send(bool commit) {
  if (statements_.empty() && !commit) return;
  Flush(commit ? "COMMIT" : "");
}

long long DeferredWrites::SendWith(std::string_view sql, const Params& params) {
  return Flush(Rendered(sql, params));
}

long long DeferredWrites::Flush(std::string_view tail) {
  std::string query;
  for (const auto& statement : statements_) {
    if (!query.empty()) query += ';';
    query += statement;
  }
  if (!tail.empty()) {
    if (!query.empty()) query += ';';
    query += tail;
  }
  // One result per statement, in order; the first failure ends the query.
  if (mysql_real_query(connection_, query.data(), query.size()) != 0) Fail(0);
  long long matched = 0;
  for (std::size_t next = 1;; ++next) {
    if (MYSQL_RES* result = mysql_store_result(connection_)) mysql_free_result(result);
    matched = static_cast<long long>(mysql_affected_rows(connection_));
    const int more = mysql_next_result(connection_);
    if (more == -1) break;
    if (more > 0) Fail(next);
  }
  statements_.clear();
  on_duplicate_.clear();
  return matched;
}

void DeferredWrites::Fail(std::size_t failed) {
  const unsigned number = mysql_errno(connection_);
  const std::string message = mysql_error(connection_);
  const bool conflict = number == ER_DUP_ENTRY && failed < on_duplicate_.size() &&
                        on_duplicate_[failed] == OnDuplicate::kConflict;
  statements_.clear();
  on_duplicate_.clear();
  if (conflict) throw domain::DuplicateRecordError(message);
  throw soci::mysql_soci_error(message, static_cast<int>(number));
}

}  // namespace boxoffice::infra::sql
