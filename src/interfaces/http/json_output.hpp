#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "application/queue_status.hpp"
#include "domain/model/catalogue.hpp"
#include "domain/model/hold.hpp"
#include "domain/model/policies.hpp"
#include "domain/model/queue.hpp"
#include "domain/model/reservation.hpp"
#include "domain/model/wallet.hpp"

// Domain values as they appear on the wire (camelCase, ISO-8601 UTC times, integer money).
namespace boxoffice::http {

boost::json::object ToJson(const application::QueueStatusView& view);
boost::json::object ToJson(const domain::Concert& concert);
boost::json::object ToJson(const domain::ConcertEvent& event);  // admin view, full
boost::json::object AvailableEventJson(const domain::ConcertEvent& event);
// A seat appended to `out` as a JSON object: {"id", "seatNumber", "price"[, "status"]}. Written
// directly, not through a boost::json tree: a seat listing has up to a date's whole venue, and
// building its tree cost several times as much as writing the text (docs/performance.md).
void AppendJson(std::string& out, const domain::Seat& seat, bool with_status);
boost::json::object ToJson(const domain::HeldSeat& seat);
boost::json::object ToJson(const domain::Hold& hold);
boost::json::object ToJson(const domain::Reservation& reservation);
boost::json::object ToJson(const domain::Payment& payment);
boost::json::object ToJson(const domain::WalletEntry& entry);
boost::json::object ToJson(const domain::Policies& policies);
boost::json::object ToJson(const domain::QueueStats& stats);

}  // namespace boxoffice::http
