#include "application/issue_queue_token.hpp"

#include <algorithm>
#include <exception>
#include <optional>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Instant;
using domain::Result;

IssueQueueToken::IssueQueueToken(domain::Database& db, domain::CatalogueCache& cache,
                                 domain::WaitingRoom& room, domain::TokenService& tokens,
                                 PolicyService& policies, const domain::Clock& clock)
    : db_(db), cache_(cache), room_(room), tokens_(tokens), policies_(policies), clock_(clock) {}

Result<std::vector<domain::ConcertEvent>> IssueQueueToken::Dates(domain::ConcertId concert,
                                                                 Instant now) {
  if (auto cached = cache_.GetEvents(concert)) return *std::move(cached);
  const auto version = cache_.Version();
  auto dates = db_.Read([&](domain::Store& store) -> Result<std::vector<domain::ConcertEvent>> {
    if (!store.Catalogue().FindConcert(concert)) {
      return Fail(ErrorCode::kConcertNotFound, "concert not found");
    }
    return store.Catalogue().ListEvents(concert, now);
  });
  if (!dates) return dates;
  for (auto& d : *dates) d.available_seat_count = 0;  // never cached: see CatalogueCache
  cache_.PutEvents(concert, *dates, version);
  return dates;
}

namespace {

// The line opens with the earliest sale window that has not ended yet.
Result<Instant> OpensAt(const std::vector<domain::ConcertEvent>& dates, Instant now) {
  std::optional<Instant> opens_at;
  for (const auto& date : dates) {
    if (date.reservation_end_at <= now) continue;
    if (!opens_at || date.reservation_start_at < *opens_at) opens_at = date.reservation_start_at;
  }
  if (!opens_at) {
    return Fail(ErrorCode::kReservationNotOpened, "no date of this concert is on sale");
  }
  return *opens_at;
}

}  // namespace

QueueTicket IssueQueueToken::Ticket(const IssueQueueTokenCommand& cmd, Instant now,
                                    const domain::PlaceWithStats& joined,
                                    const domain::Policies& policies) {
  const auto& [place, stats] = joined;
  auto token = tokens_.IssueQueue(
      domain::QueueClaims{cmd.user_id, cmd.concert_id, place.sequence, place.generation}, now);
  return QueueTicket{std::move(token), MakeStatusView(place.view, stats, policies)};
}

Result<QueueTicket> IssueQueueToken::Execute(const IssueQueueTokenCommand& cmd) {
  const auto now = clock_.Now();
  auto dates = Dates(cmd.concert_id, now);
  if (!dates) return dates.error();
  const auto opens_at = OpensAt(*dates, now);
  if (!opens_at) return opens_at.error();
  const auto policies = policies_.Current();
  // The view comes from the join itself: a concurrent re-issue by the same user cannot slip in
  // between, and the newest of such tokens is the one that stays valid.
  return Ticket(cmd, now,
                room_.JoinWithStats(cmd.concert_id, cmd.user_id, now, *opens_at, policies),
                policies);
}

bool IssueQueueToken::TryExecuteAsync(const IssueQueueTokenCommand& cmd,
                                      domain::Completion<Result<QueueTicket>> done) {
  if (!room_.AnswersWithoutBlocking()) return false;
  const auto now = clock_.Now();
  const auto dates = cache_.PeekEvents(cmd.concert_id);
  if (!dates) return false;
  const auto policies = policies_.CurrentIfFresh();
  if (!policies) return false;
  const auto opens_at = OpensAt(*dates, now);
  if (!opens_at) {
    done(nullptr, opens_at.error());
    return true;
  }
  room_.JoinWithStatsAsync(cmd.concert_id, cmd.user_id, now, *opens_at, *policies,
                           [this, cmd, now, policies = *policies, done = std::move(done)](
                               std::exception_ptr error, domain::PlaceWithStats joined) {
                             std::optional<QueueTicket> ticket;
                             if (!error) {
                               try {
                                 ticket = Ticket(cmd, now, joined, policies);
                               } catch (...) {
                                 error = std::current_exception();
                               }
                             }
                             if (error) {
                               done(error, Fail(ErrorCode::kUnavailable, "the join failed"));
                             } else {
                               done(nullptr, *std::move(ticket));
                             }
                           });
  return true;
}

}  // namespace boxoffice::application
