#pragma once

#include <cstddef>
#include <exception>
#include <functional>

#include "interfaces/http/http_types.hpp"
#include "interfaces/http/metrics.hpp"
#include "interfaces/http/request_batches.hpp"
#include "interfaces/http/route_table.hpp"
#include "interfaces/http/server.hpp"
#include "interfaces/http/services.hpp"

namespace boxoffice::http {

struct Batches;

// What a handler gets: the request, the matched route and the services. Handlers run on a worker
// thread and may block (they call use cases).
struct RequestContext {
  const Request& request;
  const PathParams& params;
  const RouteSpec& route;
  Services& services;
  const HttpSettings& settings;
  Metrics& metrics;
  int attempt = 0;  // how many times this request already answered RetryLater
  // The queue token's check, when the server made it before the handler ran (NeedsActiveUser);
  // RequireActive answers it instead of asking the waiting room again.
  const domain::Result<application::ActiveUser>* active = nullptr;
  // The server's request batches, for the non-blocking handlers that queue into them.
  Batches* batches = nullptr;
};

using Handler = Outcome (*)(RequestContext&);

// The handler bound to each route (routes.cpp).
Handler HandlerFor(RouteId id);

// How a non-blocking handler answers: exactly once, from any thread. A set `error` is an
// exception the work threw (mapped to a response as a blocking handler's would be), and the
// outcome then means nothing. RetryLater hands the request to the route's blocking handler,
// which then runs on a worker as if the non-blocking one had declined.
using Reply = std::function<void(std::exception_ptr error, Outcome outcome)>;

// A wallet charge waiting for its batch (WalletChargeAsync, RunChargeBatch).
struct BatchedCharge {
  application::ChargeWallet::Together charge;
  Reply reply;
};

// A sign-up waiting for its batch (CreateUserAsync, RunSignupBatch).
struct BatchedSignup {
  application::CreateUserCommand command;
  Reply reply;
};

// A reservation waiting for its batch (ReserveSeatsAsync, RunReserveBatch).
struct BatchedReservation {
  application::ReserveSeatsCommand command;
  Reply reply;
};

// A payment waiting for its batch (PayAsync, RunPayBatch).
struct BatchedPayment {
  application::PayReservation::Together payment;
  Reply reply;
};

// The request batches of a server (ADR 0021), which owns them. Each posts its runs with `post`
// and takes at most `max_batch` requests per run, with at most `max_running` runs at a time.
struct Batches {
  Batches(const std::function<void(std::function<void()>)>& post, Services& services,
          Metrics& metrics, std::size_t max_batch, std::size_t max_running);
  RequestBatches<BatchedCharge> charges;
  RequestBatches<BatchedSignup> signups;
  RequestBatches<BatchedReservation> reservations;
  RequestBatches<BatchedPayment> payments;
};

// A handler that answers without blocking when it can, run on an I/O thread: it returns true
// having started work that ends in one call of `reply` (possibly before it returns), or false
// having started nothing, and the route's blocking handler then runs on a worker. The context
// and the request stay alive until `reply` is called.
using AsyncHandler = bool (*)(RequestContext&, Reply);

// The non-blocking handler of a route, or nullptr for routes that have none (routes.cpp).
AsyncHandler AsyncHandlerFor(RouteId id);

// Whether the route's handler requires an admitted user (RequireActive). The server then checks
// the queue token on the I/O thread before the handler runs on a worker, when the waiting room
// answers without blocking, so the worker does not wait for the room (routes.cpp).
bool NeedsActiveUser(RouteId id);

}  // namespace boxoffice::http
