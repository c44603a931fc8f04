#include <soci/soci.h>

#include <algorithm>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

// "{in}" is replaced by the placeholder list of the seat ids.
constexpr const char* kSelectSeats =
    "SELECT id, seat_number, price, "
    "CASE WHEN state = 'HELD' AND held_until <= :now THEN 'AVAILABLE' ELSE state END "
    "FROM seat WHERE concert_event_id = :event AND id IN ({in}) ORDER BY seat_number";
constexpr const char* kHoldSeats =
    "UPDATE seat SET state = 'HELD', hold_id = :hold, held_until = :until "
    "WHERE concert_event_id = :event AND id IN ({in}) "
    "AND (state = 'AVAILABLE' OR (state = 'HELD' AND held_until <= :now))";
constexpr const char* kReleaseSeats =
    "UPDATE seat SET state = 'AVAILABLE', hold_id = NULL, held_until = NULL "
    "WHERE hold_id = :hold AND state = 'HELD'";
constexpr const char* kConfirmSeats =
    "UPDATE seat SET state = 'RESERVED' "
    "WHERE hold_id = :hold AND state = 'HELD' AND held_until > :now";
// MySQL write transactions only (see Find). By primary key alone, so the statement touches no
// row but these, and in id order, the order every seat locker uses.
constexpr const char* kLockSeats = "SELECT id FROM seat WHERE id IN ({in}) ORDER BY id";
// A batch of lapsed seats (SelectIds), then the conditional release by primary key.
constexpr const char* kSelectLapsedSeats =
    "SELECT id FROM seat WHERE state = 'HELD' AND held_until <= :at ORDER BY id LIMIT :limit";
constexpr const char* kReleaseLapsedSeats =
    "UPDATE seat SET state = 'AVAILABLE', hold_id = NULL, held_until = NULL "
    "WHERE id IN ({in}) AND state = 'HELD' AND held_until <= :at";

}  // namespace

std::vector<domain::Seat> SqlSeatRepository::Find(domain::EventId event,
                                                  const std::vector<domain::SeatId>& ids,
                                                  domain::Instant now) {
  if (ids.empty()) return {};
  // SQLite: the single writer already excludes every other change. Read-only: nothing to guard.
  if (dialect_.ForUpdateSuffix().empty()) return Select(event, ids, now);
  // MySQL: lock the seats before reading them, so a hold that waited for a competitor reads
  // the competitor's outcome and leaves without writing anything. A seat locked by another
  // transaction whose latest committed state is already unavailable is answered at once: that
  // is what the conditional hold would decide were this transaction ordered before the other
  // one commits. A seat that is locked but committed available (a competitor still deciding,
  // which may yet roll back, or the sweeper freeing it) is waited for, so the database still
  // decides every race and no hold is refused on a guess.
  if (!Lock(ids, /*nowait=*/true)) {
    auto committed = Select(event, ids, now);
    const bool unavailable =
        std::any_of(committed.begin(), committed.end(),
                    [](const domain::Seat& s) { return s.state != domain::SeatState::kAvailable; });
    if (unavailable) return committed;
    Lock(ids, /*nowait=*/false);
  }
  return Select(event, ids, now);
}

bool SqlSeatRepository::Lock(const std::vector<domain::SeatId>& ids, bool nowait) {
  sql::InList list("s", ids);
  std::int64_t locked = 0;
  soci::statement lock(session_);
  lock.exchange(soci::into(locked));
  list.BindTo(lock);
  lock.alloc();
  lock.prepare(sql::WithInList(kLockSeats, list) +
               std::string(nowait ? dialect_.ForUpdateNowaitSuffix() : dialect_.ForUpdateSuffix()));
  lock.define_and_bind();
  try {
    lock.execute();
    while (lock.fetch()) {
    }
  } catch (const soci::soci_error& e) {
    // Only this statement failed; the transaction and the locks it took go on.
    if (nowait && dialect_.IsLockNotAvailable(e)) return false;
    throw;
  }
  return true;
}

std::vector<domain::Seat> SqlSeatRepository::Select(domain::EventId event,
                                                    const std::vector<domain::SeatId>& ids,
                                                    domain::Instant now) {
  sql::InList list("s", ids);
  const std::int64_t at = sql::ToMs(now);
  domain::Seat row{.event_id = event};
  std::string state;
  soci::statement st(session_);
  st.exchange(soci::into(row.id.value));
  st.exchange(soci::into(row.seat_number));
  st.exchange(soci::into(row.price.won));
  st.exchange(soci::into(state));
  st.exchange(soci::use(at, "now"));
  st.exchange(soci::use(event.value, "event"));
  list.BindTo(st);
  st.alloc();
  st.prepare(sql::WithInList(kSelectSeats, list));
  st.define_and_bind();
  st.execute();
  std::vector<domain::Seat> out;
  while (st.fetch()) {
    row.state = sql::SeatStateFrom(state);
    out.push_back(row);
  }
  return out;
}

int SqlSeatRepository::Hold(domain::EventId event, const std::vector<domain::SeatId>& ids,
                            domain::HoldId hold, domain::Instant until, domain::Instant now) {
  if (ids.empty()) return 0;
  sql::InList list("s", ids);
  const std::int64_t until_ms = sql::ToMs(until);
  const std::int64_t now_ms = sql::ToMs(now);
  soci::statement st(session_);
  st.exchange(soci::use(hold.value, "hold"));
  st.exchange(soci::use(until_ms, "until"));
  st.exchange(soci::use(event.value, "event"));
  st.exchange(soci::use(now_ms, "now"));
  list.BindTo(st);
  st.alloc();
  st.prepare(sql::WithInList(kHoldSeats, list));
  st.define_and_bind();
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

int SqlSeatRepository::Release(domain::HoldId hold) {
  soci::statement st = (session_.prepare << kReleaseSeats, soci::use(hold.value, "hold"));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

int SqlSeatRepository::Confirm(domain::HoldId hold, domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  soci::statement st =
      (session_.prepare << kConfirmSeats, soci::use(hold.value, "hold"), soci::use(at, "now"));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

int SqlSeatRepository::ReleaseLapsed(domain::Instant now, int limit) {
  if (limit <= 0) return 0;
  const std::int64_t at = sql::ToMs(now);
  return sql::ExecuteOnIds(session_, kReleaseLapsedSeats,
                           sql::SelectIds(session_, kSelectLapsedSeats, at, limit), at);
}

}  // namespace boxoffice::infra
