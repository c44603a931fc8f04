#include "infrastructure/sql/deferred_writes.hpp"

#include <mysql.h>
#include <mysqld_error.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <stdexcept>

#include "domain/errors.hpp"
#include "infrastructure/sql/placeholders.hpp"

namespace boxoffice::infra::sql {
void BindParams(Statement& st, const Params& params) {
  for (const auto& p : params) {
    std::visit([&](const auto& value) { st.Bind(soci::use(value, p.name)); }, p.value);
  }
}

std::string DeferredWrites::Rendered(std::string_view sql, const Params& params) const {
  return ReplacePlaceholders(sql, [&](std::string_view name, std::string& out) {
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
  });
}

void DeferredWrites::Add(std::string_view sql, const Params& params, OnDuplicate on_duplicate) {
  held_.push_back({Rendered(sql, params), on_duplicate, kAnyRows});
}

void DeferredWrites::Expect(std::string_view sql, const Params& params, long long rows) {
  if (!assume_) throw std::logic_error("DeferredWrites::Expect outside an assuming run");
  held_.push_back({Rendered(sql, params), OnDuplicate::kFail, rows});
}

void DeferredWrites::Send(bool commit) {
  if (held_.empty() && !commit) return;
  const bool expecting = std::any_of(held_.begin(), held_.end(),
                                     [](const Held& h) { return h.expected_rows != kAnyRows; });
  // An Expect write is checked from its result, which is read only after the whole query ran:
  // it must not share a query with the COMMIT.
  if (commit && expecting) Flush("");
  Flush(commit ? "COMMIT" : "");
}

long long DeferredWrites::SendWith(std::string_view sql, const Params& params) {
  return Flush(Rendered(sql, params));
}

std::optional<long long> DeferredWrites::SendWithValue(std::string_view sql, const Params& params) {
  std::optional<long long> value;
  Flush(Rendered(sql, params), &value);
  return value;
}

long long DeferredWrites::Flush(std::string_view tail, std::optional<long long>* value) {
  std::string query;
  for (const auto& held : held_) {
    if (!query.empty()) query += ';';
    query += held.sql;
  }
  if (!tail.empty()) {
    if (!query.empty()) query += ';';
    query += tail;
  }
  // One result per statement, in order; the first failure ends the query. A held write that
  // missed its expected count does not: the statements after it ran, and their results are read
  // so that the connection is ready for the ROLLBACK.
  std::optional<std::size_t> missed;
  if (mysql_real_query(connection_, query.data(), query.size()) != 0) Fail(0);
  long long matched = 0;
  for (std::size_t next = 1;; ++next) {
    MYSQL_RES* result = mysql_store_result(connection_);
    if (result && value && next == held_.size() + 1) {
      MYSQL_ROW row = mysql_fetch_row(result);
      if (row && row[0]) *value = std::stoll(row[0]);
    }
    if (result) mysql_free_result(result);
    matched = static_cast<long long>(mysql_affected_rows(connection_));
    const std::size_t index = next - 1;
    if (!missed && index < held_.size() && held_[index].expected_rows != kAnyRows &&
        matched != held_[index].expected_rows) {
      missed = index;
    }
    const int more = mysql_next_result(connection_);
    if (more == -1) break;
    if (more > 0) {
      if (missed) break;  // the miss came first: it is what the rerun must see
      Fail(next);
    }
  }
  held_.clear();
  if (missed) throw AssumptionFailed("a write assumed to succeed did not");
  return matched;
}

void DeferredWrites::Fail(std::size_t failed) {
  const unsigned number = mysql_errno(connection_);
  const std::string message = mysql_error(connection_);
  const OnDuplicate on_duplicate =
      failed < held_.size() ? held_[failed].on_duplicate : OnDuplicate::kFail;
  held_.clear();
  if (number == ER_DUP_ENTRY && on_duplicate == OnDuplicate::kConflict) {
    throw domain::DuplicateRecordError(message);
  }
  if (number == ER_DUP_ENTRY && on_duplicate == OnDuplicate::kAssumed) {
    throw AssumptionFailed(message);
  }
  throw soci::mysql_soci_error(message, static_cast<int>(number));
}

}  // namespace boxoffice::infra::sql
