#include <soci/soci.h>

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_statements.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kInsertHold =
    "INSERT INTO occupation (user_id, concert_event_id, status, expires_at, created_at, "
    "updated_at) VALUES (:user, :event, 'ACTIVE', :expires, :now, :now)";
// The user's live seats of a date. The count reaches the seats through the user's holds of the
// date (idx_occupation_user_event, then idx_seat_hold); the join keyword keeps that order on
// both databases (SQLite's CROSS JOIN and MySQL's STRAIGHT_JOIN do not reorder). Without it,
// MariaDB at times started from the held seats, ~1,000 rows per hold in a rush, as its index
// statistics changed; SQLite did so always. The unary + also keeps SQLite from reaching the seats
// by idx_seat_state_held_until (MySQL ignores it). sql_query_plan_test.cpp checks SQLite's plan.
// On MySQL both indexes are also named (FORCE INDEX), which pins that plan and spares MariaDB
// weighing every index the condition names by index dives: its ANALYZE put optimizing this
// count at ~0.2 ms against ~0.04 ms running it, and at ~0.07 ms with the hints.
// OCCUPATION and SEAT: each table's index hint, ending in a space, or "".
#define BOXOFFICE_LIVE_SEATS(OCCUPATION, JOIN, SEAT)                   \
  "SELECT COUNT(*) FROM occupation o " OCCUPATION JOIN " seat s " SEAT \
  "ON s.hold_id = o.id "                                               \
  "WHERE o.user_id = :user AND o.concert_event_id = :event "           \
  "AND o.status IN ('ACTIVE', 'RESERVED') AND +s.state = 'HELD' AND +s.held_until > :now"
// The hold only while the user's live seats of the date plus :n stay within :max: the count and
// the insert are one statement. On MySQL it runs after the user's row was locked (LockUser), in
// a statement of its own, so its read sees every hold of that user committed before the lock
// was granted; SQLite's single writer makes it atomic anyway.
#define BOXOFFICE_INSERT_HOLD_WITHIN_LIMIT(ONE, LIVE_SEATS)                             \
  "INSERT INTO occupation (user_id, concert_event_id, status, expires_at, created_at, " \
  "updated_at) SELECT :user, :event, 'ACTIVE', :expires, :now, :now FROM " ONE          \
  " WHERE (" LIVE_SEATS ") + :n <= :max"
#define BOXOFFICE_LIVE_SEATS_SQLITE BOXOFFICE_LIVE_SEATS("", "CROSS JOIN", "")
#define BOXOFFICE_LIVE_SEATS_MYSQL                                                  \
  BOXOFFICE_LIVE_SEATS("FORCE INDEX (idx_occupation_user_event) ", "STRAIGHT_JOIN", \
                       "FORCE INDEX (idx_seat_hold) ")
constexpr const char* kInsertHoldWithinLimit =
    BOXOFFICE_INSERT_HOLD_WITHIN_LIMIT("(SELECT 1) AS one", BOXOFFICE_LIVE_SEATS_SQLITE);
constexpr const char* kInsertHoldWithinLimitMysql =
    BOXOFFICE_INSERT_HOLD_WITHIN_LIMIT("DUAL", BOXOFFICE_LIVE_SEATS_MYSQL);
// All the hold's seats in one statement (sql::SeatRows).
constexpr const char* kInsertHoldSeats =
    "INSERT INTO occupation_seat (occupation_id, seat_id, seat_number, price) VALUES {rows}";
// The hold and its seats in one statement: one row per seat, or one row with NULL seat columns
// for a hold without seats. Unordered: Find sorts the seats, which spares MariaDB a temporary
// table and a filesort for a join it answers by primary keys (74 against 58 us median).
#define BOXOFFICE_HOLD_WITH_SEATS                                                      \
  "SELECT o.id, o.user_id, o.concert_event_id, o.status, o.created_at, o.expires_at, " \
  "s.seat_id, s.seat_number, s.price FROM occupation o "                               \
  "LEFT JOIN occupation_seat s ON s.occupation_id = o.id "
constexpr const char* kSelectHoldWithSeats = BOXOFFICE_HOLD_WITH_SEATS "WHERE o.id = :id";
// The same for a batch: "{in}" is replaced by the holds' ids.
constexpr const char* kSelectHoldsWithSeats = BOXOFFICE_HOLD_WITH_SEATS "WHERE o.id IN ({in})";
#undef BOXOFFICE_HOLD_WITH_SEATS
constexpr const char* kTransitionHolds =
    "UPDATE occupation SET status = :to, updated_at = :now WHERE id IN ({in}) AND status = :from";
constexpr const char* kTransitionHold =
    "UPDATE occupation SET status = :to, updated_at = :now WHERE id = :id AND status = :from";
constexpr const char* kSelectLapsedHolds =
    "SELECT id FROM occupation WHERE status = 'ACTIVE' AND expires_at <= :at "
    "ORDER BY id LIMIT :limit";
