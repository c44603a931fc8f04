#include <soci/soci.h>

#include <algorithm>
#include <tuple>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_statements.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kInsertConcert =
    "INSERT INTO concert (title, singer, description, created_at) "
    "VALUES (:title, :singer, :description, :now)";
constexpr const char* kSelectConcerts =
    "SELECT id, title, singer, description FROM concert ORDER BY id";
constexpr const char* kSelectConcert =
    "SELECT title, singer, description FROM concert WHERE id = :id";

constexpr const char* kInsertEvent =
    "INSERT INTO concert_event (concert_id, venue, start_at, duration_minutes, "
    "reservation_start_at, reservation_end_at, max_seat_count, created_at) "
    "VALUES (:concert, :venue, :start, :duration, :open, :close, :seats, :now)";
constexpr const char* kInsertSeat =
    "INSERT INTO seat (concert_event_id, seat_number, price, state) "
    "VALUES (:event, :number, :price, 'AVAILABLE')";

// A HELD seat whose deadline has passed counts as available: expiry needs no sweeper.
#define BOXOFFICE_SEAT_FREE "(s.state = 'AVAILABLE' OR (s.state = 'HELD' AND s.held_until <= :now))"

// A date's free seats: the AVAILABLE ones plus the HELD ones whose hold has run out. Triggers
// keep the AVAILABLE ones (migration 0003, ADR 0001): SQLite in concert_event.available_seats,
// MySQL in the date's shard rows of seat_available_count (one counter row would be a hot row
// there). The lapsed holds are a range of the (concert_event_id, state, held_until) index: a
// listing reads no other seat.
#define BOXOFFICE_LAPSED_HOLDS_OF_E                                                    \
  "(SELECT COUNT(*) FROM seat s WHERE s.concert_event_id = e.id AND s.state = 'HELD' " \
  "AND s.held_until <= :now)"
// CAST: MySQL sums an INT column into a DECIMAL.
#define BOXOFFICE_FREE_SEATS_OF_E_SHARDED                                               \
  "((SELECT CAST(COALESCE(SUM(c.available), 0) AS SIGNED) FROM seat_available_count c " \
  "WHERE c.concert_event_id = e.id) + " BOXOFFICE_LAPSED_HOLDS_OF_E ")"
#define BOXOFFICE_FREE_SEATS_OF_E_KEPT "(e.available_seats + " BOXOFFICE_LAPSED_HOLDS_OF_E ")"
#define BOXOFFICE_EVENT_COLUMNS                                          \
  "SELECT e.id, e.concert_id, e.venue, e.start_at, e.duration_minutes, " \
  "e.reservation_start_at, e.reservation_end_at, e.max_seat_count, "

constexpr const char* kSelectEvent =
    BOXOFFICE_EVENT_COLUMNS BOXOFFICE_FREE_SEATS_OF_E_KEPT " FROM concert_event e WHERE e.id = :id";
constexpr const char* kSelectEventMysql = BOXOFFICE_EVENT_COLUMNS BOXOFFICE_FREE_SEATS_OF_E_SHARDED
    " FROM concert_event e WHERE e.id = :id";
constexpr const char* kSelectEventUncounted =
    "SELECT e.id, e.concert_id, e.venue, e.start_at, e.duration_minutes, "
    "e.reservation_start_at, e.reservation_end_at, e.max_seat_count, 0 "
    "FROM concert_event e WHERE e.id = :id";
// Unordered: the repository sorts the few dates. Sorting them in MariaDB cost it two temporary
// tables and a filesort per listing, as its slow log said (the computed count column is
// materialised first), 150 against 134 us median with no other load.
constexpr const char* kSelectEventsOfConcert =
    BOXOFFICE_EVENT_COLUMNS BOXOFFICE_FREE_SEATS_OF_E_KEPT
    " FROM concert_event e WHERE e.concert_id = :id";
