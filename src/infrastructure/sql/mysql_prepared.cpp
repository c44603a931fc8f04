#include "infrastructure/sql/mysql_prepared.hpp"

#include <mysql.h>
#include <mysqld_error.h>
#include <soci/mysql/soci-mysql.h>

#include <algorithm>

#include "infrastructure/sql/placeholders.hpp"

namespace boxoffice::infra::sql {
namespace {

// A string column's buffer before its first long value (it grows to the longest seen).
constexpr std::size_t kInitialStringBuffer = 64;

}  // namespace

struct MysqlPrepared::Run {
  struct Use {
    std::string name;
    Target target;
    const soci::indicator* indicator;
  };
  struct Into {
    Target target;
    soci::indicator* indicator;
  };
  // A fetched column's state, written by the client library.
  struct Column {
    std::string buffer;  // a string column's bytes
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
  };

  std::vector<Use> uses;
  std::vector<Into> intos;
  std::vector<MYSQL_BIND> parameters;
  std::vector<unsigned long> parameter_lengths;
  std::vector<my_bool> parameter_nulls;
  std::vector<MYSQL_BIND> results;
  std::vector<Column> columns;
  bool has_result = false;
};

std::string MysqlPrepared::Placeholders(const std::string& sql, std::vector<std::string>& names) {
  return ReplacePlaceholders(sql, [&](std::string_view name, std::string& out) {
    names.emplace_back(name);
    out += '?';
  });
}

std::unique_ptr<MysqlPrepared> MysqlPrepared::Prepare(st_mysql* connection, const std::string& sql,
                                                      Refusal& refusal) {
  std::vector<std::string> names;
  const std::string text = Placeholders(sql, names);
  MYSQL_STMT* stmt = mysql_stmt_init(connection);
  if (stmt == nullptr) {
    throw soci::mysql_soci_error(mysql_error(connection),
                                 static_cast<int>(mysql_errno(connection)));
  }
  if (mysql_stmt_prepare(stmt, text.data(), text.size()) != 0) {
    const unsigned int code = mysql_stmt_errno(stmt);
    const std::string message = mysql_stmt_error(stmt);
    mysql_stmt_close(stmt);
    if (code == ER_MAX_PREPARED_STMT_COUNT_REACHED) {
      refusal = Refusal::kServerFull;
      return nullptr;
    }
    if (code == ER_UNSUPPORTED_PS) {
      refusal = Refusal::kNotPreparable;
      return nullptr;
    }
    throw soci::mysql_soci_error(message, static_cast<int>(code));
  }
  if (mysql_stmt_param_count(stmt) != names.size()) {
    // A ':' this reading took for a placeholder, or missed, where the server did not: SOCI's
    // text path reads the statement its own way.
    mysql_stmt_close(stmt);
    refusal = Refusal::kNotPreparable;
    return nullptr;
  }
  return std::unique_ptr<MysqlPrepared>(new MysqlPrepared(stmt, std::move(names)));
}

MysqlPrepared::MysqlPrepared(st_mysql_stmt* stmt, std::vector<std::string> names)
    : stmt_(stmt), names_(std::move(names)), run_(std::make_unique<Run>()) {}

MysqlPrepared::~MysqlPrepared() {
  // On a connection already lost this only frees the handle.
  mysql_stmt_close(stmt_);
}

void MysqlPrepared::AddUse(const std::string& name, Target target,
                           const soci::indicator* indicator) {
  run_->uses.push_back({name, target, indicator});
}

void MysqlPrepared::AddInto(Target target, soci::indicator* indicator) {
  run_->intos.push_back({target, indicator});
}

void MysqlPrepared::Fail() {
  throw soci::mysql_soci_error(mysql_stmt_error(stmt_), static_cast<int>(mysql_stmt_errno(stmt_)));
}

void MysqlPrepared::BindParameters() {
  Run& run = *run_;
  const std::size_t count = names_.size();
  const bool by_name = std::any_of(run.uses.begin(), run.uses.end(),
                                   [](const Run::Use& use) { return !use.name.empty(); });
  if (!by_name && run.uses.size() != count) {
    throw soci::soci_error("Wrong number of parameters.");
  }
  run.parameters.assign(count, MYSQL_BIND{});
  run.parameter_lengths.assign(count, 0);
  run.parameter_nulls.assign(count, 0);
  for (std::size_t i = 0; i < count; ++i) {
    const Run::Use* use = nullptr;
    if (by_name) {
      for (const auto& candidate : run.uses) {
        if (candidate.name == names_[i]) {
          use = &candidate;
          break;
        }
      }
      if (use == nullptr) {
        throw soci::soci_error("Missing use element for bind by name (" + names_[i] + ").");
      }
    } else {
      use = &run.uses[i];
    }
    MYSQL_BIND& bind = run.parameters[i];
    run.parameter_nulls[i] = use->indicator && *use->indicator == soci::i_null;
    bind.is_null = &run.parameter_nulls[i];
    switch (use->target.kind) {
      case Kind::kInt32:
        bind.buffer_type = MYSQL_TYPE_LONG;
        bind.buffer = use->target.value;
        break;
      case Kind::kInt64:
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = use->target.value;
        break;
      case Kind::kDouble:
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = use->target.value;
        break;
      case Kind::kString: {
        auto& text = *static_cast<std::string*>(use->target.value);
        bind.buffer_type = MYSQL_TYPE_STRING;
        bind.buffer = text.data();
        bind.buffer_length = text.size();
        run.parameter_lengths[i] = text.size();
        bind.length = &run.parameter_lengths[i];
        break;
      }
    }
  }
  if (count > 0 && mysql_stmt_bind_param(stmt_, run.parameters.data()) != 0) Fail();
}

void MysqlPrepared::BindResult() {
  Run& run = *run_;
  const std::size_t count = mysql_stmt_field_count(stmt_);
  if (run.intos.size() > count) {
    throw soci::soci_error("more into elements than the statement returns columns");
  }
  run.results.assign(count, MYSQL_BIND{});
  run.columns.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    MYSQL_BIND& bind = run.results[i];
    if (i >= run.intos.size()) {
      bind.buffer_type = MYSQL_TYPE_NULL;  // a column nobody reads
      continue;
    }
    Run::Column& column = run.columns[i];
    bind.is_null = &column.is_null;
    bind.error = &column.error;
    bind.length = &column.length;
    const Target& target = run.intos[i].target;
    switch (target.kind) {
      case Kind::kInt32:
        bind.buffer_type = MYSQL_TYPE_LONG;
        bind.buffer = target.value;
        break;
      case Kind::kInt64:
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = target.value;
        break;
      case Kind::kDouble:
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = target.value;
        break;
      case Kind::kString:
        if (column.buffer.size() < kInitialStringBuffer) column.buffer.resize(kInitialStringBuffer);
        bind.buffer_type = MYSQL_TYPE_STRING;
        bind.buffer = column.buffer.data();
        bind.buffer_length = column.buffer.size();
        break;
    }
  }
  if (count > 0 && mysql_stmt_bind_result(stmt_, run.results.data()) != 0) Fail();
}

