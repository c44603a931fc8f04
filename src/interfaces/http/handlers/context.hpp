#pragma once

#include <exception>
#include <functional>

#include "interfaces/http/http_types.hpp"
#include "interfaces/http/metrics.hpp"
#include "interfaces/http/route_table.hpp"
#include "interfaces/http/server.hpp"
#include "interfaces/http/services.hpp"

namespace boxoffice::http {

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
};

using Handler = Outcome (*)(RequestContext&);

// The handler bound to each route (routes.cpp).
Handler HandlerFor(RouteId id);

// How a non-blocking handler answers: exactly once, from any thread. A set `error` is an
// exception the work threw (mapped to a response as a blocking handler's would be), and the
// outcome then means nothing.
using Reply = std::function<void(std::exception_ptr error, Outcome outcome)>;
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
