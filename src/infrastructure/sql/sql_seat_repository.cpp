#include <soci/soci.h>

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
constexpr const char* kReleaseLapsedSeats =
    "UPDATE seat SET state = 'AVAILABLE', hold_id = NULL, held_until = NULL "
    "WHERE state = 'HELD' AND held_until <= :now";

}  // namespace

std::vector<domain::Seat> SqlSeatRepository::Find(domain::EventId event,
                                                  const std::vector<domain::SeatId>& ids,
                                                  domain::Instant now) {
  if (ids.empty()) return {};
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

int SqlSeatRepository::ReleaseLapsed(domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  soci::statement st = (session_.prepare << kReleaseLapsedSeats, soci::use(at, "now"));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

}  // namespace boxoffice::infra
