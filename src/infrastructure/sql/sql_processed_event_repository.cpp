#include <soci/soci.h>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

// Run with Dialect::InsertUnlessDuplicate: a consumer marks an event once.
constexpr const char* kInsertProcessed =
    "INSERT INTO processed_event (consumer, event_id, processed_at) "
    "VALUES (:consumer, :event, :now)";
constexpr const char* kCountProcessed =
    "SELECT COUNT(*) FROM processed_event WHERE consumer = :consumer AND event_id = :event";

}  // namespace

bool SqlProcessedEventRepository::MarkProcessed(const std::string& consumer, std::int64_t event_id,
                                                domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  // Held to go with the COMMIT: an event marked before fails the query before its COMMIT, and
  // the run without assuming answers false.
  if (HoldAssumingNew(kInsertProcessed,
                      {{"consumer", consumer}, {"event", event_id}, {"now", at}})) {
    return true;
  }
  sql::Statement st = Prepare(kInsertProcessed);
  st.Bind(soci::use(consumer, "consumer"), soci::use(event_id, "event"), soci::use(at, "now"));
  return dialect_.InsertUnlessDuplicate(st);
}

bool SqlProcessedEventRepository::IsProcessed(const std::string& consumer, std::int64_t event_id) {
  long long count = 0;
  Run(kCountProcessed, soci::use(consumer, "consumer"), soci::use(event_id, "event"),
      soci::into(count));
  return count > 0;
}

}  // namespace boxoffice::infra