constexpr const char* kExpireLapsedHolds =
    "UPDATE occupation SET status = 'EXPIRED', updated_at = :at "
    "WHERE id IN ({in}) AND status = 'ACTIVE' AND expires_at <= :at";
// MySQL only (see LockSeats): "{in}" is replaced by the seat ids; ordered so lockers never
// deadlock.
constexpr const char* kLockSeats = "SELECT id FROM seat WHERE id IN ({in}) ORDER BY id";
// MySQL only (see LockUser).
constexpr const char* kLockUser = "SELECT id FROM users WHERE id = :user";
constexpr const char* kCountLiveSeats = BOXOFFICE_LIVE_SEATS_SQLITE;
constexpr const char* kCountLiveSeatsMysql = BOXOFFICE_LIVE_SEATS_MYSQL;

#undef BOXOFFICE_INSERT_HOLD_WITHIN_LIMIT
#undef BOXOFFICE_LIVE_SEATS_MYSQL
#undef BOXOFFICE_LIVE_SEATS_SQLITE
#undef BOXOFFICE_LIVE_SEATS

}  // namespace

const char* const sql_text::kCountLiveSeats = infra::kCountLiveSeats;
const char* const sql_text::kInsertHoldWithinLimit = infra::kInsertHoldWithinLimit;
const char* const sql_text::kSelectHoldWithSeats = infra::kSelectHoldWithSeats;

domain::Hold SqlHoldRepository::Create(domain::UserId user, domain::EventId event,
                                       const std::vector<domain::HeldSeat>& seats,
                                       domain::Instant expires_at, domain::Instant now) {
  return *Insert(user, event, seats, expires_at, now, std::nullopt);
}

std::optional<domain::Hold> SqlHoldRepository::CreateWithinLimit(
    domain::UserId user, domain::EventId event, const std::vector<domain::HeldSeat>& seats,
    domain::Instant expires_at, domain::Instant now, int max_live_seats) {
  // The count decides whether a new hold is allowed (read, then write). SQLite's single writer
  // makes that atomic; on MySQL two holds of one user could both count before either inserts,
  // so the user's row is locked first: concurrent holds of one user then count one after the
  // other.
  LockUser(user);
  return Insert(user, event, seats, expires_at, now, max_live_seats);
}

void SqlHoldRepository::LockSeats(const std::vector<domain::HeldSeat>& seats) {
  if (dialect_.ForUpdateSuffix().empty() || seats.empty()) return;
  std::vector<std::int64_t> seat_ids;
  for (const auto& s : seats) seat_ids.push_back(s.seat_id.value);
  if (locks_.HasSeats(seat_ids)) return;  // read for the hold with FindForHold or Find
  sql::InList list("s", seat_ids);
  std::int64_t locked = 0;
  sql::Statement lock = PrepareInList(
      sql::WithInList(kLockSeats, list) + std::string(dialect_.ForUpdateSuffix()), list);
  lock.Bind(soci::into(locked));
  list.BindTo(lock);
  lock.Execute(false);
  while (lock.Fetch()) locks_.seats.push_back(locked);
}

void SqlHoldRepository::LockUser(domain::UserId user) {
  if (dialect_.ForUpdateSuffix().empty() || locks_.HasUser(user.value)) return;
  std::int64_t locked = 0;
  if (Run(std::string(kLockUser) + std::string(dialect_.ForUpdateSuffix()),
          soci::use(user.value, "user"), soci::into(locked))) {
    locks_.users.push_back(user.value);
  }
}

std::optional<domain::Hold> SqlHoldRepository::Insert(domain::UserId user, domain::EventId event,
                                                      const std::vector<domain::HeldSeat>& seats,
                                                      domain::Instant expires_at,
                                                      domain::Instant now,
                                                      std::optional<int> max_live_seats) {
  const std::int64_t expires = sql::ToMs(expires_at);
  const std::int64_t at = sql::ToMs(now);
  // InnoDB: inserting occupation_seat takes a shared lock on each seat row (the foreign key
  // check), and the caller's next step, the conditional hold UPDATE, needs an exclusive one.
  // Two racing holds of one seat would each take the shared lock and then deadlock upgrading
  // it. Taking the exclusive locks first queues them instead: the winner commits, the others
  // then see the seat HELD and their UPDATE matches nothing. A hold that read its seats with
  // FindForHold already holds these locks, and asks for nothing more.
  LockSeats(seats);
  if (max_live_seats) {
    const int n = static_cast<int>(seats.size());
    sql::Statement insert =
        Prepare(dialect_.Pick(kInsertHoldWithinLimit, kInsertHoldWithinLimitMysql));
    insert
        .Bind(soci::use(user.value, "user"), soci::use(event.value, "event"),
              soci::use(expires, "expires"), soci::use(at, "now"), soci::use(n, "n"),
              soci::use(*max_live_seats, "max"))
        .Execute();
    if (insert.AffectedRows() == 0) return std::nullopt;
  } else {
    Run(kInsertHold, soci::use(user.value, "user"), soci::use(event.value, "event"),
        soci::use(expires, "expires"), soci::use(at, "now"));
  }
  const std::int64_t id = dialect_.LastInsertId(session_);

  if (!seats.empty()) {
    const sql::SeatRows rows(kInsertHoldSeats, id, seats);
    RunOrDefer(rows.Sql(), rows.Values());
  }
  return domain::Hold{.id = domain::HoldId{id},
                      .user_id = user,
                      .event_id = event,
                      .status = domain::HoldStatus::kActive,
                      .created_at = now,
                      .expires_at = expires_at,
                      .seats = seats};
}

