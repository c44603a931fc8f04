#include "application/idempotency_guard.hpp"

#include <chrono>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Result;

namespace {

constexpr std::size_t kMaxKeyLength = 255;
// An in-flight record (written only by an older version) this old was left by a process that
// died mid-request.
constexpr auto kAbandonedAfter = std::chrono::seconds(60);

}  // namespace

IdempotencyGuard::IdempotencyGuard(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

Result<void> IdempotencyGuard::ValidKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxKeyLength) {
    return Fail(ErrorCode::kInvalidRequest, "Idempotency-Key must be 1 to 255 characters");
  }
  return {};
}

Result<std::optional<StoredResponse>> IdempotencyGuard::Lookup(domain::Store& store,
                                                               const IdempotentRequest& request,
                                                               domain::Instant now) {
  auto& repo = store.Idempotency();
  auto existing = repo.Find(request.user, request.scope, request.key);
  if (!existing) return std::optional<StoredResponse>{};
  if (existing->request_hash != request.request_hash) {
    return Fail(ErrorCode::kIdempotencyKeyReused, "Idempotency-Key reused for another request");
  }
  if (existing->completed) {
    return std::optional<StoredResponse>{StoredResponse{existing->status, existing->body}};
  }
  // In flight: written by an older version (ADR 0003), whose request may still be running. An
  // abandoned one is taken over; if the drop finds nothing to drop, a concurrent repeat took it
  // over first (MySQL) and the request asks again, to be answered from that repeat's record.
  if (now - existing->created_at > kAbandonedAfter &&
      repo.DropAbandoned(request.user, request.scope, request.key, now - kAbandonedAfter)) {
    return std::optional<StoredResponse>{};
  }
  return Fail(ErrorCode::kIdempotencyInProgress, "a request with this key is in progress");
}

domain::IdempotencyRecord IdempotencyGuard::Completed(const IdempotentRequest& request,
                                                      const StoredResponse& response,
                                                      domain::Instant now) {
  return {request.request_hash, true, response.status, response.body, now};
}

bool IdempotencyGuard::StoreRecord(domain::Store& store, const IdempotentRequest& request,
                                   const StoredResponse& response, domain::Instant now) {
  return store.Idempotency().TryStore(request.user, request.scope, request.key,
                                      Completed(request, response, now));
}

void IdempotencyGuard::StoreRecordLast(domain::Store& store, const IdempotentRequest& request,
                                       const StoredResponse& response, domain::Instant now) {
  store.Idempotency().StoreLast(request.user, request.scope, request.key,
                                Completed(request, response, now));
}

Result<IdempotentReply> IdempotencyGuard::Committed(const IdempotentRequest& request) {
  return db_.Read([&](domain::Store& store) -> Result<IdempotentReply> {
    auto record = store.Idempotency().Find(request.user, request.scope, request.key);
    if (record && record->request_hash != request.request_hash) {
      return Fail(ErrorCode::kIdempotencyKeyReused, "Idempotency-Key reused for another request");
    }
    if (!record || !record->completed) {
      // Only a record written in flight by an older version, or one such a version dropped
      // since (after a 5xx), leads here: the repeat is asked to try again.
      return Fail(ErrorCode::kIdempotencyInProgress, "a request with this key is in progress");
    }
    return IdempotentReply{StoredResponse{record->status, record->body}, true};
  });
}

Result<IdempotentReply> IdempotencyGuard::StoreOutcome(const IdempotentRequest& request,
                                                       const StoredResponse& response) {
  const auto now = clock_.Now();
  return db_.Write([&](domain::Store& store) -> Result<IdempotentReply> {
    auto found = Lookup(store, request, now);
    if (!found) return found.error();
    if (*found) return IdempotentReply{**found, true};
    if (StoreRecord(store, request, response, now)) return IdempotentReply{response, false};
    // A concurrent repeat stored its outcome after our lookup (MySQL): answer with it.
    auto stored = Lookup(store, request, now);
    if (!stored) return stored.error();
    if (*stored) return IdempotentReply{**stored, true};
    return Fail(ErrorCode::kIdempotencyInProgress, "a request with this key is in progress");
  });
}

std::optional<StoredResponse> IdempotencyGuard::Replay(domain::UserId user,
                                                       const std::string& scope,
                                                       const std::string& key,
                                                       const std::string& request_hash) {
  auto found = db_.Read([&](domain::Store& store) -> Result<std::optional<StoredResponse>> {
    auto record = store.Idempotency().Find(user, scope, key);
    if (!record || !record->completed || record->request_hash != request_hash) {
      return std::optional<StoredResponse>{};
    }
    return std::optional<StoredResponse>{StoredResponse{record->status, record->body}};
  });
  return found.ok() ? found.value() : std::nullopt;
}

}  // namespace boxoffice::application
