#include "infrastructure/sql/statement_cache.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "contract/sql_backends.hpp"

namespace boxoffice::contract {
namespace {

using infra::sql::Statement;
using infra::sql::StatementCache;

constexpr const char* kSelectValue = "SELECT v FROM t WHERE id = :id";

// Two connections to one SQLite file in WAL mode, as the server's pool opens them.
class StatementCacheTest : public testing::Test {
 protected:
  void SetUp() override {
    const std::string db = "db=" + (dir_.path() / "cache.db").string();
    reader_ = std::make_unique<soci::session>(soci::sqlite3, db);
    writer_ = std::make_unique<soci::session>(soci::sqlite3, db);
    *writer_ << "PRAGMA journal_mode = WAL";
    *writer_ << "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)";
    *writer_ << "INSERT INTO t (id, v) VALUES (1, 10), (2, 20)";
  }
  void TearDown() override { cache_.Clear(); }

  // `sql` (binding :id) run through the cache on the reader; -1 when no row.
  std::int64_t Read(const std::string& sql, std::int64_t id) {
    std::int64_t value = -1;
    Statement st(*reader_, &cache_, sql);
    st.Bind(soci::use(id, "id"), soci::into(value));
    return st.Execute() ? value : -1;
  }

  TempDir dir_;
  std::unique_ptr<soci::session> reader_;
  std::unique_ptr<soci::session> writer_;
  StatementCache cache_;
};

TEST_F(StatementCacheTest, AStatementIsPreparedOnceAndBoundAnewEachTime) {
  EXPECT_EQ(Read(kSelectValue, 1), 10);
  EXPECT_EQ(Read(kSelectValue, 2), 20);
  EXPECT_EQ(Read(kSelectValue, 3), -1);
  EXPECT_EQ(Read(kSelectValue, 1), 10);
  EXPECT_EQ(cache_.prepared(), 1u);
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(StatementCacheTest, AStatementInUseIsNotLentTwice) {
  std::int64_t outer_id = 1;
  std::int64_t outer = 0;
  Statement st(*reader_, &cache_, "SELECT v FROM t WHERE id >= :id ORDER BY id");
  st.Bind(soci::use(outer_id, "id"), soci::into(outer));
  ASSERT_TRUE(st.Execute());
  EXPECT_EQ(outer, 10);
  // The same text while the first is still reading: a statement of its own.
  EXPECT_EQ(Read("SELECT v FROM t WHERE id >= :id ORDER BY id", 2), 20);
  ASSERT_TRUE(st.Fetch());
  EXPECT_EQ(outer, 20);
  EXPECT_FALSE(st.Fetch());
  EXPECT_EQ(cache_.prepared(), 1u);
}

// A single-row read stops on its row. Kept open, it would keep the connection in the read
// transaction it started, and the connection's next statements would not see later commits.
TEST_F(StatementCacheTest, AReturnedStatementNoLongerHoldsItsSnapshot) {
  ASSERT_EQ(Read("SELECT v FROM t WHERE id >= :id ORDER BY id", 1), 10);  // row 2 not read
  *writer_ << "UPDATE t SET v = 11 WHERE id = 1";
  EXPECT_EQ(Read(kSelectValue, 1), 11);
}

TEST_F(StatementCacheTest, ClearFinalisesAndTheNextUsePreparesAgain) {
  EXPECT_EQ(Read(kSelectValue, 1), 10);
  cache_.Clear();
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(Read(kSelectValue, 2), 20);
  EXPECT_EQ(cache_.prepared(), 2u);
}

TEST_F(StatementCacheTest, PastItsCapacityStatementsAreStillRunUncached) {
  for (std::size_t i = 0; i < StatementCache::kCapacity + 10; ++i) {
    EXPECT_EQ(Read("SELECT v + " + std::to_string(i) + " FROM t WHERE id = :id", 1),
              10 + static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(cache_.size(), StatementCache::kCapacity);
}

TEST_F(StatementCacheTest, AFailedStatementGoesBackUsable) {
  *writer_ << "CREATE UNIQUE INDEX t_v ON t (v)";
  const std::string insert = "INSERT INTO t (id, v) VALUES (:id, 10)";
  std::int64_t id = 3;
  {
    Statement st(*reader_, &cache_, insert);
    st.Bind(soci::use(id, "id"));
    EXPECT_THROW(st.Execute(), soci::soci_error);  // v = 10 exists
  }
  *writer_ << "DELETE FROM t WHERE id = 1";
  {
    Statement st(*reader_, &cache_, insert);
    st.Bind(soci::use(id, "id"));
    st.Execute();
    EXPECT_EQ(st.AffectedRows(), 1);
  }
  EXPECT_EQ(Read(kSelectValue, 3), 10);
  EXPECT_EQ(cache_.prepared(), 2u);
}

TEST_F(StatementCacheTest, WithoutACacheEveryStatementIsItsOwn) {
  std::int64_t id = 2;
  std::int64_t value = 0;
  Statement st(*reader_, nullptr, kSelectValue);
  st.Bind(soci::use(id, "id"), soci::into(value));
  ASSERT_TRUE(st.Execute());
  EXPECT_EQ(value, 20);
  EXPECT_EQ(cache_.prepared(), 0u);
}

}  // namespace
}  // namespace boxoffice::contract
