#include "infrastructure/sql/mysql_prepared.hpp"

#include <gtest/gtest.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "contract/sql_backends.hpp"
#include "infrastructure/sql/sql_database.hpp"
#include "infrastructure/sql/statement_cache.hpp"

namespace boxoffice::contract {
namespace {

using infra::sql::MysqlPrepared;
using infra::sql::Statement;
using infra::sql::StatementCache;

// The ids of table t past :from, in order (rows 1, 2 and 3 after SetUp).
constexpr const char* kIdsAfter = "SELECT id FROM t WHERE id > :from ORDER BY id";

TEST(MysqlDatabasePlaceholders, NamesBecomeQuestionMarksOutsideQuotes) {
  std::vector<std::string> names;
  const auto text = MysqlPrepared::Placeholders(
      "SELECT ':no', \"a:b\", `c:d`, 'it\\'s :no' FROM t WHERE a = :one AND b = :two_2 "
      "AND c = :one",
      names);
  EXPECT_EQ(text,
            "SELECT ':no', \"a:b\", `c:d`, 'it\\'s :no' FROM t WHERE a = ? AND b = ? AND c = ?");
  EXPECT_EQ(names, (std::vector<std::string>{"one", "two_2", "one"}));
}

// Statements prepared on the server of BOXOFFICE_TEST_MYSQL_URL, in a database of their own.
class MysqlDatabasePrepared : public testing::Test {
 protected:
  void SetUp() override {
    const auto server = TestMysqlServerFromEnv();
    if (!server) GTEST_SKIP() << "set BOXOFFICE_TEST_MYSQL_URL to run the MySQL adapter tests";
    name_ = server->database + "_prep" + std::to_string(getpid());
    admin_.url = server->url;
    infra::RecreateMysqlDatabase(admin_, name_);
    const std::string connect = server->ConnectString(name_);
    session_ = std::make_unique<soci::session>("mysql", connect);
    raw_ = std::make_unique<soci::session>("mysql", connect);
    *raw_ << "CREATE TABLE t (id BIGINT PRIMARY KEY, n INT NULL, big BIGINT NULL, "
             "label VARCHAR(4000) NULL, UNIQUE KEY uq_t_n (n))";
    *raw_ << "INSERT INTO t (id, n, big, label) VALUES (1, 10, 5000000000, 'one'), "
             "(2, 20, 2, NULL), (3, NULL, 3, 'three')";
  }
  void TearDown() override {
    cache_.Clear();
    session_.reset();
    raw_.reset();
    if (!name_.empty()) infra::DropMysqlDatabase(admin_, name_);
  }

  // A counter of the server's, for this test's connection (Com_stmt_prepare, ...).
  long long SessionStatus(const std::string& name) {
    std::string variable;
    std::string value;
    *session_ << "SHOW SESSION STATUS LIKE '" + name + "'", soci::into(variable), soci::into(value);
    return std::stoll(value);
  }
  std::string Label(std::int64_t id) {
    std::string label;
    soci::indicator ind = soci::i_ok;
    Statement st(*session_, &cache_, "SELECT label FROM t WHERE id = :id");
    st.Bind(soci::use(id, "id"), soci::into(label, ind));
    if (!st.Execute()) return "<no row>";
    return ind == soci::i_null ? "<null>" : label;
  }

