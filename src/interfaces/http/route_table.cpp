#include "interfaces/http/route_table.hpp"

#include <array>

namespace boxoffice::http {
namespace {

constexpr std::array<RouteSpec, kRouteCount> kRoutes{{
    {RouteId::kCreateUser, "POST", "/api/v1/users"},
    {RouteId::kIssueQueueToken, "POST", "/api/v1/queue/token"},
    {RouteId::kQueueStatus, "GET", "/api/v1/queue/status"},
    {RouteId::kQueueStream, "GET", "/api/v1/queue/stream"},
    {RouteId::kLeaveQueue, "DELETE", "/api/v1/queue/token"},
    {RouteId::kListConcerts, "GET", "/api/v1/concerts"},
    {RouteId::kAvailableEvents, "GET", "/api/v1/concerts/{concertId}/available-events"},
    {RouteId::kListSeats, "GET", "/api/v1/concert-events/{eventId}/seats"},
    {RouteId::kAvailableSeats, "GET", "/api/v1/concert-events/{eventId}/available-seats"},
    {RouteId::kOccupySeats, "POST", "/api/v1/concert-events/{eventId}/occupy"},
    {RouteId::kReleaseOccupation, "DELETE", "/api/v1/occupations/{occupationId}"},
    {RouteId::kReserveSeats, "POST", "/api/v1/concert-events/{eventId}/reserve"},
    {RouteId::kCancelReservation, "POST", "/api/v1/reservations/{reservationId}/cancel"},
    {RouteId::kPay, "POST", "/api/v1/payments"},
    {RouteId::kUserPayments, "GET", "/api/v1/users/{userId}/payments"},
    {RouteId::kUserReservations, "GET", "/api/v1/users/{userId}/reservations"},
    {RouteId::kWalletBalance, "GET", "/api/v1/users/{userId}/wallet"},
    {RouteId::kWalletCharge, "PATCH", "/api/v1/users/{userId}/wallet/charge"},
    {RouteId::kWalletTransactions, "GET", "/api/v1/users/{userId}/wallet/transactions"},
    {RouteId::kAdminCreateConcert, "POST", "/api/v1/admin/concerts"},
    {RouteId::kAdminCreateEvent, "POST", "/api/v1/admin/concerts/{concertId}/events"},
    {RouteId::kAdminGetPolicies, "GET", "/api/v1/admin/policies"},
    {RouteId::kAdminPutPolicies, "PUT", "/api/v1/admin/policies"},
    {RouteId::kAdminQueueStats, "GET", "/api/v1/admin/concerts/{concertId}/queue"},
    {RouteId::kTestAdvanceClock, "POST", "/api/v1/admin/test/clock", true},
    {RouteId::kTestTick, "POST", "/api/v1/admin/test/tick", true},
    {RouteId::kHealth, "GET", "/healthz"},
    {RouteId::kReady, "GET", "/readyz"},
    {RouteId::kMetrics, "GET", "/metrics"},
    {RouteId::kOpenApi, "GET", "/openapi.yaml"},
}};

constexpr bool IdsMatchPositions() {
  for (std::size_t i = 0; i < kRoutes.size(); ++i) {
    if (static_cast<std::size_t>(kRoutes[i].id) != i) return false;
  }
  return true;
}
static_assert(IdsMatchPositions(), "kRoutes must list every RouteId once, in enum order");

}  // namespace

std::span<const RouteSpec> AllRoutes() { return kRoutes; }

}  // namespace boxoffice::http
