#include "interfaces/http/sse.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "interfaces/http/error_mapping.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http {
namespace {

constexpr std::int64_t kMinCheckMs = 1000;
constexpr std::int64_t kMaxCheckMs = 5000;

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ");
  for (char c : value) {
    if (c != '\r') out += c;
  }
  out += '\n';
}

}  // namespace

std::string SseEvent(std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(event.size() + data.size() + 24);
  if (!event.empty()) AppendField(out, "event", event.substr(0, event.find('\n')));
  // Bounded by data.size(): each iteration consumes a line.
  while (true) {
    const auto newline = data.find('\n');
    AppendField(out, "data", data.substr(0, newline));
    if (newline == std::string_view::npos) break;
    data.remove_prefix(newline + 1);
  }
  out += '\n';
  return out;
}

std::chrono::milliseconds QueueStreamCheckPeriod(std::int64_t poll_after_ms) {
  return std::chrono::milliseconds(std::clamp(poll_after_ms, kMinCheckMs, kMaxCheckMs));
}

QueueStreamFeed::Step QueueStreamFeed::OnStatus(const application::QueueStatusView& view) {
  Step step;
  step.next_check = QueueStreamCheckPeriod(view.poll_after_ms);
  step.last =
      view.state == domain::QueueState::kActive || view.state == domain::QueueState::kSoldOut;
  std::string data = boost::json::serialize(ToJson(view));
  if (data != last_data_ || step.last) {
    step.frame = SseEvent("status", data);
    last_data_ = std::move(data);
  }
  return step;
}

QueueStreamFeed::Step QueueStreamFeed::OnError(const domain::Error& error) const {
  const auto wire = MapError(error.code);
  const boost::json::object data{{"code", wire.code}, {"message", error.message}};
  return Step{.frame = SseEvent("error", boost::json::serialize(data)), .last = true};
}

}  // namespace boxoffice::http