  std::string name_;
  infra::MysqlSettings admin_;
  std::unique_ptr<soci::session> session_;  // the cache's connection
  std::unique_ptr<soci::session> raw_;      // another one, for setup
  StatementCache cache_{StatementCache::Backend::kMysql};
};

TEST_F(MysqlDatabasePrepared, AStatementIsPreparedOnTheServerOnceAndRunEachTime) {
  const long long prepared = SessionStatus("Com_stmt_prepare");
  const long long executed = SessionStatus("Com_stmt_execute");
  EXPECT_EQ(Label(1), "one");
  EXPECT_EQ(Label(3), "three");
  EXPECT_EQ(Label(2), "<null>");
  EXPECT_EQ(Label(4), "<no row>");
  EXPECT_EQ(cache_.prepared(), 1u);
  EXPECT_EQ(SessionStatus("Com_stmt_prepare") - prepared, 1);
  EXPECT_EQ(SessionStatus("Com_stmt_execute") - executed, 4);
}

TEST_F(MysqlDatabasePrepared, ANameUsedTwiceIsBoundTwiceAndQuotedColonsAreText) {
  std::int64_t a = 21;
  std::int64_t sum = 0;
  std::string text;
  Statement st(*session_, &cache_, "SELECT :a + :a, 'x:y'");
  st.Bind(soci::use(a, "a"), soci::into(sum), soci::into(text));
  ASSERT_TRUE(st.Execute());
  EXPECT_EQ(sum, 42);
  EXPECT_EQ(text, "x:y");
}

TEST_F(MysqlDatabasePrepared, UseValuesAreReadWhenTheStatementRuns) {
  std::int64_t id = 5;
  std::string label = "five";
  int n = 50;
  soci::indicator n_ind = soci::i_ok;
  {
    Statement st(*session_, &cache_, "INSERT INTO t (id, n, label) VALUES (:id, :n, :label)");
    st.Bind(soci::use(id, "id"), soci::use(n, n_ind, "n"), soci::use(label, "label"));
    id = 6;  // bound by reference, as SOCI binds
    label = "six";
    n_ind = soci::i_null;
    EXPECT_FALSE(st.Execute());  // not a query: no row
    EXPECT_EQ(st.AffectedRows(), 1);
  }
  EXPECT_EQ(Label(6), "six");
  long long nulls = -1;
  *raw_ << "SELECT COUNT(*) FROM t WHERE id = 6 AND n IS NULL", soci::into(nulls);
  EXPECT_EQ(nulls, 1);
}

TEST_F(MysqlDatabasePrepared, LongStringsAreFetchedWholeInEveryRow) {
  const std::string long_label(3000, 'x');
  *raw_ << "UPDATE t SET label = '" + long_label + "' WHERE id = 1";
  *raw_ << "UPDATE t SET label = 'short' WHERE id = 2";
  std::int64_t from = 0;
  std::int64_t id = 0;
  std::string label;
  soci::indicator ind = soci::i_ok;
  std::vector<std::string> seen;
  Statement st(*session_, &cache_, "SELECT id, label FROM t WHERE id > :from ORDER BY id");
  st.Bind(soci::use(from, "from"), soci::into(id), soci::into(label, ind));
  ASSERT_TRUE(st.Execute());
  do {
    seen.push_back(ind == soci::i_null ? "<null>" : label);
  } while (st.Fetch());
  EXPECT_EQ(seen, (std::vector<std::string>{long_label, "short", "three"}));
}

TEST_F(MysqlDatabasePrepared, ColumnsPastTheIntoElementsAreNotRead) {
  std::int64_t from = 0;
  std::int64_t id = 0;
  std::vector<std::int64_t> ids;
  Statement st(*session_, &cache_, "SELECT id, label, n FROM t WHERE id > :from ORDER BY id");
  st.Bind(soci::use(from, "from"), soci::into(id));
  ASSERT_TRUE(st.Execute());
  do {
    ids.push_back(id);
  } while (st.Fetch());
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3}));  // row 2's NULL label needs no indicator
}

TEST_F(MysqlDatabasePrepared, ANullWithoutAnIndicatorOrAnOversizedValueIsAnError) {
  std::int64_t id = 3;
  int n = 0;
  {
    Statement st(*session_, &cache_, "SELECT n FROM t WHERE id = :id");
    st.Bind(soci::use(id, "id"), soci::into(n));
    EXPECT_THROW(st.Execute(), soci::soci_error);
  }
  id = 1;
  int big = 0;
  Statement st(*session_, &cache_, "SELECT big FROM t WHERE id = :id");
  st.Bind(soci::use(id, "id"), soci::into(big));
  EXPECT_THROW(st.Execute(), soci::soci_error);  // 5,000,000,000 does not fit an int
}