constexpr const char* kSelectEventsOfConcertMysql =
    BOXOFFICE_EVENT_COLUMNS BOXOFFICE_FREE_SEATS_OF_E_SHARDED
    " FROM concert_event e WHERE e.concert_id = :id";
constexpr const char* kSelectSeatsOfEvent =
    "SELECT s.id, s.seat_number, s.price, "
    "CASE WHEN " BOXOFFICE_SEAT_FREE
    " THEN 'AVAILABLE' ELSE s.state END "
    "FROM seat s WHERE s.concert_event_id = :event ORDER BY s.seat_number";
// A date's free seats in seat order. SQLite reads them that way.
constexpr const char* kSelectFreeSeatsOfEvent =
    "SELECT s.id, s.seat_number, s.price FROM seat s "
    "WHERE s.concert_event_id = :event AND " BOXOFFICE_SEAT_FREE " ORDER BY s.seat_number";
// MySQL reads them from migration 0005's covering index as two ranges, the AVAILABLE seats and
// the lapsed holds, so no sold or live-held seat is read; ListFreeSeats puts them in seat order.
// The index is named: prepared on the server (ADR 0020), MariaDB has chosen another plan for
// this listing and sorted the date's free seats on nearly every listing of a rush.
constexpr const char* kSelectFreeSeatsOfEventMysql =
    "SELECT s.id, s.seat_number, s.price FROM seat s FORCE INDEX (idx_seat_event_state_until) "
    "WHERE s.concert_event_id = :event AND " BOXOFFICE_SEAT_FREE;
// EXISTS, not COUNT: the admission tick asks this of every concert with a line, and until a
// sale ends the first unsold seat answers it (a count walked every seat of every date).
constexpr const char* kHasBuyable =
    "SELECT EXISTS (SELECT 1 FROM seat s JOIN concert_event e ON e.id = s.concert_event_id "
    "WHERE e.concert_id = :concert AND e.reservation_end_at > :now AND s.state <> 'RESERVED')";

#undef BOXOFFICE_SEAT_FREE
#undef BOXOFFICE_LAPSED_HOLDS_OF_E
#undef BOXOFFICE_FREE_SEATS_OF_E_SHARDED
#undef BOXOFFICE_FREE_SEATS_OF_E_KEPT
#undef BOXOFFICE_EVENT_COLUMNS

// Column buffers of an event row; SOCI writes each fetched row into them.
struct EventRow {
  std::int64_t id = 0;
  std::int64_t concert_id = 0;
  std::string venue;
  std::int64_t start_at = 0;
  int duration = 0;
  std::int64_t open = 0;
  std::int64_t close = 0;
  int max_seats = 0;
  long long available = 0;

  void Into(sql::Statement& st) {
    st.Bind(soci::into(id), soci::into(concert_id), soci::into(venue), soci::into(start_at),
            soci::into(duration), soci::into(open), soci::into(close), soci::into(max_seats),
            soci::into(available));
  }

  domain::ConcertEvent ToEvent() const {
    return domain::ConcertEvent{
        .id = domain::EventId{id},
        .concert_id = domain::ConcertId{concert_id},
        .venue = venue,
        .start_at = sql::FromMs(start_at),
        .duration_minutes = duration,
        .reservation_start_at = sql::FromMs(open),
        .reservation_end_at = sql::FromMs(close),
        .max_seat_count = max_seats,
        .available_seat_count = static_cast<std::int32_t>(available),
    };
  }
};

// `now` is bound when the query counts available seats at that moment.
// The dates `st` selects, given the key it binds as :id and, unless null, the instant :now.
std::vector<domain::ConcertEvent> QueryEvents(sql::Statement& st, std::int64_t key,
                                              const std::int64_t* now) {
  EventRow row;
  row.Into(st);
  st.Bind(soci::use(key, "id"));
  if (now != nullptr) st.Bind(soci::use(*now, "now"));
  st.Execute(false);
  std::vector<domain::ConcertEvent> out;
  while (st.Fetch()) out.push_back(row.ToEvent());
  return out;
}

}  // namespace

