#include <soci/soci.h>

#include <unordered_map>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kInsertReservation =
    "INSERT INTO reservation (user_id, concert_id, concert_event_id, occupation_id, status, "
    "total_seats, total_amount, expires_at, concert_start_at, created_at, updated_at) "
    "VALUES (:user, :concert, :event, :hold, :status, :seats, :amount, :expires, :start, "
    ":now, :now)";
// All the reservation's seats in one statement (sql::SeatRows).
constexpr const char* kInsertReservationSeats =
    "INSERT INTO reservation_seat (reservation_id, seat_id, seat_number, price) VALUES {rows}";

#define BOXOFFICE_RESERVATION_COLUMNS                                                      \
  "SELECT id, user_id, concert_id, concert_event_id, occupation_id, status, total_seats, " \
  "total_amount, expires_at, concert_start_at, created_at FROM reservation "
constexpr const char* kSelectById = BOXOFFICE_RESERVATION_COLUMNS "WHERE id = :key";
constexpr const char* kSelectByIds = BOXOFFICE_RESERVATION_COLUMNS "WHERE id IN ({in})";
constexpr const char* kSelectPendingByHold =
    BOXOFFICE_RESERVATION_COLUMNS "WHERE occupation_id = :key AND status = 'PENDING'";
constexpr const char* kSelectByUser =
    BOXOFFICE_RESERVATION_COLUMNS "WHERE user_id = :key ORDER BY created_at DESC, id DESC";
#undef BOXOFFICE_RESERVATION_COLUMNS

constexpr const char* kSelectSeats =
    "SELECT reservation_id, seat_id, seat_number, price FROM reservation_seat "
    "WHERE reservation_id IN ({in}) ORDER BY reservation_id, seat_number";
constexpr const char* kTransitionReservation =
    "UPDATE reservation SET status = :to, updated_at = :now WHERE id = :id AND status = :from";
constexpr const char* kTransitionReservations =
    "UPDATE reservation SET status = :to, updated_at = :now WHERE id IN ({in}) AND status = :from";
// A batch of lapsed reservations (SelectIds); the dialect appends FOR UPDATE (see ExpireLapsed).
constexpr const char* kSelectLapsed =
    "SELECT id FROM reservation WHERE status = 'PENDING' AND expires_at <= :at "
    "ORDER BY id LIMIT :limit";
// MySQL only: locks the batch by primary key, in id order.
constexpr const char* kLockBatch =
    "SELECT id FROM reservation WHERE id IN ({in}) AND status = 'PENDING' AND expires_at <= :at "
    "ORDER BY id";
// The holds first: their subquery needs the reservations still PENDING.
constexpr const char* kExpireHoldsOfLapsed =
    "UPDATE occupation SET status = 'EXPIRED', updated_at = :at "
    "WHERE status = 'RESERVED' AND id IN (SELECT occupation_id FROM reservation "
    "WHERE id IN ({in}) AND status = 'PENDING' AND expires_at <= :at)";
constexpr const char* kExpireLapsed =
    "UPDATE reservation SET status = 'EXPIRED', updated_at = :at "
    "WHERE id IN ({in}) AND status = 'PENDING' AND expires_at <= :at";

}  // namespace

domain::Reservation SqlReservationRepository::Create(const domain::Reservation& reservation,
                                                     domain::Instant now) {
  // With the hold's transition, when it was held (ADR 0018).
  const std::int64_t id =
      InsertForId(kInsertReservation, {{"user", reservation.user_id.value},
                                       {"concert", reservation.concert_id.value},
                                       {"event", reservation.event_id.value},
                                       {"hold", reservation.hold_id.value},
                                       {"status", sql::ToText(reservation.status)},
                                       {"seats", std::int64_t{reservation.total_seats}},
                                       {"amount", reservation.total_amount.won},
                                       {"expires", sql::ToMs(reservation.expires_at)},
                                       {"start", sql::ToMs(reservation.concert_start_at)},
                                       {"now", sql::ToMs(now)}});

  if (!reservation.seats.empty()) {
    const sql::SeatRows rows(kInsertReservationSeats, id, reservation.seats);
    RunOrDefer(rows.Sql(), rows.Values());
  }
  domain::Reservation out = reservation;
  out.id = domain::ReservationId{id};
  out.created_at = now;
  return out;
}

