#include "application/manage_catalogue.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "application/text.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Result;

namespace {

constexpr std::size_t kMaxShortText = 200;
constexpr std::size_t kMaxDescription = 2000;

std::optional<domain::Error> CheckText(const char* field, const std::string& value, std::size_t min,
                                       std::size_t max) {
  const auto length = Utf8Length(value);
  if (length < min || length > max) {
    return Fail(ErrorCode::kInvalidRequest, std::string(field) + " must be " + std::to_string(min) +
                                                " to " + std::to_string(max) + " characters");
  }
  return std::nullopt;
}

}  // namespace

ManageCatalogue::ManageCatalogue(domain::Database& db, domain::CatalogueCache& cache,
                                 const domain::Clock& clock)
    : db_(db), cache_(cache), clock_(clock) {}

Result<domain::Concert> ManageCatalogue::CreateConcert(const domain::NewConcert& concert) {
  domain::NewConcert clean{TrimSpace(concert.title), TrimSpace(concert.singer),
                           concert.description};
  for (auto problem : {CheckText("title", clean.title, 1, kMaxShortText),
                       CheckText("singer", clean.singer, 1, kMaxShortText),
                       CheckText("description", clean.description, 0, kMaxDescription)}) {
    if (problem) return *problem;
  }
  const auto now = clock_.Now();
  auto created = db_.Write([&](domain::Store& store) -> Result<domain::Concert> {
    return store.Catalogue().CreateConcert(clean, now);
  });
  if (created) cache_.Invalidate();
  return created;
}

Result<domain::ConcertEvent> ManageCatalogue::CreateEvent(const domain::NewConcertEvent& event) {
  domain::NewConcertEvent clean = event;
  clean.venue = TrimSpace(event.venue);
  if (auto problem = CheckText("venue", clean.venue, 1, kMaxShortText)) return *problem;
  if (clean.seat_count < 1 || clean.seat_count > domain::kMaxSeatsPerEvent) {
    return Fail(ErrorCode::kInvalidRequest,
                "seatCount must be 1 to " + std::to_string(domain::kMaxSeatsPerEvent));
  }
  if (clean.duration_minutes < 1 || clean.duration_minutes > domain::kMaxDurationMinutes) {
    return Fail(
        ErrorCode::kInvalidRequest,
        "duration must be 1 to " + std::to_string(domain::kMaxDurationMinutes) + " minutes");
  }
  if (!(clean.reservation_start_at < clean.reservation_end_at &&
        clean.reservation_end_at <= clean.start_at)) {
    return Fail(ErrorCode::kInvalidRequest,
                "reservation window must start before it ends, and end by the concert start");
  }
  if (clean.price <= domain::Money{0} || clean.price > domain::kMaxChargeAmount) {
    return Fail(ErrorCode::kInvalidAmount,
                "price must be 1 to " + std::to_string(domain::kMaxChargeAmount.won));
  }
  const auto now = clock_.Now();
  auto created = db_.Write([&](domain::Store& store) -> Result<domain::ConcertEvent> {
    if (!store.Catalogue().FindConcert(clean.concert_id)) {
      return Fail(ErrorCode::kConcertNotFound, "concert not found");
    }
    return store.Catalogue().CreateEvent(clean, now);
  });
  if (created) cache_.Invalidate();
  return created;
}

}  // namespace boxoffice::application