TEST_F(MysqlDatabasePrepared, AServerErrorCarriesItsNumberAndTheStatementStaysUsable) {
  const std::string insert = "INSERT INTO t (id, n) VALUES (:id, :n)";
  std::int64_t id = 7;
  int n = 10;  // taken by row 1
  {
    Statement st(*session_, &cache_, insert);
    st.Bind(soci::use(id, "id"), soci::use(n, "n"));
    try {
      st.Execute();
      ADD_FAILURE() << "a duplicate key was accepted";
    } catch (const soci::mysql_soci_error& e) {
      EXPECT_EQ(e.err_num_, 1062u);  // ER_DUP_ENTRY, as SOCI's text statements report it
    }
  }
  n = 70;
  Statement st(*session_, &cache_, insert);
  st.Bind(soci::use(id, "id"), soci::use(n, "n"));
  st.Execute();
  EXPECT_EQ(st.AffectedRows(), 1);
  EXPECT_EQ(cache_.prepared(), 1u);
}

TEST_F(MysqlDatabasePrepared, RowsLeftUnreadAreDroppedWhenTheStatementGoesBack) {
  std::int64_t from = 0;
  std::int64_t id = 0;
  {
    Statement st(*session_, &cache_, kIdsAfter);
    st.Bind(soci::use(from, "from"), soci::into(id));
    ASSERT_TRUE(st.Execute());
    EXPECT_EQ(id, 1);
  }
  from = 1;
  Statement st(*session_, &cache_, kIdsAfter);
  st.Bind(soci::use(from, "from"), soci::into(id));
  ASSERT_TRUE(st.Execute());
  EXPECT_EQ(id, 2);
  ASSERT_TRUE(st.Fetch());
  EXPECT_EQ(id, 3);
  EXPECT_FALSE(st.Fetch());
}

TEST_F(MysqlDatabasePrepared, AStatementInUseIsNotLentTwice) {
  std::int64_t from = 0;
  std::int64_t outer = 0;
  Statement st(*session_, &cache_, kIdsAfter);
  st.Bind(soci::use(from, "from"), soci::into(outer));
  ASSERT_TRUE(st.Execute());
  EXPECT_EQ(outer, 1);
  {
    // The same text while the first still has rows to read: SOCI's text statement.
    std::int64_t inner_from = 2;
    std::int64_t inner = 0;
    Statement again(*session_, &cache_, kIdsAfter);
    again.Bind(soci::use(inner_from, "from"), soci::into(inner));
    ASSERT_TRUE(again.Execute());
    EXPECT_EQ(inner, 3);
  }
  ASSERT_TRUE(st.Fetch());
  EXPECT_EQ(outer, 2);
  EXPECT_EQ(cache_.prepared(), 1u);
}

// Past its capacity a connection closes the statement it lent least recently, so the statements
// it keeps open on the server never number more than the capacity.
TEST_F(MysqlDatabasePrepared, PastItsCapacityTheStatementLentLeastRecentlyIsClosed) {
  const auto open_on_server = [&] {
    std::string name;
    long long count = -1;
    *raw_ << "SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'", soci::into(name), soci::into(count);
    return count;
  };
  const auto select = [&](std::size_t i) {
    std::int64_t id = 1;
    std::int64_t value = 0;
    Statement st(*session_, &cache_, "SELECT id + " + std::to_string(i) + " FROM t WHERE id = :id");
    EXPECT_TRUE(st.PreparedOnMysql());
    st.Bind(soci::use(id, "id"), soci::into(value));
    EXPECT_TRUE(st.Execute());
    return value;
  };
  const long long before = open_on_server();
  const std::size_t capacity = StatementCache::kMysqlCapacity;
  for (std::size_t i = 0; i < capacity; ++i) EXPECT_EQ(select(i), 1 + static_cast<std::int64_t>(i));
  EXPECT_EQ(select(0), 1);  // lent again: now the most recent, statement 1 the least
  EXPECT_EQ(cache_.prepared(), capacity);
  for (std::size_t i = capacity; i < capacity + 5; ++i) {
    EXPECT_EQ(select(i), 1 + static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(cache_.size(), capacity);
  EXPECT_EQ(open_on_server() - before, static_cast<long long>(capacity));
  EXPECT_EQ(select(0), 1);  // still kept
  EXPECT_EQ(cache_.prepared(), capacity + 5);
  EXPECT_EQ(select(1), 2);  // closed, so prepared again
  EXPECT_EQ(cache_.prepared(), capacity + 6);
}

// MariaDB cannot prepare PREPARE itself (ER_UNSUPPORTED_PS), as MySQL 8 cannot prepare START
// TRANSACTION: such a statement runs as SOCI's text, and the cache does not ask again.
TEST_F(MysqlDatabasePrepared, AStatementTheServerCannotPrepareRunsAsText) {
  for (int i = 0; i < 2; ++i) {
    Statement st(*session_, &cache_, "PREPARE boxoffice_inner FROM 'SELECT 41 + 1'");
    EXPECT_FALSE(st.PreparedOnMysql());
    st.Execute();
  }
  EXPECT_EQ(cache_.size(), 0u);
  int answer = 0;
  *session_ << "EXECUTE boxoffice_inner", soci::into(answer);
  EXPECT_EQ(answer, 42);
}

TEST_F(MysqlDatabasePrepared, ExecuteWithoutExchangeAndStatementsWithoutIntoFetchNothing) {
  std::int64_t from = 0;
  std::int64_t id = 0;
  Statement st(*session_, &cache_, kIdsAfter);
  st.Bind(soci::use(from, "from"), soci::into(id));
  EXPECT_FALSE(st.Execute(false));  // as SOCI: rows are there, none fetched yet
  std::vector<std::int64_t> ids;
  while (st.Fetch()) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3}));
  // The same statement run again, with another value.
  from = 2;
  ASSERT_TRUE(st.Execute());
  EXPECT_EQ(id, 3);
  EXPECT_FALSE(st.Fetch());

  Statement no_into(*session_, &cache_, "SELECT id, label FROM t WHERE id > :from");
  no_into.Bind(soci::use(from, "from"));
  EXPECT_FALSE(no_into.Execute());
  EXPECT_FALSE(no_into.Fetch());
}

