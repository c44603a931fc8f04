#include <soci/soci.h>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kInsertHold =
    "INSERT INTO occupation (user_id, concert_event_id, status, expires_at, created_at, "
    "updated_at) VALUES (:user, :event, 'ACTIVE', :expires, :now, :now)";
constexpr const char* kInsertHoldSeat =
    "INSERT INTO occupation_seat (occupation_id, seat_id, seat_number, price) "
    "VALUES (:hold, :seat, :number, :price)";
constexpr const char* kSelectHold =
    "SELECT user_id, concert_event_id, status, created_at, expires_at "
    "FROM occupation WHERE id = :id";
constexpr const char* kSelectHoldSeats =
    "SELECT seat_id, seat_number, price FROM occupation_seat WHERE occupation_id = :id "
    "ORDER BY seat_number";
constexpr const char* kTransitionHold =
    "UPDATE occupation SET status = :to, updated_at = :now WHERE id = :id AND status = :from";
constexpr const char* kExpireLapsedHolds =
    "UPDATE occupation SET status = 'EXPIRED', updated_at = :now "
    "WHERE status = 'ACTIVE' AND expires_at <= :now";
constexpr const char* kCountLiveSeats =
    "SELECT COUNT(*) FROM occupation o JOIN seat s ON s.hold_id = o.id "
    "WHERE o.user_id = :user AND o.concert_event_id = :event "
    "AND o.status IN ('ACTIVE', 'RESERVED') AND s.state = 'HELD' AND s.held_until > :now";

}  // namespace

domain::Hold SqlHoldRepository::Create(domain::UserId user, domain::EventId event,
                                       const std::vector<domain::HeldSeat>& seats,
                                       domain::Instant expires_at, domain::Instant now) {
  const std::int64_t expires = sql::ToMs(expires_at);
  const std::int64_t at = sql::ToMs(now);
  session_ << kInsertHold, soci::use(user.value, "user"), soci::use(event.value, "event"),
      soci::use(expires, "expires"), soci::use(at, "now");
  const std::int64_t id = dialect_.LastInsertId(session_);

  domain::HeldSeat seat;
  soci::statement insert_seat =
      (session_.prepare << kInsertHoldSeat, soci::use(id, "hold"),
       soci::use(seat.seat_id.value, "seat"), soci::use(seat.seat_number, "number"),
       soci::use(seat.price.won, "price"));
  for (const auto& s : seats) {
    seat = s;
    insert_seat.execute(true);
  }
  return domain::Hold{.id = domain::HoldId{id},
                      .user_id = user,
                      .event_id = event,
                      .status = domain::HoldStatus::kActive,
                      .created_at = now,
                      .expires_at = expires_at,
                      .seats = seats};
}

std::optional<domain::Hold> SqlHoldRepository::Find(domain::HoldId id) {
  domain::Hold hold{.id = id};
  std::string status;
  std::int64_t created = 0;
  std::int64_t expires = 0;
  session_ << kSelectHold, soci::use(id.value, "id"), soci::into(hold.user_id.value),
      soci::into(hold.event_id.value), soci::into(status), soci::into(created), soci::into(expires);
  if (!session_.got_data()) return std::nullopt;
  hold.status = sql::HoldStatusFrom(status);
  hold.created_at = sql::FromMs(created);
  hold.expires_at = sql::FromMs(expires);

  domain::HeldSeat seat;
  soci::statement st =
      (session_.prepare << kSelectHoldSeats, soci::use(id.value, "id"),
       soci::into(seat.seat_id.value), soci::into(seat.seat_number), soci::into(seat.price.won));
  st.execute();
  while (st.fetch()) hold.seats.push_back(seat);
  return hold;
}

bool SqlHoldRepository::Transition(domain::HoldId id, domain::HoldStatus from,
                                   domain::HoldStatus to, domain::Instant now) {
  const std::string from_text = sql::ToText(from);
  const std::string to_text = sql::ToText(to);
  const std::int64_t at = sql::ToMs(now);
  soci::statement st =
      (session_.prepare << kTransitionHold, soci::use(to_text, "to"), soci::use(at, "now"),
       soci::use(id.value, "id"), soci::use(from_text, "from"));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

int SqlHoldRepository::CountLiveSeats(domain::UserId user, domain::EventId event,
                                      domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  int count = 0;
  session_ << kCountLiveSeats, soci::use(user.value, "user"), soci::use(event.value, "event"),
      soci::use(at, "now"), soci::into(count);
  return count;
}

int SqlHoldRepository::ExpireLapsed(domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  soci::statement st = (session_.prepare << kExpireLapsedHolds, soci::use(at, "now"));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

}  // namespace boxoffice::infra
