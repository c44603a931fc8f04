#include <soci/soci.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_statements.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

// "{in}" is replaced by the placeholder list of the seat ids. By primary key alone, so a locking
// read touches no row but these, in id order, the order every seat locker uses; the date is
// checked in code (SeatsOfDate).
constexpr const char* kReadSeats =
    "SELECT s.id, s.concert_event_id, s.seat_number, s.price, "
    "CASE WHEN s.state = 'HELD' AND s.held_until <= :now THEN 'AVAILABLE' ELSE s.state END "
    "FROM seat s WHERE s.id IN ({in}) ORDER BY s.id";
// As kReadSeats, for a hold (MySQL write transactions only): joined to the holder's user row so
// that the locking read locks it too, in the same round trip. The user row is a constant table
// (one row by primary key), which MySQL reads, and so locks, before the seats: every hold locks
// its user, then its seats in id order.
constexpr const char* kReadSeatsForHolder =
    "SELECT s.id, s.concert_event_id, s.seat_number, s.price, "
    "CASE WHEN s.state = 'HELD' AND s.held_until <= :now THEN 'AVAILABLE' ELSE s.state END "
    "FROM seat s JOIN users u ON u.id = :holder WHERE s.id IN ({in}) ORDER BY s.id";
#define BOXOFFICE_HOLD_SEATS(HINT)                            \
  "UPDATE seat " HINT                                         \
  "SET state = 'HELD', hold_id = :hold, held_until = :until " \
  "WHERE concert_event_id = :event AND id IN ({in}) "         \
  "AND (state = 'AVAILABLE' OR (state = 'HELD' AND held_until <= :now))"
constexpr const char* kHoldSeats = BOXOFFICE_HOLD_SEATS("");
// By primary key alone: without the hint MariaDB also weighs the other indexes of seat that the
// condition names (index dives): a median 121 against 102 us per update in its slow log.
constexpr const char* kHoldSeatsMysql = BOXOFFICE_HOLD_SEATS("FORCE INDEX (PRIMARY) ");
#undef BOXOFFICE_HOLD_SEATS
constexpr const char* kReleaseSeats =
    "UPDATE seat SET state = 'AVAILABLE', hold_id = NULL, held_until = NULL "
    "WHERE hold_id = :hold AND state = 'HELD'";
// A unary + on a column keeps SQLite's planner from picking an index by it (MySQL ignores it).
// Without it SQLite found the confirm's and the lapsed release's rows through
// idx_seat_state_held_until, walking every held seat of every date, although the first knows
// the hold and the second the seat ids. sql_query_plan_test.cpp checks the plans.
constexpr const char* kConfirmSeats =
    "UPDATE seat SET state = 'RESERVED' "
    "WHERE hold_id = :hold AND +state = 'HELD' AND +held_until > :now";
// The same for a batch of holds: "{in}" is replaced by their ids.
constexpr const char* kConfirmSeatsOfHolds =
    "UPDATE seat SET state = 'RESERVED' "
    "WHERE hold_id IN ({in}) AND +state = 'HELD' AND +held_until > :now";
// A batch of lapsed seats (SelectIds), then the conditional release by primary key.
constexpr const char* kSelectLapsedSeats =
    "SELECT id FROM seat WHERE state = 'HELD' AND held_until <= :at ORDER BY id LIMIT :limit";
constexpr const char* kReleaseLapsedSeats =
    "UPDATE seat SET state = 'AVAILABLE', hold_id = NULL, held_until = NULL "
    "WHERE id IN ({in}) AND +state = 'HELD' AND +held_until <= :at";

// The seats of `event`, in seat number order (rows were read by id alone).
std::vector<domain::Seat> SeatsOfDate(domain::EventId event, std::vector<domain::Seat> seats) {
  std::erase_if(seats, [&](const domain::Seat& s) { return s.event_id != event; });
  std::sort(seats.begin(), seats.end(), [](const domain::Seat& a, const domain::Seat& b) {
    return a.seat_number < b.seat_number;
  });
  return seats;
}

}  // namespace

const char* const sql_text::kConfirmSeats = infra::kConfirmSeats;
const char* const sql_text::kReleaseLapsedSeats = infra::kReleaseLapsedSeats;

std::vector<domain::Seat> SqlSeatRepository::Find(domain::EventId event,
                                                  const std::vector<domain::SeatId>& ids,
                                                  domain::Instant now) {
  return FindSeats(event, ids, std::nullopt, now);
}

std::vector<domain::Seat> SqlSeatRepository::FindForHold(domain::EventId event,
                                                         const std::vector<domain::SeatId>& ids,
                                                         domain::UserId holder,
                                                         domain::Instant now) {
  return FindSeats(event, ids, holder, now);
}