namespace {

// Runs `st` (kSelectHoldWithSeats or kSelectHoldsWithSeats, its ids bound) and returns the
// holds it found by id, each with its seats in seat-number order.
std::unordered_map<std::int64_t, domain::Hold> FetchHolds(sql::Statement& st) {
  std::int64_t id = 0;
  domain::Hold row;
  std::string status;
  std::int64_t created = 0;
  std::int64_t expires = 0;
  domain::HeldSeat seat;
  soci::indicator seat_ind = soci::i_ok;
  soci::indicator number_ind = soci::i_ok;
  soci::indicator price_ind = soci::i_ok;
  st.Bind(soci::into(id), soci::into(row.user_id.value), soci::into(row.event_id.value),
          soci::into(status), soci::into(created), soci::into(expires),
          soci::into(seat.seat_id.value, seat_ind), soci::into(seat.seat_number, number_ind),
          soci::into(seat.price.won, price_ind));
  st.Execute(false);
  std::unordered_map<std::int64_t, domain::Hold> found;
  while (st.Fetch()) {
    auto [it, fresh] = found.try_emplace(id);
    domain::Hold& hold = it->second;
    if (fresh) {
      hold = row;
      hold.id = domain::HoldId{id};
      hold.status = sql::HoldStatusFrom(status);
      hold.created_at = sql::FromMs(created);
      hold.expires_at = sql::FromMs(expires);
      hold.seats.clear();
    }
    if (seat_ind == soci::i_ok) hold.seats.push_back(seat);
  }
  for (auto& [key, hold] : found) {
    std::sort(hold.seats.begin(), hold.seats.end(),
              [](const domain::HeldSeat& a, const domain::HeldSeat& b) {
                return a.seat_number < b.seat_number;
              });
  }
  return found;
}

}  // namespace

std::optional<domain::Hold> SqlHoldRepository::Find(domain::HoldId id) {
  sql::Statement st = Prepare(kSelectHoldWithSeats);
  st.Bind(soci::use(id.value, "id"));
  auto found = FetchHolds(st);
  if (found.empty()) return std::nullopt;
  return std::move(found.begin()->second);
}

std::vector<std::optional<domain::Hold>> SqlHoldRepository::FindAll(
    std::span<const domain::HoldId> ids) {
  sql::InList list("h", ids);
  std::unordered_map<std::int64_t, domain::Hold> found;
  if (!list.empty()) {
    sql::Statement st = PrepareInList(sql::WithInList(kSelectHoldsWithSeats, list), list);
    list.BindTo(st);
    found = FetchHolds(st);
  }
  return sql::InOrderOf(ids, found);
}

bool SqlHoldRepository::TransitionAll(std::span<const domain::HoldId> ids, domain::HoldStatus from,
                                      domain::HoldStatus to, domain::Instant now) {
  if (ids.empty()) return true;
  const sql::InList list("h", ids);
  sql::Params params{{"to", sql::ToText(to)}, {"now", sql::ToMs(now)}, {"from", sql::ToText(from)}};
  list.AppendTo(params);
  return RunExpectingOnce(sql::WithInList(kTransitionHolds, list), params,
                          static_cast<long long>(ids.size()));
}

bool SqlHoldRepository::Transition(domain::HoldId id, domain::HoldStatus from,
                                   domain::HoldStatus to, domain::Instant now) {
  return RunTransition(kTransitionHold, id.value, from, to, now);
}

int SqlHoldRepository::CountLiveSeats(domain::UserId user, domain::EventId event,
                                      domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  // A count that decides a write must not change before the write: on MySQL the user's row is
  // locked first (see CreateWithinLimit), so concurrent holds of one user count one at a time.
  LockUser(user);
  int count = 0;
  Run(dialect_.Pick(kCountLiveSeats, kCountLiveSeatsMysql), soci::use(user.value, "user"),
      soci::use(event.value, "event"), soci::use(at, "now"), soci::into(count));
  return count;
}

int SqlHoldRepository::ExpireLapsed(domain::Instant now, int limit) {
  if (limit <= 0) return 0;
  const std::int64_t at = sql::ToMs(now);
  return sql::ExecuteOnIds(session_, kExpireLapsedHolds,
                           sql::SelectIds(session_, kSelectLapsedHolds, at, limit), at);
}

}  // namespace boxoffice::infra