const char* const sql_text::kSelectEventsOfConcert = infra::kSelectEventsOfConcert;
const char* const sql_text::kSelectEventsOfConcertMysql = infra::kSelectEventsOfConcertMysql;
const char* const sql_text::kSelectFreeSeatsOfEvent = infra::kSelectFreeSeatsOfEvent;
const char* const sql_text::kSelectFreeSeatsOfEventMysql = infra::kSelectFreeSeatsOfEventMysql;

domain::Concert SqlCatalogueRepository::CreateConcert(const domain::NewConcert& concert,
                                                      domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  Run(kInsertConcert, soci::use(concert.title, "title"), soci::use(concert.singer, "singer"),
      soci::use(concert.description, "description"), soci::use(at, "now"));
  return domain::Concert{domain::ConcertId{dialect_.LastInsertId(session_)}, concert.title,
                         concert.singer, concert.description};
}

std::vector<domain::Concert> SqlCatalogueRepository::ListConcerts() {
  domain::Concert row;
  sql::Statement st = Prepare(kSelectConcerts);
  st.Bind(soci::into(row.id.value), soci::into(row.title), soci::into(row.singer),
          soci::into(row.description));
  st.Execute(false);
  std::vector<domain::Concert> out;
  while (st.Fetch()) out.push_back(row);
  return out;
}

std::optional<domain::Concert> SqlCatalogueRepository::FindConcert(domain::ConcertId id) {
  domain::Concert c{.id = id};
  if (!Run(kSelectConcert, soci::use(id.value, "id"), soci::into(c.title), soci::into(c.singer),
           soci::into(c.description))) {
    return std::nullopt;
  }
  return c;
}

domain::ConcertEvent SqlCatalogueRepository::CreateEvent(const domain::NewConcertEvent& event,
                                                         domain::Instant now) {
  const std::int64_t start = sql::ToMs(event.start_at);
  const std::int64_t open = sql::ToMs(event.reservation_start_at);
  const std::int64_t close = sql::ToMs(event.reservation_end_at);
  const std::int64_t at = sql::ToMs(now);
  Run(kInsertEvent, soci::use(event.concert_id.value, "concert"), soci::use(event.venue, "venue"),
      soci::use(start, "start"), soci::use(event.duration_minutes, "duration"),
      soci::use(open, "open"), soci::use(close, "close"), soci::use(event.seat_count, "seats"),
      soci::use(at, "now"));
  const std::int64_t id = dialect_.LastInsertId(session_);

  // One prepared statement re-executed per seat: a 10,000-seat map is one parse, not 10,000.
  int number = 0;
  sql::Statement insert_seat = Prepare(kInsertSeat);
  insert_seat.Bind(soci::use(id, "event"), soci::use(number, "number"),
                   soci::use(event.price.won, "price"));
  for (number = 1; number <= event.seat_count; ++number) insert_seat.Execute();

  return domain::ConcertEvent{
      .id = domain::EventId{id},
      .concert_id = event.concert_id,
      .venue = event.venue,
      .start_at = event.start_at,
      .duration_minutes = event.duration_minutes,
      .reservation_start_at = event.reservation_start_at,
      .reservation_end_at = event.reservation_end_at,
      .max_seat_count = event.seat_count,
      .available_seat_count = event.seat_count,
  };
}

std::optional<domain::ConcertEvent> SqlCatalogueRepository::FindEvent(domain::EventId id,
                                                                      domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  sql::Statement st = Prepare(dialect_.Pick(kSelectEvent, kSelectEventMysql));
  auto events = QueryEvents(st, id.value, &at);
  if (events.empty()) return std::nullopt;
  return events.front();
}

