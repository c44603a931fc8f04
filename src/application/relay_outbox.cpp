#include "application/relay_outbox.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <vector>

#include "domain/result.hpp"

namespace boxoffice::application {

using domain::Result;

namespace {

constexpr auto kClaimFor = std::chrono::seconds(30);
constexpr std::int64_t kMaxBackoffSeconds = 300;

// 1 s after the first failure, doubling, capped at 5 minutes.
domain::Duration Backoff(std::int32_t attempts_before) {
  std::int64_t seconds = kMaxBackoffSeconds;
  if (attempts_before < 16) {
    seconds = std::min<std::int64_t>(kMaxBackoffSeconds, std::int64_t{1} << attempts_before);
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

RelayOutbox::RelayOutbox(domain::Database& db, domain::EventPublisher& publisher,
                         const domain::Clock& clock, int batch_size)
    : db_(db), publisher_(publisher), clock_(clock), batch_size_(batch_size) {}

int RelayOutbox::Execute() {
  const auto now = clock_.Now();
  using Batch = std::vector<domain::OutboxRecord>;
  const Batch claimed = db_.Write([&](domain::Store& store) -> Result<Batch> {
                             return store.Outbox().Claim(now, now + kClaimFor, batch_size_);
                           })
                            .value();
  if (claimed.empty()) return 0;
  // Publishing happens outside any transaction so a slow broker never holds a database lock. All
  // rows go at once: a broker adapter then waits for one round of acknowledgements, not one per
  // row.
  std::vector<bool> handed_over;
  try {
    handed_over = publisher_.PublishAll(claimed);
  } catch (const std::exception&) {
    handed_over.clear();  // every row is retried with backoff like any other failed delivery
  }
  handed_over.resize(claimed.size(), false);
  const auto after = clock_.Now();
  std::vector<std::int64_t> published;
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    if (handed_over[i]) published.push_back(claimed[i].id);
  }
  // One transaction for the pass (on SQLite each commit is a sync to disk), and one statement
  // for the rows published, which are all of them unless the broker refused some.
  (void)db_.Write([&](domain::Store& store) -> Result<bool> {
    store.Outbox().MarkPublished(published, after);
    for (std::size_t i = 0; i < claimed.size(); ++i) {
      const auto& record = claimed[i];
      if (handed_over[i]) continue;
      const bool dead = record.attempts + 1 >= kMaxAttempts;
      store.Outbox().MarkFailed(record.id, after + Backoff(record.attempts), dead);
    }
    return true;
  });
  return static_cast<int>(published.size());
}

}  // namespace boxoffice::application
