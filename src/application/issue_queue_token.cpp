#include "application/issue_queue_token.hpp"

#include <algorithm>
#include <optional>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Instant;
using domain::Result;

IssueQueueToken::IssueQueueToken(domain::Database& db, domain::WaitingRoom& room,
                                 domain::TokenService& tokens, PolicyService& policies,
                                 const domain::Clock& clock)
    : db_(db), room_(room), tokens_(tokens), policies_(policies), clock_(clock) {}

Result<QueueTicket> IssueQueueToken::Execute(const IssueQueueTokenCommand& cmd) {
  const auto now = clock_.Now();
  auto opens_at = db_.Read([&](domain::Store& store) -> Result<Instant> {
    if (!store.Catalogue().FindConcert(cmd.concert_id)) {
      return Fail(ErrorCode::kConcertNotFound, "concert not found");
    }
    // The line opens with the earliest sale window that has not ended yet.
    std::optional<Instant> earliest;
    for (const auto& event : store.Catalogue().ListEvents(cmd.concert_id, now)) {
      if (event.reservation_end_at <= now) continue;
      if (!earliest || event.reservation_start_at < *earliest) {
        earliest = event.reservation_start_at;
      }
    }
    if (!earliest) {
      return Fail(ErrorCode::kReservationNotOpened, "no date of this concert is on sale");
    }
    return *earliest;
  });
  if (!opens_at) return opens_at.error();

  const auto policies = policies_.Current();
  const auto place = room_.Join(cmd.concert_id, cmd.user_id, now, *opens_at, policies);
  const auto view = room_.Touch(cmd.concert_id, cmd.user_id, place.generation, now, policies);
  const auto stats = room_.Stats(cmd.concert_id, now);
  auto token = tokens_.IssueQueue(
      domain::QueueClaims{cmd.user_id, cmd.concert_id, place.sequence, place.generation}, now);
  return QueueTicket{std::move(token), MakeStatusView(view, stats, policies)};
}

}  // namespace boxoffice::application
