#pragma once

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
};

using Handler = Outcome (*)(RequestContext&);

// The handler bound to each route (routes.cpp).
Handler HandlerFor(RouteId id);

}  // namespace boxoffice::http
