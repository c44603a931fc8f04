#pragma once

#include <string>
#include <string_view>

#include "application/queue_status.hpp"
#include "domain/result.hpp"
#include "interfaces/http/handlers/context.hpp"

// One function per route, grouped by resource in the .cpp files of this directory.
namespace boxoffice::http::handlers {

Outcome CreateUser(RequestContext& ctx);
// Queues a valid sign-up into the server's sign-up batches (ADR 0021); answers invalid input at
// once, as CreateUser would.
bool CreateUserAsync(RequestContext& ctx, Reply reply);
// Answers a batch of sign-ups: together in one transaction when they all go through, otherwise
// each by CreateUser (RetryLater). Runs on a worker; does not throw.
void RunSignupBatch(Services& services, std::vector<BatchedSignup>& batch);

Outcome IssueQueueToken(RequestContext& ctx);
Outcome QueueStatus(RequestContext& ctx);
// The same two without blocking, when the waiting room and this process's caches allow it.
bool IssueQueueTokenAsync(RequestContext& ctx, Reply reply);
bool QueueStatusAsync(RequestContext& ctx, Reply reply);
Outcome LeaveQueue(RequestContext& ctx);
// GET /api/v1/queue/stream is a long-lived response, so the server runs it; these are its parts
// that read the request and call the use case. The queue token: the User-Token header, else the
// `token` query parameter (a browser's EventSource cannot set headers).
domain::Result<std::string> QueueStreamToken(const Request& request);
// One status check of a stream: blocking (run it on a worker) and a sign of life, like a poll.
domain::Result<application::QueueStatusView> QueueStreamCheck(Services& services,
                                                              std::string_view token);

Outcome ListConcerts(RequestContext& ctx);
// Answers from the catalogue cache in this process, on the I/O thread; declines on a miss.
bool ListConcertsAsync(RequestContext& ctx, Reply reply);
Outcome AvailableEvents(RequestContext& ctx);
Outcome ListSeats(RequestContext& ctx);
Outcome AvailableSeats(RequestContext& ctx);

Outcome OccupySeats(RequestContext& ctx);
Outcome ReleaseOccupation(RequestContext& ctx);

Outcome ReserveSeats(RequestContext& ctx);
// Queues a valid reservation into the server's reservation batches (ADR 0021) when the queue
// token was checked on the I/O thread (declines otherwise); answers invalid input at once.
bool ReserveSeatsAsync(RequestContext& ctx, Reply reply);
// Answers a batch of reservations: together in one transaction when they all go through,
// otherwise each by ReserveSeats (RetryLater). Runs on a worker; does not throw.
void RunReserveBatch(Services& services, Metrics& metrics, std::vector<BatchedReservation>& batch);
Outcome CancelReservation(RequestContext& ctx);

Outcome Pay(RequestContext& ctx);
// Queues a valid payment into the server's payment batches (ADR 0021) when the queue token was
// checked on the I/O thread and admits the payer (declines otherwise: a payer no longer
// admitted may be repeating a payment that succeeded); answers invalid input at once.
bool PayAsync(RequestContext& ctx, Reply reply);
// Answers a batch of payments: together in one transaction when they all go through,
// otherwise each by Pay (RetryLater). Runs on a worker; does not throw.
void RunPayBatch(Services& services, Metrics& metrics, std::vector<BatchedPayment>& batch);

Outcome UserPayments(RequestContext& ctx);
Outcome UserReservations(RequestContext& ctx);
Outcome WalletBalance(RequestContext& ctx);
Outcome WalletCharge(RequestContext& ctx);
// Queues a valid charge into the server's charge batches (ADR 0021); answers invalid input at
// once, as WalletCharge would.
bool WalletChargeAsync(RequestContext& ctx, Reply reply);
// Answers a batch of charges: together in one transaction when they all go through, otherwise
// each by WalletCharge on this worker's lane (RetryLater). Runs on a worker; does not throw.
void RunChargeBatch(Services& services, std::vector<BatchedCharge>& batch);
Outcome WalletTransactions(RequestContext& ctx);

Outcome AdminCreateConcert(RequestContext& ctx);
Outcome AdminCreateEvent(RequestContext& ctx);
Outcome AdminGetPolicies(RequestContext& ctx);
Outcome AdminPutPolicies(RequestContext& ctx);
Outcome AdminQueueStats(RequestContext& ctx);
Outcome TestAdvanceClock(RequestContext& ctx);
Outcome TestTick(RequestContext& ctx);

Outcome Health(RequestContext& ctx);
Outcome Ready(RequestContext& ctx);
Outcome MetricsText(RequestContext& ctx);
Outcome OpenApi(RequestContext& ctx);

}  // namespace boxoffice::http::handlers