std::optional<domain::ConcertEvent> SqlCatalogueRepository::FindEventUncounted(domain::EventId id) {
  sql::Statement st = Prepare(kSelectEventUncounted);
  auto events = QueryEvents(st, id.value, nullptr);
  if (events.empty()) return std::nullopt;
  return events.front();
}

std::vector<domain::ConcertEvent> SqlCatalogueRepository::ListEvents(domain::ConcertId concert,
                                                                     domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  sql::Statement st = Prepare(dialect_.Pick(kSelectEventsOfConcert, kSelectEventsOfConcertMysql));
  auto events = QueryEvents(st, concert.value, &at);
  std::sort(events.begin(), events.end(),
            [](const domain::ConcertEvent& a, const domain::ConcertEvent& b) {
              return std::tie(a.start_at, a.id.value) < std::tie(b.start_at, b.id.value);
            });
  return events;
}

std::vector<domain::Seat> SqlCatalogueRepository::ListSeats(domain::EventId event,
                                                            domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  domain::Seat row{.event_id = event};
  std::string state;
  sql::Statement st = Prepare(kSelectSeatsOfEvent);
  st.Bind(soci::into(row.id.value), soci::into(row.seat_number), soci::into(row.price.won),
          soci::into(state), soci::use(event.value, "event"), soci::use(at, "now"));
  st.Execute(false);
  std::vector<domain::Seat> out;
  while (st.Fetch()) {
    row.state = sql::SeatStateFrom(state);
    out.push_back(row);
  }
  return out;
}

namespace {

// The listing's seats by seat number. MySQL returns them by state, then seat number (its
// statement's comment); SQLite's are in order already, which costs one pass to see.
std::vector<domain::Seat> InSeatOrder(std::vector<domain::Seat> seats) {
  const auto by_number = [](const domain::Seat& a, const domain::Seat& b) {
    return a.seat_number < b.seat_number;
  };
  if (!std::is_sorted(seats.begin(), seats.end(), by_number)) {
    std::sort(seats.begin(), seats.end(), by_number);
  }
  return seats;
}

}  // namespace

std::vector<domain::Seat> SqlCatalogueRepository::ListFreeSeats(domain::EventId event,
                                                                domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  domain::Seat row{.event_id = event, .state = domain::SeatState::kAvailable};
  sql::Statement st = Prepare(dialect_.Pick(kSelectFreeSeatsOfEvent, kSelectFreeSeatsOfEventMysql));
  std::vector<domain::Seat> out;
  if (dialect_.backend() == SqlBackend::kSqlite || st.PreparedOnMysql()) {
    st.Bind(soci::into(row.id.value), soci::into(row.seat_number), soci::into(row.price.won),
            soci::use(event.value, "event"), soci::use(at, "now"));
    st.Execute(false);
    while (st.Fetch()) out.push_back(row);
    return InSeatOrder(std::move(out));
  }
  // A MySQL text statement returns numbers as text, and SOCI's backend parses each through a
  // std::istringstream, which costs more than the rest of the row: a date's listing has hundreds
  // of rows. So the columns are taken as text and parsed here. (A statement prepared on the
  // server, above, returns them as binary integers.)
  std::string id, number, price;
  st.Bind(soci::into(id), soci::into(number), soci::into(price), soci::use(event.value, "event"),
          soci::use(at, "now"));
  st.Execute(false);
  while (st.Fetch()) {
    row.id.value = sql::ParseInteger<std::int64_t>(id);
    row.seat_number = sql::ParseInteger<std::int32_t>(number);
    row.price.won = sql::ParseInteger<std::int64_t>(price);
    out.push_back(row);
  }
  return InSeatOrder(std::move(out));
}

bool SqlCatalogueRepository::HasBuyableSeats(domain::ConcertId concert, domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  int found = 0;
  Run(kHasBuyable, soci::use(concert.value, "concert"), soci::use(at, "now"), soci::into(found));
  return found != 0;
}

}  // namespace boxoffice::infra
