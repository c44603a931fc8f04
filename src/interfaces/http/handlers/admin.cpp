#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"
#include "interfaces/http/time_format.hpp"

namespace boxoffice::http::handlers {
namespace {

constexpr std::size_t kMaxTextLength = 10'000;  // the use case applies the real limits
constexpr std::int64_t kMaxClockAdvanceMs = 366LL * 24 * 3600 * 1000;

}  // namespace

Outcome AdminCreateConcert(RequestContext& ctx) {
  if (auto admin = RequireAdmin(ctx); !admin) return ErrorResponse(admin.error());
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"title", "singer", "description"}); !r) {
    return ErrorResponse(r.error());
  }
  auto title = RequiredString(*body, "title", kMaxTextLength);
  if (!title) return ErrorResponse(title.error());
  auto singer = RequiredString(*body, "singer", kMaxTextLength);
  if (!singer) return ErrorResponse(singer.error());
  auto description = OptionalString(*body, "description", kMaxTextLength);
  if (!description) return ErrorResponse(description.error());

  auto concert =
      ctx.services.manage_catalogue.CreateConcert({.title = std::move(*title),
                                                   .singer = std::move(*singer),
                                                   .description = description->value_or("")});
  if (!concert) return ErrorResponse(concert.error());
  return DataResponse(ToJson(*concert), 201);
}

Outcome AdminCreateEvent(RequestContext& ctx) {
  if (auto admin = RequireAdmin(ctx); !admin) return ErrorResponse(admin.error());
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r =
          RejectUnknownFields(*body, {"venue", "startAt", "durationMinutes", "reservationStartAt",
                                      "reservationEndAt", "seatCount", "price"});
      !r) {
    return ErrorResponse(r.error());
  }
  auto venue = RequiredString(*body, "venue", kMaxTextLength);
  if (!venue) return ErrorResponse(venue.error());
  auto start_at = RequiredTime(*body, "startAt");
  if (!start_at) return ErrorResponse(start_at.error());
  auto duration = RequiredInt(*body, "durationMinutes", 1, domain::kMaxDurationMinutes);
  if (!duration) return ErrorResponse(duration.error());
  auto opens = RequiredTime(*body, "reservationStartAt");
  if (!opens) return ErrorResponse(opens.error());
  auto closes = RequiredTime(*body, "reservationEndAt");
  if (!closes) return ErrorResponse(closes.error());
  auto seats = OptionalInt(*body, "seatCount", 1, domain::kMaxSeatsPerEvent);
  if (!seats) return ErrorResponse(seats.error());
  auto price = RequiredInt(*body, "price", 1, domain::kMaxChargeAmount.won,
                           domain::ErrorCode::kInvalidAmount);
  if (!price) return ErrorResponse(price.error());

  auto event = ctx.services.manage_catalogue.CreateEvent({
      .concert_id = domain::ConcertId{ctx.params.Get("concertId")},
      .venue = std::move(*venue),
      .start_at = *start_at,
      .duration_minutes = static_cast<std::int32_t>(*duration),
      .reservation_start_at = *opens,
      .reservation_end_at = *closes,
      .seat_count = static_cast<std::int32_t>(seats->value_or(50)),
      .price = domain::Money{*price},
  });
  if (!event) return ErrorResponse(event.error());
  return DataResponse(ToJson(*event), 201);
}

Outcome AdminGetPolicies(RequestContext& ctx) {
  if (auto admin = RequireAdmin(ctx); !admin) return ErrorResponse(admin.error());
  return DataResponse(ToJson(ctx.services.policies.Current()));
}

Outcome AdminPutPolicies(RequestContext& ctx) {
  if (auto admin = RequireAdmin(ctx); !admin) return ErrorResponse(admin.error());
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(
          *body, {"holdTtlSeconds", "admitBatch", "admitIntervalMs", "maxActive",
                  "activeIdleTtlSeconds", "waitingGraceSeconds", "maxSeatsPerHold"});
      !r) {
    return ErrorResponse(r.error());
  }
  domain::PolicyPatch patch;
  const std::pair<std::string_view, std::optional<std::int32_t>*> fields[] = {
      {"holdTtlSeconds", &patch.hold_ttl_seconds},
      {"admitBatch", &patch.admit_batch},
      {"admitIntervalMs", &patch.admit_interval_ms},
      {"maxActive", &patch.max_active},
      {"activeIdleTtlSeconds", &patch.active_idle_ttl_seconds},
      {"waitingGraceSeconds", &patch.waiting_grace_seconds},
      {"maxSeatsPerHold", &patch.max_seats_per_hold},
  };
  for (const auto& [name, target] : fields) {
    // Ranges are the domain's (Validate); here only the type and the int32 bounds.
    auto value = OptionalInt(*body, name, -kInt32Max - 1, kInt32Max);
    if (!value) return ErrorResponse(value.error());
    if (*value) *target = static_cast<std::int32_t>(**value);
  }
  auto updated = ctx.services.policies.Update(patch);
  if (!updated) return ErrorResponse(updated.error());
  return DataResponse(ToJson(*updated));
}

Outcome AdminQueueStats(RequestContext& ctx) {
  if (auto admin = RequireAdmin(ctx); !admin) return ErrorResponse(admin.error());
  auto stats = ctx.services.queue_stats.Execute(domain::ConcertId{ctx.params.Get("concertId")});
  if (!stats) return ErrorResponse(stats.error());
  return DataResponse(ToJson(*stats));
}

Outcome TestAdvanceClock(RequestContext& ctx) {
  if (auto admin = RequireAdmin(ctx); !admin) return ErrorResponse(admin.error());
  if (!ctx.services.advance_clock) {
    return ErrorResponse(domain::ErrorCode::kNotFound, "no controllable clock");
  }
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"advanceMs"}); !r) return ErrorResponse(r.error());
  auto advance = RequiredInt(*body, "advanceMs", 0, kMaxClockAdvanceMs);
  if (!advance) return ErrorResponse(advance.error());
  ctx.services.advance_clock(domain::Duration{*advance});
  return DataResponse(
      boost::json::object{{"now", FormatTime(ctx.services.clock.Now())},
                          {"nowMs", ctx.services.clock.Now().time_since_epoch().count()}});
}

Outcome TestTick(RequestContext& ctx) {
  if (auto admin = RequireAdmin(ctx); !admin) return ErrorResponse(admin.error());
  if (!ctx.services.run_background_once) {
    return ErrorResponse(domain::ErrorCode::kNotFound, "no background work to run");
  }
  ctx.services.run_background_once();
  return DataResponse(boost::json::object{{"status", "ok"}});
}

}  // namespace boxoffice::http::handlers
