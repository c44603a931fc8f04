#pragma once

#include <functional>

#include "application/authenticate.hpp"
#include "application/cancel_reservation.hpp"
#include "application/charge_wallet.hpp"
#include "application/create_user.hpp"
#include "application/get_queue_stats.hpp"
#include "application/get_queue_status.hpp"
#include "application/idempotency_guard.hpp"
#include "application/issue_queue_token.hpp"
#include "application/leave_queue.hpp"
#include "application/list_available_events.hpp"
#include "application/list_concerts.hpp"
#include "application/list_seats.hpp"
#include "application/manage_catalogue.hpp"
#include "application/occupy_seats.hpp"
#include "application/pay_reservation.hpp"
#include "application/policy_service.hpp"
#include "application/queue_access.hpp"
#include "application/release_hold.hpp"
#include "application/reserve_seats.hpp"
#include "application/user_queries.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/waiting_room.hpp"
#include "interfaces/http/metrics.hpp"

namespace boxoffice::http {

// Everything the HTTP layer calls, wired by main.cpp. Handlers call these and nothing else.
struct Services {
  const domain::Clock& clock;
  application::Authenticate& authenticate;
  application::QueueAccess& queue_access;
  application::CreateUser& create_user;
  application::IssueQueueToken& issue_queue_token;
  application::GetQueueStatus& get_queue_status;
  application::LeaveQueue& leave_queue;
  application::ListConcerts& list_concerts;
  application::ListAvailableEvents& list_available_events;
  application::ListSeats& list_seats;
  application::OccupySeats& occupy_seats;
  application::ReleaseHold& release_hold;
  application::ReserveSeats& reserve_seats;
  application::CancelReservation& cancel_reservation;
  application::PayReservation& pay_reservation;
  application::ChargeWallet& charge_wallet;
  application::UserQueries& user_queries;
  application::ManageCatalogue& manage_catalogue;
  application::PolicyService& policies;
  application::GetQueueStats& queue_stats;
  application::IdempotencyGuard& idempotency;
  domain::WaitingRoom& waiting_room;  // for the queue gauges of /metrics

  std::function<bool()> ready;                   // /readyz: dependencies reachable
  std::function<std::int64_t()> outbox_backlog;  // gauge: unpublished outbox rows
  // SQLite's group-commit counts; unset where writers commit on their own (MySQL).
  std::function<Metrics::WriteGroups()> write_groups;
  // Test hooks, registered only when HttpSettings::test_hooks is on (BOXOFFICE_TEST_HOOKS=1).
  std::function<void(domain::Duration)> advance_clock;  // POST /api/v1/admin/test/clock
  std::function<void()> run_background_once;            // POST /api/v1/admin/test/tick
};

}  // namespace boxoffice::http
