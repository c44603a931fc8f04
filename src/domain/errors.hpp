#pragma once

#include <stdexcept>
#include <string>

namespace boxoffice::domain {

// Every expected failure the service can report. The wire code and HTTP status of each live in
// one table in interfaces/http (error_mapping.cpp).
enum class ErrorCode {
  kInvalidRequest,               // 400 malformed or out-of-range input
  kInvalidAmount,                // 400 money amount not positive or too large
  kTooManySeats,                 // 400 more seats than the policy allows in one hold
  kPayloadTooLarge,              // 413 body over the size limit
  kInvalidToken,                 // 401 token missing a valid signature, expired or superseded
  kUnauthenticated,              // 401 no credentials
  kForbidden,                    // 403 acting on another user's data; admin API disabled
  kTokenNotProcessable,          // 403 queue token valid but not admitted (still waiting)
  kOccupationInvalid,            // 403 hold belongs to another user or another date
  kNotFound,                     // 404 no such route
  kUserNotFound,                 // 404
  kConcertNotFound,              // 404
  kEventNotFound,                // 404
  kSeatNotFound,                 // 404
  kOccupationNotFound,           // 404
  kReservationNotFound,          // 404
  kQueueTokenNotFound,           // 404 no place in the waiting room (left, evicted or never joined)
  kMethodNotAllowed,             // 405
  kSeatUnavailable,              // 409 a seat is held or sold
  kOccupationAlreadyExpired,     // 409
  kOccupationAlreadyReleased,    // 409 released, or already turned into a reservation
  kReservationAlreadyConfirmed,  // 409
  kReservationExpired,           // 409 expired or cancelled
  kInsufficientBalance,          // 409
  kIdempotencyKeyReused,         // 409 same key, different request
  kIdempotencyInProgress,        // 409 same key still being processed
  kWalletLimitExceeded,          // 409 the balance would exceed kMaxWalletBalance
  kReservationNotOpened,         // 422 outside the reservation window
  kRateLimited,                  // 429
  kUnavailable,                  // 503 overloaded or a dependency is down
  kInternal,                     // 500 a bug; never expected
};

struct Error {
  ErrorCode code;
  std::string message;
};

// Thrown by adapters when a dependency (database, Redis, broker) cannot be reached or is busy
// beyond its timeout. Caught once at the top of request handling and answered 503.
class UnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown out of Database::Write when a record the transaction stored as its last write (see
// IdempotencyRepository::StoreLast) has a key another transaction already stored: the
// transaction wrote nothing.
class DuplicateRecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace boxoffice::domain
