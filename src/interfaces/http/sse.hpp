#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "application/queue_status.hpp"
#include "domain/errors.hpp"

// Server-Sent Events (text/event-stream) for GET /api/v1/queue/stream. Pure: the server owns the
// connection and the timers, and asks QueueStreamFeed what to send after each status check.
namespace boxoffice::http {

// One event. A `data` with newlines becomes one `data:` line per line (the client joins them
// back with '\n'); a '\r' in `event` or `data` is dropped, as it would end the field early.
std::string SseEvent(std::string_view event, std::string_view data);

// A comment: EventSource ignores it, but it keeps proxies and client read timeouts from closing a
// quiet stream, and a failed write is how a vanished client is noticed.
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";
inline constexpr std::chrono::seconds kSseKeepAliveInterval{15};

// The period between status checks: the poll hint of the status (1 s near the front of the
// line, longer far back), but never longer than 5 s, so a stream never lags a poller by much.
std::chrono::milliseconds QueueStreamCheckPeriod(std::int64_t poll_after_ms);

// The events of one stream: the status whenever it differs from the last one sent, until the
// user is admitted or the concert sells out; an error event when the place is gone.
class QueueStreamFeed {
 public:
  struct Step {
    std::string frame;  // to send now; empty when nothing changed
    bool last = false;  // the stream ends after `frame`
    std::chrono::milliseconds next_check{1000};
  };

  // `view` is the result of a status check (GET /api/v1/queue/status's data).
  Step OnStatus(const application::QueueStatusView& view);
  // A check that failed: `event: error` with the wire code and message, and the end.
  Step OnError(const domain::Error& error) const;

 private:
  std::string last_data_;
};

}  // namespace boxoffice::http
