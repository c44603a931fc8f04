// SweepExpired over the real SQL repositories: it works a backlog off in bounded batches, one
// short transaction each, and purges the outbox, on SQLite and MySQL alike.
#include "application/sweep_expired.hpp"
#include "contract/sql_contract_test.hpp"
#include "fakes/fake_clock.hpp"

namespace boxoffice::contract {
namespace {

using application::SweepExpired;
using domain::Store;
using namespace std::chrono_literals;

class SweepContract : public SqlContractTest {};
BOXOFFICE_SQL_CONTRACT(SweepContract);

TEST_P(SweepContract, ABacklogIsWorkedOffInBoundedPasses) {
  constexpr int kPerPass = SweepExpired::kBatchSize * SweepExpired::kMaxBatches;
  constexpr int kSeats = kPerPass + 30;
  auto event = NewEvent(NewConcert(), kSeats);
  std::vector<domain::SeatId> ids;
  for (const auto& s : Seats(event.id, T(0))) ids.push_back(s.id);
  ASSERT_EQ(Commit(db(),
                   [&](Store& s) {
                     return s.Seats().Hold(event.id, ids, domain::HoldId{1}, T(1000), T(0));
                   }),
            kSeats);
  fakes::FakeClock clock(T(1000));
  SweepExpired sweep(db(), clock);
  EXPECT_EQ(sweep.Execute().seats_released, kPerPass);
  EXPECT_EQ(sweep.Execute().seats_released, kSeats - kPerPass);
  EXPECT_EQ(sweep.Execute().seats_released, 0);
  for (const auto& seat : Seats(event.id, T(0))) {
    ASSERT_EQ(seat.state, domain::SeatState::kAvailable);
  }
}

TEST_P(SweepContract, PublishedOutboxRowsGoAfterADay) {
  Commit(db(), [&](Store& s) {
    s.Outbox().Append(domain::ReservationCancelled{.reservation_id = domain::ReservationId{1},
                                                   .user_id = domain::UserId{2},
                                                   .concert_id = domain::ConcertId{3},
                                                   .cancelled_at = T(0)},
                      T(0));
    s.Outbox().Append(domain::ReservationCancelled{.reservation_id = domain::ReservationId{2},
                                                   .user_id = domain::UserId{2},
                                                   .concert_id = domain::ConcertId{3},
                                                   .cancelled_at = T(0)},
                      T(0));
  });
  auto claimed = Commit(db(), [&](Store& s) { return s.Outbox().Claim(T(0), T(1000), 10); });
  ASSERT_EQ(claimed.size(), 2u);
  Commit(db(), [&](Store& s) { s.Outbox().MarkPublished({claimed[0].id}, T(0)); });
  fakes::FakeClock clock(T(0) + 23h);
  SweepExpired sweep(db(), clock);
  EXPECT_EQ(sweep.Execute().outbox_purged, 0);
  clock.Advance(1h + 1ms);
  EXPECT_EQ(sweep.Execute().outbox_purged, 1);
  EXPECT_EQ(Query(db(), [](Store& s) { return s.Outbox().CountUnpublished(); }), 1);
}

}  // namespace
}  // namespace boxoffice::contract