std::vector<domain::Reservation> SqlReservationRepository::CreateAll(
    std::span<const domain::Reservation> reservations, domain::Instant now) {
  const std::int64_t step = dialect_.InsertIdStep();
  if (reservations.size() < 2 || step == 0 || !deferred_) {
    return ReservationRepository::CreateAll(reservations, now);
  }
  // One statement for the reservations, numbered consecutively from LastInsertId (ADR 0021),
  // and one for all their seats, held until the transaction's next statement.
  std::string sql =
      "INSERT INTO reservation (user_id, concert_id, concert_event_id, occupation_id, status, "
      "total_seats, total_amount, expires_at, concert_start_at, created_at, updated_at) VALUES ";
  sql::Params params{{"now", sql::ToMs(now)}};
  for (std::size_t i = 0; i < reservations.size(); ++i) {
    const auto& r = reservations[i];
    const std::string n = std::to_string(i);
    sql += (i > 0 ? ",(" : "(") + (":u" + n) + ", :c" + n + ", :e" + n + ", :h" + n + ", :st" + n +
           ", :ts" + n + ", :am" + n + ", :x" + n + ", :b" + n + ", :now, :now)";
    params.push_back({"u" + n, r.user_id.value});
    params.push_back({"c" + n, r.concert_id.value});
    params.push_back({"e" + n, r.event_id.value});
    params.push_back({"h" + n, r.hold_id.value});
    params.push_back({"st" + n, sql::ToText(r.status)});
    params.push_back({"ts" + n, std::int64_t{r.total_seats}});
    params.push_back({"am" + n, r.total_amount.won});
    params.push_back({"x" + n, sql::ToMs(r.expires_at)});
    params.push_back({"b" + n, sql::ToMs(r.concert_start_at)});
  }
  RunCountedOnce(sql, params);
  const std::int64_t first = dialect_.LastInsertId(session_);

  std::vector<domain::Reservation> out;
  out.reserve(reservations.size());
  std::string seats;
  sql::Params seat_params;
  for (std::size_t i = 0; i < reservations.size(); ++i) {
    domain::Reservation created = reservations[i];
    created.id = domain::ReservationId{first + static_cast<std::int64_t>(i) * step};
    created.created_at = now;
    for (std::size_t k = 0; k < created.seats.size(); ++k) {
      const auto& seat = created.seats[k];
      const std::string n = std::to_string(i) + "_" + std::to_string(k);
      seats += (seats.empty() ? "(:r" : ",(:r") + n + ", :s" + n + ", :num" + n + ", :p" + n + ")";
      seat_params.push_back({"r" + n, created.id.value});
      seat_params.push_back({"s" + n, seat.seat_id.value});
      seat_params.push_back({"num" + n, std::int64_t{seat.seat_number}});
      seat_params.push_back({"p" + n, seat.price.won});
    }
    out.push_back(std::move(created));
  }
  if (!seats.empty()) {
    std::string text(kInsertReservationSeats);
    text.replace(text.find("{rows}"), 6, seats);
    RunOrDefer(text, seat_params);
  }
  return out;
}

std::vector<domain::Reservation> SqlReservationRepository::Query(const char* sql, std::int64_t key,
                                                                 bool with_seats) {
  sql::Statement st = Prepare(sql);
  st.Bind(soci::use(key, "key"));
  return Fetch(st, with_seats);
}

