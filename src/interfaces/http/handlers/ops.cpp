#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/openapi.hpp"

namespace boxoffice::http::handlers {

Outcome Health(RequestContext&) { return DataResponse(boost::json::object{{"status", "ok"}}); }

Outcome Ready(RequestContext& ctx) {
  const bool ready = !ctx.services.ready || ctx.services.ready();
  if (!ready) return ErrorResponse(domain::ErrorCode::kUnavailable, "not ready");
  return DataResponse(boost::json::object{{"status", "ready"}});
}

Outcome MetricsText(RequestContext& ctx) {
  Metrics::Gauges gauges;
  const auto now = ctx.services.clock.Now();
  for (auto concert : ctx.services.waiting_room.ConcertsWithQueues()) {
    gauges.queues.push_back({concert, ctx.services.waiting_room.Stats(concert, now)});
  }
  if (ctx.services.outbox_backlog) gauges.outbox_backlog = ctx.services.outbox_backlog();
  if (ctx.services.write_groups) gauges.write_groups = ctx.services.write_groups();
  if (ctx.batches) {
    const auto charges = ctx.batches->charges.Counts();
    const auto signups = ctx.batches->signups.Counts();
    const auto reservations = ctx.batches->reservations.Counts();
    const auto payments = ctx.batches->payments.Counts();
    gauges.batches = {{"charge", charges.batches, charges.items},
                      {"payment", payments.batches, payments.items},
                      {"reservation", reservations.batches, reservations.items},
                      {"signup", signups.batches, signups.items}};
  }
  return Response{.status = 200,
                  .content_type = "text/plain; version=0.0.4; charset=utf-8",
                  .body = ctx.metrics.Render(gauges)};
}

Outcome OpenApi(RequestContext&) {
  return Response{
      .status = 200, .content_type = "application/yaml", .body = std::string(OpenApiDocument())};
}

}  // namespace boxoffice::http::handlers