// SQLite: the single writer already excludes every other change, and a read-only transaction
// has nothing to guard: a plain read.
// MySQL: lock the seats (and the holder) while reading them, so a hold that waited for a
// competitor reads the competitor's outcome and leaves without writing anything. A seat locked
// by another transaction whose latest committed state is already unavailable is answered at
// once: that is what the conditional hold would decide were this transaction ordered before the
// other one commits. A seat that is locked but committed available (a competitor still
// deciding, which may yet roll back, or the sweeper freeing it), or a holder locked by another
// hold of the same user, is waited for, so the database still decides every race and no hold is
// refused on a guess. The common case, nothing locked elsewhere, is one statement.
std::vector<domain::Seat> SqlSeatRepository::FindSeats(domain::EventId event,
                                                       const std::vector<domain::SeatId>& ids,
                                                       std::optional<domain::UserId> holder,
                                                       domain::Instant now) {
  if (ids.empty()) return {};
  if (dialect_.ForUpdateSuffix().empty()) {
    return SeatsOfDate(event, *Read(ids, std::nullopt, now, Locking::kNone));
  }
  auto seats = Read(ids, holder, now, Locking::kNowait);
  if (!seats) {
    auto committed = SeatsOfDate(event, *Read(ids, std::nullopt, now, Locking::kNone));
    const bool unavailable =
        std::any_of(committed.begin(), committed.end(),
                    [](const domain::Seat& s) { return s.state != domain::SeatState::kAvailable; });
    if (unavailable) return committed;
    seats = Read(ids, holder, now, Locking::kWait);
  }
  // Rows returned were locked (with the holder's row, which the join required).
  for (const auto& s : *seats) locks_.seats.push_back(s.id.value);
  if (holder && !seats->empty()) locks_.users.push_back(holder->value);
  return SeatsOfDate(event, std::move(*seats));
}

std::optional<std::vector<domain::Seat>> SqlSeatRepository::Read(
    const std::vector<domain::SeatId>& ids, std::optional<domain::UserId> holder,
    domain::Instant now, Locking locking) {
  sql::InList list("s", ids);
  const std::int64_t at = sql::ToMs(now);
  const std::int64_t holder_id = holder ? holder->value : 0;
  domain::Seat row;
  std::string state;
  std::string text = sql::WithInList(holder ? kReadSeatsForHolder : kReadSeats, list);
  if (locking == Locking::kWait) text += dialect_.ForUpdateSuffix();
  if (locking == Locking::kNowait) text += dialect_.ForUpdateNowaitSuffix();
  sql::Statement st = PrepareInList(text, list);
  st.Bind(soci::into(row.id.value), soci::into(row.event_id.value), soci::into(row.seat_number),
          soci::into(row.price.won), soci::into(state), soci::use(at, "now"));
  if (holder) st.Bind(soci::use(holder_id, "holder"));
  list.BindTo(st);
  std::vector<domain::Seat> out;
  try {
    st.Execute(false);
    while (st.Fetch()) {
      row.state = sql::SeatStateFrom(state);
      out.push_back(row);
    }
  } catch (const soci::soci_error& e) {
    // Only this statement failed; the transaction and the locks it took go on.
    if (locking == Locking::kNowait && dialect_.IsLockNotAvailable(e)) return std::nullopt;
    throw;
  }
  return out;
}

int SqlSeatRepository::Hold(domain::EventId event, const std::vector<domain::SeatId>& ids,
                            domain::HoldId hold, domain::Instant until, domain::Instant now) {
  if (ids.empty()) return 0;
  const sql::InList list("s", ids);
  sql::Params params{{"hold", hold.value},
                     {"until", sql::ToMs(until)},
                     {"event", event.value},
                     {"now", sql::ToMs(now)}};
  list.AppendTo(params);
  // The hold's seat rows, inserted just before and held back (ADR 0016), go with it.
  return static_cast<int>(
      RunCounted(sql::WithInList(dialect_.Pick(kHoldSeats, kHoldSeatsMysql), list), params));
}

int SqlSeatRepository::Release(domain::HoldId hold) {
  sql::Statement st = Prepare(kReleaseSeats);
  st.Bind(soci::use(hold.value, "hold")).Execute();
  return static_cast<int>(st.AffectedRows());
}

int SqlSeatRepository::Confirm(domain::HoldId hold, domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  sql::Statement st = Prepare(kConfirmSeats);
  st.Bind(soci::use(hold.value, "hold"), soci::use(at, "now")).Execute();
  return static_cast<int>(st.AffectedRows());
}

bool SqlSeatRepository::ConfirmAll(domain::HoldId hold, int seats, domain::Instant now) {
  return RunExpecting(kConfirmSeats, {{"hold", hold.value}, {"now", sql::ToMs(now)}}, seats) ==
         seats;
}

bool SqlSeatRepository::ConfirmEvery(std::span<const HoldSeats> holds, domain::Instant now) {
  if (holds.empty()) return true;
  std::vector<std::int64_t> ids;
  long long seats = 0;
  for (const auto& h : holds) {
    ids.push_back(h.hold.value);
    seats += h.seats;
  }
  const sql::InList list("h", ids);
  sql::Params params{{"now", sql::ToMs(now)}};
  list.AppendTo(params);
  // Each hold's seats are its own (hold_id), so the total matches only if every hold's does.
  return RunExpectingOnce(sql::WithInList(kConfirmSeatsOfHolds, list), params, seats);
}

int SqlSeatRepository::ReleaseLapsed(domain::Instant now, int limit) {
  if (limit <= 0) return 0;
  const std::int64_t at = sql::ToMs(now);
  return sql::ExecuteOnIds(session_, kReleaseLapsedSeats,
                           sql::SelectIds(session_, kSelectLapsedSeats, at, limit), at);
}

}  // namespace boxoffice::infra
