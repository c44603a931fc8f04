#pragma once

#include <soci/soci.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

struct st_mysql;       // MYSQL, from <mysql.h>
struct st_mysql_stmt;  // MYSQL_STMT

namespace boxoffice::infra::sql {

// A statement prepared on the MySQL server and run with the binary protocol (ADR 0020). SOCI's
// MySQL backend sends every statement as text, which the server parses again each time; a
// statement prepared once per connection is only run afterwards, and MariaDB spent about a
// fifth less CPU on the hold's statements that way (docs/performance.md).
//
// Its bindings follow SOCI's: use values are read when the statement runs, into values are
// written by each fetch, and a NULL fetched into an element without an indicator throws. The
// types bound are those this adapter uses (32- and 64-bit signed integers, double,
// std::string); any other fails to compile. Not thread-safe: one run at a time.
class MysqlPrepared {
 public:
  // Why the server did not prepare a statement (Prepare returned null).
  enum class Refusal {
    kServerFull,     // it holds as many prepared statements as it allows
                     // (max_prepared_stmt_count); others may be prepared once some are closed
    kNotPreparable,  // not this statement: the server cannot prepare it (ER_UNSUPPORTED_PS, such
                     // as START TRANSACTION on MySQL 8), or its placeholders were not read as
                     // the server reads them
  };
  // `sql` with SOCI's ":name" placeholders, each sent to the server as "?". Null, with the reason
  // in `refusal`, when the server will not prepare it: run the statement as text instead. Throws
  // soci::mysql_soci_error for any other refusal (a lost connection, a syntax error).
  static std::unique_ptr<MysqlPrepared> Prepare(st_mysql* connection, const std::string& sql,
                                                Refusal& refusal);
  ~MysqlPrepared();
  MysqlPrepared(const MysqlPrepared&) = delete;
  MysqlPrepared& operator=(const MysqlPrepared&) = delete;

  template <class T>
  void Bind(const soci::details::use_container<T, soci::details::no_indicator>& use) {
    AddUse(use.name, TargetOf(use.t), nullptr);
  }
  template <class T>
  void Bind(const soci::details::use_container<T, soci::indicator>& use) {
    AddUse(use.name, TargetOf(use.t), &use.ind);
  }
  template <class T>
  void Bind(const soci::details::into_container<T, soci::details::no_indicator>& into) {
    AddInto(TargetOf(into.t), nullptr);
  }
  template <class T>
  void Bind(const soci::details::into_container<T, soci::indicator>& into) {
    AddInto(TargetOf(into.t), &into.ind);
  }

  // As soci::statement::execute: runs the statement with the bound use values and, with
  // `exchange_data`, fetches the first row. True when a row was fetched (so always false without
  // `exchange_data`, or without into elements).
  bool Execute(bool exchange_data);
  // The next row into the into elements; false when there is none (or no into elements).
  bool Fetch();
  long long AffectedRows();
  // Ends the run: rows left unread are dropped and the bindings forgotten, so the statement can
  // be lent again.
  void Finish();

  // The placeholders' names in order, one per "?" (a name used twice is listed twice).
  const std::vector<std::string>& names() const { return names_; }
  // `sql` with each ":name" outside quotes replaced by "?"; the names go to `names` in order.
  static std::string Placeholders(const std::string& sql, std::vector<std::string>& names);

 private:
  enum class Kind { kInt32, kInt64, kDouble, kString };
  struct Target {
    Kind kind;
    void* value;
  };
  struct Run;  // the bindings of the current run (MYSQL_BIND arrays), kept between runs

  MysqlPrepared(st_mysql_stmt* stmt, std::vector<std::string> names);

  template <class>
  static constexpr bool kUnsupported = false;

  template <class T>
  static Target TargetOf(T& value) {
    using U = std::remove_const_t<T>;
    auto* p = const_cast<U*>(&value);  // a use element is only read
    if constexpr (std::is_same_v<U, std::string>) {
      return {Kind::kString, p};
    } else if constexpr (std::is_same_v<U, double>) {
      return {Kind::kDouble, p};
    } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U> && sizeof(U) == 4) {
      return {Kind::kInt32, p};
    } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U> && sizeof(U) == 8) {
      return {Kind::kInt64, p};
    } else {
      static_assert(kUnsupported<U>, "type not bound by the MySQL prepared statements");
    }
  }

  void AddUse(const std::string& name, Target target, const soci::indicator* indicator);
  void AddInto(Target target, soci::indicator* indicator);
  void BindParameters();
  void BindResult();
  void Deliver();
  [[noreturn]] void Fail();

  st_mysql_stmt* stmt_;
  std::vector<std::string> names_;
  std::unique_ptr<Run> run_;
};

}  // namespace boxoffice::infra::sql