TEST_F(MysqlDatabasePrepared, EmptyStringsAndAMissingNameAreKeptApart) {
  std::int64_t id = 8;
  std::string empty;
  {
    Statement st(*session_, &cache_, "INSERT INTO t (id, label) VALUES (:id, :label)");
    st.Bind(soci::use(id, "id"), soci::use(empty, "label"));
    st.Execute();
  }
  EXPECT_EQ(Label(8), "");  // empty, not NULL
  Statement st(*session_, &cache_, "SELECT label FROM t WHERE id = :id");
  std::string label;
  st.Bind(soci::use(id, "other"), soci::into(label));
  EXPECT_THROW(st.Execute(), soci::soci_error);  // no use element named "id"
}

// The server counts prepared statements across all connections (max_prepared_stmt_count). At
// its limit a statement is run as text; once cleared, the connection prepares again.
// Setting the limit needs the server's root account, over the socket of the private server that
// scripts/test-mysql-contract starts (BOXOFFICE_TEST_MARIADB_DIR).
TEST_F(MysqlDatabasePrepared, AtTheServersLimitStatementsAreRunAsText) {
  const char* dir = std::getenv("BOXOFFICE_TEST_MARIADB_DIR");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "set BOXOFFICE_TEST_MARIADB_DIR (scripts/test-mysql-contract does) to change "
                    "the server's limit";
  }
  long long limit = 0;
  *raw_ << "SELECT @@GLOBAL.max_prepared_stmt_count", soci::into(limit);
  const auto set_limit = [&](long long value) {
    const std::string command = "mariadb --defaults-file='" + std::string(dir) +
                                "/my.cnf' --protocol=socket -uroot -e "
                                "'SET GLOBAL max_prepared_stmt_count = " +
                                std::to_string(value) + "'";
    return std::system(command.c_str()) == 0;
  };
  ASSERT_TRUE(set_limit(0));
  struct Restore {
    std::function<bool(long long)> set;
    long long limit;
    ~Restore() { EXPECT_TRUE(set(limit)); }
  } restore{set_limit, limit};
  EXPECT_EQ(Label(1), "one");
  EXPECT_EQ(Label(3), "three");
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(cache_.prepared(), 0u);
  cache_.Clear();
  ASSERT_TRUE(set_limit(limit));
  EXPECT_EQ(Label(1), "one");
  EXPECT_EQ(cache_.prepared(), 1u);
}

}  // namespace
}  // namespace boxoffice::contract
