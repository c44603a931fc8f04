#pragma once

#include <gtest/gtest.h>

#include "contract/sql_backends.hpp"
#include "domain/ports/store.hpp"

namespace boxoffice::contract {

// Base of every repository suite: a fresh database per test and a few seeding helpers.
class SqlContractTest : public testing::TestWithParam<SqlBackend> {
 protected:
  // A backend whose server is not configured skips; subclasses return when IsSkipped().
  void SetUp() override {
    database_ = GetParam().open();
    if (!database_) GTEST_SKIP() << GetParam().skip_reason;
  }
  domain::Database& db() { return database_->db(); }

  static constexpr std::int64_t kT0 = 1'800'000'000'000;  // 2027-01-15, any fixed instant works
  static domain::Instant T(std::int64_t offset_ms) { return At(kT0 + offset_ms); }

  domain::UserId NewUser(const std::string& name = "kim") {
    return Commit(db(), [&](domain::Store& s) {
      auto user = s.Users().Create(name, T(0));
      s.Wallets().Create(user.id, T(0));
      return user.id;
    });
  }

  domain::ConcertId NewConcert() {
    return Commit(db(), [&](domain::Store& s) {
      return s.Catalogue().CreateConcert({"Title", "Singer", "Description"}, T(0)).id;
    });
  }

  // A date open for reservations around kT0, seats numbered 1..seats at `price` each.
  domain::ConcertEvent NewEvent(domain::ConcertId concert, int seats = 10,
                                std::int64_t price = 1000, std::int64_t start_offset = 86'400'000) {
    return Commit(db(), [&](domain::Store& s) {
      return s.Catalogue().CreateEvent(
          domain::NewConcertEvent{.concert_id = concert,
                                  .venue = "Hall",
                                  .start_at = T(start_offset),
                                  .duration_minutes = 120,
                                  .reservation_start_at = T(-3'600'000),
                                  .reservation_end_at = T(start_offset - 3'600'000),
                                  .seat_count = seats,
                                  .price = domain::Money{price}},
          T(0));
    });
  }

  std::vector<domain::Seat> Seats(domain::EventId event, domain::Instant now) {
    return Query(db(), [&](domain::Store& s) { return s.Catalogue().ListSeats(event, now); });
  }

 private:
  std::unique_ptr<TestDatabase> database_;
};

#define BOXOFFICE_SQL_CONTRACT(Suite)                                                           \
  INSTANTIATE_TEST_SUITE_P(Sql, Suite, testing::ValuesIn(::boxoffice::contract::SqlBackends()), \
                           [](const auto& info) { return info.param.name; })

}  // namespace boxoffice::contract
