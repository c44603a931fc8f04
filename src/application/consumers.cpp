#include "application/consumers.hpp"

#include <variant>

#include "domain/result.hpp"

namespace boxoffice::application {

using domain::Result;

FreeQueueSlot::FreeQueueSlot(domain::Database& db, domain::WaitingRoom& room,
                             const domain::Clock& clock)
    : db_(db), room_(room), clock_(clock) {}

bool FreeQueueSlot::Handle(const domain::OutboxRecord& record) {
  const auto* paid = std::get_if<domain::PaymentCompleted>(&record.event);
  if (paid == nullptr) return true;
  if (paid->queue_generation) {
    // The place the payment was made from, and only that one: leaving it again is harmless, so
    // nothing needs to remember that this event was handled.
    room_.LeavePlace(paid->concert_id, paid->user_id, *paid->queue_generation);
    return true;
  }
  // An event written before payments kept the place's generation: leave once, by the record.
  const auto now = clock_.Now();
  auto first = db_.Write([&](domain::Store& store) -> Result<bool> {
    return store.ProcessedEvents().MarkProcessed(kName, record.id, now);
  });
  // Marked before leaving: if the process dies in between, the user keeps an admitted slot
  // until it idles out, which is harmless; leaving twice could evict a newer place.
  if (first.value()) room_.Leave(paid->concert_id, paid->user_id);
  return true;
}

NotifyWebhook::NotifyWebhook(domain::Database& db, domain::WebhookSender& sender,
                             const domain::Clock& clock)
    : db_(db), sender_(sender), clock_(clock) {}

bool NotifyWebhook::Handle(const domain::OutboxRecord& record) {
  auto done = db_.Read([&](domain::Store& store) -> Result<bool> {
    return store.ProcessedEvents().IsProcessed(kName, record.id);
  });
  if (done.value()) return true;
  if (!sender_.Notify(record)) return false;
  const auto now = clock_.Now();
  (void)db_.Write([&](domain::Store& store) -> Result<bool> {
    return store.ProcessedEvents().MarkProcessed(kName, record.id, now);
  });
  return true;
}

}  // namespace boxoffice::application
