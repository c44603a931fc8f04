#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace boxoffice::http {

// Every endpoint the HTTP layer serves. The handler of each is bound in routes.cpp; the table
// itself is pure data so tests can check it against api/openapi.yaml.
enum class RouteId {
  kCreateUser,
  kIssueQueueToken,
  kQueueStatus,
  kQueueStream,
  kLeaveQueue,
  kListConcerts,
  kAvailableEvents,
  kListSeats,
  kAvailableSeats,
  kOccupySeats,
  kReleaseOccupation,
  kReserveSeats,
  kCancelReservation,
  kPay,
  kUserPayments,
  kUserReservations,
  kWalletBalance,
  kWalletCharge,
  kWalletTransactions,
  kAdminCreateConcert,
  kAdminCreateEvent,
  kAdminGetPolicies,
  kAdminPutPolicies,
  kAdminQueueStats,
  kTestAdvanceClock,
  kTestTick,
  kHealth,
  kReady,
  kMetrics,
  kOpenApi,
  kCount,
};

inline constexpr std::size_t kRouteCount = static_cast<std::size_t>(RouteId::kCount);

struct RouteSpec {
  RouteId id;
  std::string_view method;
  std::string_view path;   // template; `{name}` segments are positive int64 ids
  bool test_hook = false;  // registered only when HttpSettings::test_hooks is on
};

std::span<const RouteSpec> AllRoutes();

}  // namespace boxoffice::http
