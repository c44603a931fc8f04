#pragma once

#include <functional>
#include <optional>
#include <string>

#include "domain/errors.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Idempotency-Key handling, independent of the transport: the caller passes a hash of the
// request and a builder of the response it answers with.
struct StoredResponse {
  int status = 0;
  std::string body;
};

// A request under an Idempotency-Key: one key space per user and operation (scope).
struct IdempotentRequest {
  domain::UserId user;
  std::string scope;
  std::string key;
  std::string request_hash;
};

// The answer to an idempotent request: the response of this run, or a stored one (replay).
struct IdempotentReply {
  StoredResponse response;
  bool replay = false;
};

// Extra work a use case runs inside its write transaction, so that it commits or rolls back
// together with the use case's own writes. `at_start` runs first and `before_commit` last, on
// the result about to be committed; an error from either rolls the transaction back and is what
// the use case returns. Either may be empty. Both run again when the database runs the
// transaction again (see domain::Database).
template <class T>
struct TransactionHooks {
  std::function<domain::Result<void>(domain::Store&)> at_start;
  std::function<domain::Result<void>(domain::Store&, const T&)> before_commit;
};

class IdempotencyGuard {
 public:
  IdempotencyGuard(domain::Database& db, const domain::Clock& clock);

  // Runs a use case at most once per (user, scope, key) and answers a repeat with the first
  // response (ADR 0003). `execute` runs the use case with the hooks it is given; `respond` turns
  // its result into the response. A first request that succeeds is ONE write transaction, which
  // inserts the completed record before it commits, so the record and the business writes
  // commit together or not at all, and the unique key lets at most one of them commit per key.
  // The key is not looked up first: a key seen before is rare, and the insert finds it anyway.
  // When it does, the transaction rolls back and runs once more with the key looked up at its
  // start (a repeat is then answered from the record without running the use case). A business
  // error (4xx) rolls back; its response is then stored in a small transaction of its own,
  // unless the key already has a record, whose response is replayed. A 5xx is not stored, so
  // the client may retry.
  // Errors: invalid_request (key empty or longer than 255 characters); idempotency_key_reused
  // (same key, another request hash); idempotency_in_progress (a record left in flight by an
  // older version is younger than the abandonment age, or a concurrent repeat took an abandoned
  // one over first: ask again later).
  template <class T>
  domain::Result<IdempotentReply> Run(
      const IdempotentRequest& request,
      const std::function<domain::Result<T>(const TransactionHooks<T>&)>& execute,
      const std::function<StoredResponse(const domain::Result<T>&)>& respond);

  // invalid_request unless the key is 1 to 255 characters.
  static domain::Result<void> ValidKey(const std::string& key);

  // Stores the completed record of `request`, answered with `response`, as the last write of
  // the caller's transaction, for work that runs first requests together in one transaction
  // (ChargeWallet::ExecuteTogether) rather than through Run. A key that already has a record
  // makes Database::Write throw DuplicateRecordError: nothing of the transaction is written.
  static void RecordLast(domain::Store& store, const IdempotentRequest& request,
                         const StoredResponse& response, domain::Instant now) {
    StoreRecordLast(store, request, response, now);
  }

  // The stored response of a completed request with this key and hash, if there is one. Read
  // only: for a repeat that can no longer pass its other checks (the payer's queue slot is freed
  // once the payment completes) but must still get the first answer.
  std::optional<StoredResponse> Replay(domain::UserId user, const std::string& scope,
                                       const std::string& key, const std::string& request_hash);

