#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "infrastructure/sql/statement_cache.hpp"

struct st_mysql;  // MYSQL, from <mysql.h>

namespace boxoffice::infra::sql {

// Thrown when a write the transaction assumed would succeed did not (DeferredWrites::Expect):
// the transaction is rolled back and runs again without assuming, one statement at a time, so
// its code sees each outcome as it happens and takes its usual branch (ADR 0018).
class AssumptionFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A value for the named placeholder `:name` of a statement.
struct Param {
  std::string name;
  std::variant<std::int64_t, std::string> value;
};
using Params = std::vector<Param>;

// Binds `params` to `st` by reference: they must outlive the statement's execution.
void BindParams(Statement& st, const Params& params);

// Writes of one MySQL write transaction held back and sent in one round trip with what comes
// next: the transaction's COMMIT, or the statement before which they are flushed (ADR 0016).
// A write can wait when the transaction branches on nothing it returns (no affected-row count,
// no insert id), so the inserts of rows that end a transaction (a reservation's seats, an
// outbox row, an idempotency record) ride with its COMMIT instead of costing a round trip each.
//
// Order is kept: every other statement of the transaction sends the held writes first
// (SqlRepository does so before each statement it prepares), so a later statement sees them and
// locks are taken in the order the code states. Statements run on the session directly
// (sweepers' helpers, migrations) do not flush: they never follow a held write.
//
// The session must allow several statements per query (CLIENT_MULTI_STATEMENTS, set on the
// write sessions). Values are written into the text, escaped by the connection, as SOCI's MySQL
// backend also does (sql::ReplacePlaceholders); outside quoted text, a deferred statement's ':'
// must start a placeholder.
class DeferredWrites {
 public:
  // What a duplicate-key error of a held write means.
  enum class OnDuplicate {
    kFail,      // a broken statement: thrown as the database's error
    kConflict,  // another transaction has the key: domain::DuplicateRecordError
    kAssumed,   // the transaction assumed there was none: AssumptionFailed
  };

  // `assume`: whether this run of the transaction may assume that its conditional writes
  // succeed (Expect). The first run does; a run after an AssumptionFailed does not.
  DeferredWrites(st_mysql* connection, bool assume) : connection_(connection), assume_(assume) {}

  void Add(std::string_view sql, const Params& params, OnDuplicate on_duplicate);
  bool empty() const { return held_.empty(); }

  // Whether the transaction may hold a conditional write as if it had succeeded (Expect).
  bool assuming() const { return assume_; }
  // Holds a conditional write that must match exactly `rows` rows (ADR 0018). It is checked when
  // the held writes are next sent, which is before the COMMIT: a write that matched another
  // number fails that send with AssumptionFailed. Only while assuming().
  void Expect(std::string_view sql, const Params& params, long long rows);

  // Sends the held writes and then the write `sql` as one query, and returns the rows `sql`
  // matched (the connection counts found rows, as SOCI's MySQL backend does); an insert's id is
  // then the connection's last insert id. Failures as Send.
  long long SendWith(std::string_view sql, const Params& params);
  // Sends the held writes and then the query `sql`, which returns at most one row of one integer
  // column, as one query; the value, or nullopt without a row (or a NULL). Failures as Send.
  std::optional<long long> SendWithValue(std::string_view sql, const Params& params);

  // Sends the held writes, then COMMIT when `commit`, as one query, and reads every result.
  // Nothing is held afterwards, whatever happens. The first write that fails stops the rest
  // (and the COMMIT): its error is thrown as soci::mysql_soci_error with the server's error
  // number, so the caller's retry and rollback rules apply, or as domain::DuplicateRecordError
  // for a kConflict write's duplicate key. A held Expect write that matched another number of
  // rows, or a kAssumed write's duplicate key, throws AssumptionFailed; the COMMIT is never sent
  // with an Expect write, so it cannot land after a failed one. The transaction is then still
  // open: roll it back.
  void Send(bool commit);

 private:
  struct Held {
    std::string sql;
    OnDuplicate on_duplicate;
    long long expected_rows;  // kAnyRows unless held by Expect
  };
  static constexpr long long kAnyRows = -1;

  // Sends the held writes, then `tail` when not empty, as one query; the rows the last
  // statement matched. When `value` is given, the last statement's first row's first column is
  // stored in it (nullopt without one).
  long long Flush(std::string_view tail, std::optional<long long>* value = nullptr);
  [[noreturn]] void Fail(std::size_t failed);
  std::string Rendered(std::string_view sql, const Params& params) const;

  st_mysql* connection_;
  bool assume_;
  std::vector<Held> held_;
};

}  // namespace boxoffice::infra::sql
