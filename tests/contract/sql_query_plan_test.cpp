#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "contract/sql_backends.hpp"
#include "infrastructure/sql/sql_database.hpp"
#include "infrastructure/sql/sql_statements.hpp"

namespace boxoffice::contract {
namespace {

// SQLite picks indexes without statistics, by the shape of the WHERE clause. These statements
// run on every hold, payment and dates listing of a rush; by idx_seat_state_held_until they
// would walk every held seat of every date instead of the few rows they are about.
class SqliteQueryPlanTest : public testing::Test {
 protected:
  void SetUp() override {
    infra::SqliteSettings settings;
    settings.path = (dir_.path() / "plans.db").string();
    infra::MigrateSqlite(settings);
    ASSERT_EQ(sqlite3_open(settings.path.c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }

  // The EXPLAIN QUERY PLAN lines of `sql`, one per line.
  std::string Plan(std::string sql) {
    if (auto in = sql.find("{in}"); in != std::string::npos) sql.replace(in, 4, ":a, :b");
    sqlite3_stmt* st = nullptr;
    const std::string explain = "EXPLAIN QUERY PLAN " + sql;
    if (sqlite3_prepare_v2(db_, explain.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sqlite3_errmsg(db_) << " in " << sql;
      return {};
    }
    std::string plan;
    while (sqlite3_step(st) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
      plan += '\n';
    }
    sqlite3_finalize(st);
    return plan;
  }

  TempDir dir_;
  sqlite3* db_ = nullptr;
};

constexpr const char* kEveryHeldSeat = "idx_seat_state_held_until";

TEST_F(SqliteQueryPlanTest, TheLiveSeatCountGoesThroughTheUsersHolds) {
  for (const char* sql : {infra::sql_text::kCountLiveSeats,
                          infra::sql_text::kInsertHoldWithinLimit}) {
    const auto plan = Plan(sql);
    EXPECT_NE(plan.find("idx_occupation_user_event"), std::string::npos) << plan;
    EXPECT_NE(plan.find("idx_seat_hold"), std::string::npos) << plan;
    EXPECT_EQ(plan.find(kEveryHeldSeat), std::string::npos) << plan;
  }
}

TEST_F(SqliteQueryPlanTest, ConfirmFindsTheSeatsByTheirHold) {
  const auto plan = Plan(infra::sql_text::kConfirmSeats);
  EXPECT_NE(plan.find("idx_seat_hold"), std::string::npos) << plan;
  EXPECT_EQ(plan.find(kEveryHeldSeat), std::string::npos) << plan;
}

TEST_F(SqliteQueryPlanTest, TheLapsedReleaseFindsTheSeatsByPrimaryKey) {
  const auto plan = Plan(infra::sql_text::kReleaseLapsedSeats);
  EXPECT_NE(plan.find("INTEGER PRIMARY KEY"), std::string::npos) << plan;
  EXPECT_EQ(plan.find(kEveryHeldSeat), std::string::npos) << plan;
}

// SQLite reads the AVAILABLE count kept by triggers and, of the seats, only a date's lapsed holds.
TEST_F(SqliteQueryPlanTest, TheDatesListingReadsOnlyEachDatesLapsedHolds) {
  const auto plan = Plan(infra::sql_text::kSelectEventsOfConcert);
  EXPECT_NE(plan.find("COVERING INDEX idx_seat_event_state_until (concert_event_id=? AND "
                      "state=? AND held_until<?)"),
            std::string::npos)
      << plan;
  EXPECT_EQ(plan.find(kEveryHeldSeat), std::string::npos) << plan;
}

}  // namespace
}  // namespace boxoffice::contract