 private:
  // The record of `request` read in `store`: nothing (go ahead), its stored response, or an
  // error (reused; in progress). Takes over an abandoned in-flight record (one an older version
  // left) by dropping it, so the request can go ahead.
  static domain::Result<std::optional<StoredResponse>> Lookup(domain::Store& store,
                                                              const IdempotentRequest& request,
                                                              domain::Instant now);
  // The completed record of `request` answered with `response`.
  static domain::IdempotencyRecord Completed(const IdempotentRequest& request,
                                             const StoredResponse& response, domain::Instant now);
  // Inserts the completed record of `response`; false when the key already has a record.
  static bool StoreRecord(domain::Store& store, const IdempotentRequest& request,
                          const StoredResponse& response, domain::Instant now);
  // Stores it as the transaction's last write: a key that already has a record makes
  // Database::Write throw DuplicateRecordError.
  static void StoreRecordLast(domain::Store& store, const IdempotentRequest& request,
                              const StoredResponse& response, domain::Instant now);
  // The stored response a concurrent request with the same key committed (read only);
  // idempotency_in_progress when there is none (yet), so the caller asks again.
  domain::Result<IdempotentReply> Committed(const IdempotentRequest& request);
  // Stores the 4xx `response` of a request whose transaction rolled back, in a transaction of
  // its own; answers from the record instead when the key already has one.
  domain::Result<IdempotentReply> StoreOutcome(const IdempotentRequest& request,
                                               const StoredResponse& response);

  domain::Database& db_;
  const domain::Clock& clock_;
};

template <class T>
domain::Result<IdempotentReply> IdempotencyGuard::Run(
    const IdempotentRequest& request,
    const std::function<domain::Result<T>(const TransactionHooks<T>&)>& execute,
    const std::function<StoredResponse(const domain::Result<T>&)>& respond) {
  if (auto valid = ValidKey(request.key); !valid) return valid.error();

  // What the hooks saw in the last run of the transaction; reset at its start, as the database
  // may run it more than once.
  std::optional<domain::Error> refused;   // the record says reused or in progress
  std::optional<StoredResponse> earlier;  // the record holds a response: replay it
  std::optional<StoredResponse> fresh;    // this run's response, stored with the business writes
                                          // unless it is a 5xx
  bool raced = false;                     // the key had a record when this run stored its own
  bool look_up = false;                   // look the key up at the start (the second run)
  TransactionHooks<T> hooks;
  hooks.at_start = [&](domain::Store& store) -> domain::Result<void> {
    refused.reset();
    earlier.reset();
    fresh.reset();
    raced = false;
    if (!look_up) return {};
    auto found = Lookup(store, request, clock_.Now());
    if (!found) {
      refused = found.error();
      return found.error();
    }
    if (*found) {
      earlier = std::move(**found);
      return domain::Fail(domain::ErrorCode::kIdempotencyKeyReused, "answered from the record");
    }
    return {};
  };
  hooks.before_commit = [&](domain::Store& store, const T& value) -> domain::Result<void> {
    StoredResponse response = respond(domain::Result<T>(value));
    if (response.status < 500) StoreRecordLast(store, request, response, clock_.Now());
    fresh = std::move(response);
    return {};
  };
  // The record is the transaction's last write, which the database may send with the commit:
  // a key that already has a record fails the whole transaction, thrown out of it.
  auto run = [&]() -> domain::Result<T> {
    try {
      return execute(hooks);
    } catch (const domain::DuplicateRecordError&) {
      raced = true;
      fresh.reset();
      return domain::Fail(domain::ErrorCode::kIdempotencyInProgress,
                          "a repeat of this request committed first");
    }
  };

  auto result = run();
  if (raced) {
    // The key has a record: rolled back; run again, answering from the record when it holds a
    // response (a repeat), or as before when it was an abandoned one, now taken over.
    look_up = true;
    result = run();
  }
  if (refused) return *refused;
  if (earlier) return IdempotentReply{*std::move(earlier), true};
  if (result && fresh) return IdempotentReply{*std::move(fresh), false};
  // A repeat committed its record between the lookup and the insert. (The use case may also
  // report success without having committed anything itself, when it found a repeat's writes.)
  if (raced || result) return Committed(request);
  StoredResponse response = respond(result);
  if (response.status >= 500) return IdempotentReply{std::move(response), false};
  return StoreOutcome(request, response);
}

}  // namespace boxoffice::application
