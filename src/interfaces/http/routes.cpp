#include "interfaces/http/handlers/context.hpp"
#include "interfaces/http/handlers/handlers.hpp"

namespace boxoffice::http {

Handler HandlerFor(RouteId id) {
  // No default: a route added to the table without a handler is a compiler warning.
  switch (id) {
    case RouteId::kCreateUser:
      return handlers::CreateUser;
    case RouteId::kIssueQueueToken:
      return handlers::IssueQueueToken;
    case RouteId::kQueueStatus:
      return handlers::QueueStatus;
    case RouteId::kQueueStream:
      return nullptr;  // not request/response: the server runs it (Server::Impl::ServeQueueStream)
    case RouteId::kLeaveQueue:
      return handlers::LeaveQueue;
    case RouteId::kListConcerts:
      return handlers::ListConcerts;
    case RouteId::kAvailableEvents:
      return handlers::AvailableEvents;
    case RouteId::kListSeats:
      return handlers::ListSeats;
    case RouteId::kAvailableSeats:
      return handlers::AvailableSeats;
    case RouteId::kOccupySeats:
      return handlers::OccupySeats;
    case RouteId::kReleaseOccupation:
      return handlers::ReleaseOccupation;
    case RouteId::kReserveSeats:
      return handlers::ReserveSeats;
    case RouteId::kCancelReservation:
      return handlers::CancelReservation;
    case RouteId::kPay:
      return handlers::Pay;
    case RouteId::kUserPayments:
      return handlers::UserPayments;
    case RouteId::kUserReservations:
      return handlers::UserReservations;
    case RouteId::kWalletBalance:
      return handlers::WalletBalance;
    case RouteId::kWalletCharge:
      return handlers::WalletCharge;
    case RouteId::kWalletTransactions:
      return handlers::WalletTransactions;
    case RouteId::kAdminCreateConcert:
      return handlers::AdminCreateConcert;
    case RouteId::kAdminCreateEvent:
      return handlers::AdminCreateEvent;
    case RouteId::kAdminGetPolicies:
      return handlers::AdminGetPolicies;
    case RouteId::kAdminPutPolicies:
      return handlers::AdminPutPolicies;
    case RouteId::kAdminQueueStats:
      return handlers::AdminQueueStats;
    case RouteId::kTestAdvanceClock:
      return handlers::TestAdvanceClock;
    case RouteId::kTestTick:
      return handlers::TestTick;
    case RouteId::kHealth:
      return handlers::Health;
    case RouteId::kReady:
      return handlers::Ready;
    case RouteId::kMetrics:
      return handlers::MetricsText;
    case RouteId::kOpenApi:
      return handlers::OpenApi;
    case RouteId::kCount:
      break;
  }
  return nullptr;
}

AsyncHandler AsyncHandlerFor(RouteId id) {
  // The routes every arrival and every waiting user call many times a second at an opening, the
  // concert list they read first, and the write steps served in batches (ADR 0021).
  switch (id) {
    case RouteId::kIssueQueueToken:
      return handlers::IssueQueueTokenAsync;
    case RouteId::kQueueStatus:
      return handlers::QueueStatusAsync;
    case RouteId::kListConcerts:
      return handlers::ListConcertsAsync;
    case RouteId::kWalletCharge:
      return handlers::WalletChargeAsync;
    case RouteId::kCreateUser:
      return handlers::CreateUserAsync;
    case RouteId::kReserveSeats:
      return handlers::ReserveSeatsAsync;
    case RouteId::kPay:
      return handlers::PayAsync;
    default:
      return nullptr;
  }
}

Batches::Batches(const std::function<void(std::function<void()>)>& post, Services& services,
                 Metrics& metrics, std::size_t max_batch, std::size_t max_running)
    : charges(
          post,
          [&services](std::vector<BatchedCharge>& batch) {
            handlers::RunChargeBatch(services, batch);
          },
          max_batch, max_running),
      signups(
          post,
          [&services](std::vector<BatchedSignup>& batch) {
            handlers::RunSignupBatch(services, batch);
          },
          max_batch, max_running),
      reservations(
          post,
          [&services, &metrics](std::vector<BatchedReservation>& batch) {
            handlers::RunReserveBatch(services, metrics, batch);
          },
          max_batch, max_running),
      payments(
          post,
          [&services, &metrics](std::vector<BatchedPayment>& batch) {
            handlers::RunPayBatch(services, metrics, batch);
          },
          max_batch, max_running) {}

bool NeedsActiveUser(RouteId id) {
  switch (id) {
    case RouteId::kAvailableEvents:
    case RouteId::kListSeats:
    case RouteId::kAvailableSeats:
    case RouteId::kOccupySeats:
    case RouteId::kReleaseOccupation:
    case RouteId::kReserveSeats:
    case RouteId::kPay:
      return true;
    default:
      return false;
  }
}

}  // namespace boxoffice::http