std::vector<domain::Reservation> SqlReservationRepository::Fetch(sql::Statement& st,
                                                                 bool with_seats) {
  domain::Reservation row;
  std::string status;
  std::int64_t expires = 0;
  std::int64_t start = 0;
  std::int64_t created = 0;
  st.Bind(soci::into(row.id.value), soci::into(row.user_id.value), soci::into(row.concert_id.value),
          soci::into(row.event_id.value), soci::into(row.hold_id.value), soci::into(status),
          soci::into(row.total_seats), soci::into(row.total_amount.won), soci::into(expires),
          soci::into(start), soci::into(created));
  st.Execute(false);
  std::vector<domain::Reservation> out;
  std::vector<std::int64_t> ids;
  while (st.Fetch()) {
    row.status = sql::ReservationStatusFrom(status);
    row.expires_at = sql::FromMs(expires);
    row.concert_start_at = sql::FromMs(start);
    row.created_at = sql::FromMs(created);
    out.push_back(row);
    ids.push_back(row.id.value);
  }
  if (ids.empty() || !with_seats) return out;

  // The seats of every reservation in one query rather than one per reservation.
  sql::InList list("r", ids);
  std::int64_t reservation_id = 0;
  domain::HeldSeat seat;
  sql::Statement seats = PrepareInList(sql::WithInList(kSelectSeats, list), list);
  seats.Bind(soci::into(reservation_id), soci::into(seat.seat_id.value),
             soci::into(seat.seat_number), soci::into(seat.price.won));
  list.BindTo(seats);
  seats.Execute(false);
  std::unordered_map<std::int64_t, std::size_t> index;
  for (std::size_t i = 0; i < out.size(); ++i) index[out[i].id.value] = i;
  while (seats.Fetch()) out[index.at(reservation_id)].seats.push_back(seat);
  return out;
}

std::vector<std::optional<domain::Reservation>> SqlReservationRepository::FindAllWithoutSeats(
    std::span<const domain::ReservationId> ids) {
  sql::InList list("k", ids);
  std::unordered_map<std::int64_t, domain::Reservation> found;
  if (!list.empty()) {
    sql::Statement st = PrepareInList(sql::WithInList(kSelectByIds, list), list);
    list.BindTo(st);
    for (auto& reservation : Fetch(st, /*with_seats=*/false)) {
      const auto id = reservation.id.value;
      found.emplace(id, std::move(reservation));
    }
  }
  return sql::InOrderOf(ids, found);
}

bool SqlReservationRepository::TransitionAll(std::span<const domain::ReservationId> ids,
                                             domain::ReservationStatus from,
                                             domain::ReservationStatus to, domain::Instant now) {
  if (ids.empty()) return true;
  const sql::InList list("k", ids);
  sql::Params params{{"to", sql::ToText(to)}, {"now", sql::ToMs(now)}, {"from", sql::ToText(from)}};
  list.AppendTo(params);
  return RunExpectingOnce(sql::WithInList(kTransitionReservations, list), params,
                          static_cast<long long>(ids.size()));
}

std::optional<domain::Reservation> SqlReservationRepository::Find(domain::ReservationId id) {
  auto rows = Query(kSelectById, id.value);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::optional<domain::Reservation> SqlReservationRepository::FindWithoutSeats(
    domain::ReservationId id) {
  auto rows = Query(kSelectById, id.value, /*with_seats=*/false);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::optional<domain::Reservation> SqlReservationRepository::FindPendingByHold(
    domain::HoldId hold) {
  auto rows = Query(kSelectPendingByHold, hold.value);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::vector<domain::Reservation> SqlReservationRepository::ListByUser(domain::UserId user) {
  return Query(kSelectByUser, user.value);
}

bool SqlReservationRepository::Transition(domain::ReservationId id, domain::ReservationStatus from,
                                          domain::ReservationStatus to, domain::Instant now) {
  return RunTransition(kTransitionReservation, id.value, from, to, now);
}

int SqlReservationRepository::ExpireLapsed(domain::Instant now, int limit) {
  if (limit <= 0) return 0;
  const std::int64_t at = sql::ToMs(now);
  const auto ids = sql::SelectIds(session_, kSelectLapsed, at, limit);
  if (ids.empty()) return 0;
  // InnoDB reads the subquery below without locking (READ COMMITTED), so a payment committing
  // between the two updates would leave a CONFIRMED reservation with an EXPIRED hold. Locking
  // the batch first keeps both updates on the same rows.
  if (!dialect_.ForUpdateSuffix().empty()) {
    sql::InList list("i", ids);
    std::int64_t id = 0;
    sql::Statement lock = PrepareInList(
        sql::WithInList(kLockBatch, list) + std::string(dialect_.ForUpdateSuffix()), list);
    lock.Bind(soci::into(id), soci::use(at, "at"));
    list.BindTo(lock);
    lock.Execute(false);
    while (lock.Fetch()) {
    }
  }
  sql::ExecuteOnIds(session_, kExpireHoldsOfLapsed, ids, at);
  return sql::ExecuteOnIds(session_, kExpireLapsed, ids, at);
}

}  // namespace boxoffice::infra
