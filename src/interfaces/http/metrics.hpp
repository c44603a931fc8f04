#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/model/queue.hpp"
#include "domain/types.hpp"
#include "interfaces/http/route_table.hpp"

namespace boxoffice::http {

// Prometheus text exposition (format 0.0.4), written by hand. Every series is created up front
// from the route table, so recording a request is a few relaxed atomic increments, no lock.
class Metrics {
 public:
  static constexpr std::array<double, 13> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5};
  static constexpr std::string_view kUnmatchedRoute = "unmatched";

  struct QueueGauge {
    domain::ConcertId concert;
    domain::QueueStats stats;
  };
  // SQLite's group commit (ADR 0012): groups committed, writes they held, writes queued now.
  struct WriteGroups {
    std::uint64_t groups = 0;
    std::uint64_t writes = 0;
    std::uint64_t queued = 0;
  };
  // Requests served together (ADR 0021): the batches of one kind run so far, and the
  // requests they held.
  struct Batched {
    std::string_view kind;  // "charge", "signup"
    std::uint64_t batches = 0;
    std::uint64_t requests = 0;
  };
  // Values read from the services at scrape time.
  struct Gauges {
    std::vector<QueueGauge> queues;
    std::optional<std::int64_t> outbox_backlog;
    std::optional<WriteGroups> write_groups;  // embedded profile only
    std::vector<Batched> batches;
  };

  explicit Metrics(std::span<const RouteSpec> routes);
  ~Metrics();

  // The series of a matched route, or of "unmatched" for the method (unknown methods share one).
  int Series(std::string_view route, std::string_view method) const;
  void ObserveRequest(int series, int status, double seconds);

  void RequestStarted() { inflight_.fetch_add(1, std::memory_order_relaxed); }
  void RequestFinished() { inflight_.fetch_sub(1, std::memory_order_relaxed); }
  void StreamOpened() { streams_.fetch_add(1, std::memory_order_relaxed); }
  void StreamClosed() { streams_.fetch_sub(1, std::memory_order_relaxed); }
  void HoldCreated() { holds_.fetch_add(1, std::memory_order_relaxed); }
  void ReservationCreated() { reservations_.fetch_add(1, std::memory_order_relaxed); }
  void PaymentCompleted(std::int64_t seats) {
    payments_.fetch_add(1, std::memory_order_relaxed);
    seats_sold_.fetch_add(static_cast<std::uint64_t>(seats), std::memory_order_relaxed);
  }

  std::string Render(const Gauges& gauges) const;

 private:
  struct SeriesData;
  std::vector<std::unique_ptr<SeriesData>> series_;
  std::unordered_map<std::string, int> index_;  // "METHOD route" -> series; read-only after ctor
  std::atomic<std::int64_t> inflight_{0};
  std::atomic<std::int64_t> streams_{0};
  std::atomic<std::uint64_t> holds_{0};
  std::atomic<std::uint64_t> reservations_{0};
  std::atomic<std::uint64_t> payments_{0};
  std::atomic<std::uint64_t> seats_sold_{0};
};

}  // namespace boxoffice::http
