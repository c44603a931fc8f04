#include <soci/soci.h>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

// Prefixed with the dialect's insert-or-ignore.
constexpr const char* kInsertProcessed =
    " INTO processed_event (consumer, event_id, processed_at) VALUES (:consumer, :event, :now)";
constexpr const char* kCountProcessed =
    "SELECT COUNT(*) FROM processed_event WHERE consumer = :consumer AND event_id = :event";

}  // namespace

bool SqlProcessedEventRepository::MarkProcessed(const std::string& consumer, std::int64_t event_id,
                                                domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  soci::statement st =
      (session_.prepare << std::string(dialect_.InsertIgnore()) + kInsertProcessed,
       soci::use(consumer, "consumer"), soci::use(event_id, "event"), soci::use(at, "now"));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

bool SqlProcessedEventRepository::IsProcessed(const std::string& consumer, std::int64_t event_id) {
  long long count = 0;
  session_ << kCountProcessed, soci::use(consumer, "consumer"), soci::use(event_id, "event"),
      soci::into(count);
  return count > 0;
}

}  // namespace boxoffice::infra
