#pragma once

// Statements whose query plans tests check: SQLite's in tests/contract/sql_query_plan_test.cpp,
// MySQL's in mysql_database_test.cpp. Each is defined by the repository that runs it; the plans
// matter because a wrong index choice walks every held seat of every date on each hold, payment
// or dates listing, or sorts a date's free seats on each seat listing, or sorts through a
// temporary table.
namespace boxoffice::infra::sql_text {

extern const char* const kCountLiveSeats;              // sql_hold_repository.cpp
extern const char* const kInsertHoldWithinLimit;       // sql_hold_repository.cpp
extern const char* const kSelectHoldWithSeats;         // sql_hold_repository.cpp
extern const char* const kConfirmSeats;                // sql_seat_repository.cpp
extern const char* const kReleaseLapsedSeats;          // sql_seat_repository.cpp ("{in}": seat ids)
extern const char* const kSelectEventsOfConcert;       // sql_catalogue_repository.cpp (SQLite)
extern const char* const kSelectEventsOfConcertMysql;  // the same, MySQL (sharded count)
extern const char* const kSelectFreeSeatsOfEvent;      // sql_catalogue_repository.cpp
extern const char* const kSelectFreeSeatsOfEventMysql;  // the same, MySQL (index named)

}  // namespace boxoffice::infra::sql_text