bool MysqlPrepared::Execute(bool exchange_data) {
  Run& run = *run_;
  if (run.has_result) {
    mysql_stmt_free_result(stmt_);  // a second run of one statement
    run.has_result = false;
  }
  BindParameters();
  if (mysql_stmt_execute(stmt_) != 0) Fail();
  if (mysql_stmt_field_count(stmt_) == 0) return false;  // not a query: no rows
  if (mysql_stmt_store_result(stmt_) != 0) Fail();
  run.has_result = true;
  BindResult();
  return exchange_data && Fetch();
}

bool MysqlPrepared::Fetch() {
  if (!run_->has_result || run_->intos.empty()) return false;
  const int status = mysql_stmt_fetch(stmt_);
  if (status == MYSQL_NO_DATA) return false;
  if (status != 0 && status != MYSQL_DATA_TRUNCATED) Fail();
  Deliver();
  return true;
}

void MysqlPrepared::Deliver() {
  Run& run = *run_;
  // A string longer than its buffer grows the buffer. The library keeps its own copy of the
  // result bindings, which points at the old buffer until they are bound again: that happens
  // before this returns or throws, so no later fetch writes into freed memory.
  bool grown = false;
  try {
    for (std::size_t i = 0; i < run.intos.size(); ++i) {
      const Run::Into& into = run.intos[i];
      Run::Column& column = run.columns[i];
      if (column.is_null) {
        if (into.indicator == nullptr) {
          throw soci::soci_error("Null value fetched and no indicator defined.");
        }
        *into.indicator = soci::i_null;
        continue;
      }
      if (into.target.kind == Kind::kString) {
        if (column.length > column.buffer.size()) {
          column.buffer.resize(column.length);
          run.results[i].buffer = column.buffer.data();
          run.results[i].buffer_length = column.buffer.size();
          grown = true;
          MYSQL_BIND whole{};
          whole.buffer_type = MYSQL_TYPE_STRING;
          whole.buffer = column.buffer.data();
          whole.buffer_length = column.buffer.size();
          whole.length = &column.length;
          if (mysql_stmt_fetch_column(stmt_, &whole, static_cast<unsigned int>(i), 0) != 0) Fail();
        }
        static_cast<std::string*>(into.target.value)->assign(column.buffer.data(), column.length);
      } else if (column.error) {
        throw soci::soci_error("a fetched value does not fit its into element");
      }
      if (into.indicator) *into.indicator = soci::i_ok;
    }
  } catch (...) {
    if (grown) mysql_stmt_bind_result(stmt_, run.results.data());
    throw;
  }
  if (grown && mysql_stmt_bind_result(stmt_, run.results.data()) != 0) Fail();
}

long long MysqlPrepared::AffectedRows() {
  return static_cast<long long>(mysql_stmt_affected_rows(stmt_));
}

void MysqlPrepared::Finish() {
  Run& run = *run_;
  if (run.has_result) mysql_stmt_free_result(stmt_);
  run.has_result = false;
  run.uses.clear();
  run.intos.clear();
}

}  // namespace boxoffice::infra::sql
