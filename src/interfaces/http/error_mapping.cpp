#include "interfaces/http/error_mapping.hpp"

namespace boxoffice::http {

WireError MapError(domain::ErrorCode code) {
  using domain::ErrorCode;
  // No default: the compiler flags an ErrorCode added without a row here.
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return {400, "invalid_request"};
    case ErrorCode::kInvalidAmount:
      return {400, "invalid_amount"};
    case ErrorCode::kTooManySeats:
      return {400, "too_many_seats"};
    case ErrorCode::kPayloadTooLarge:
      return {413, "payload_too_large"};
    case ErrorCode::kInvalidToken:
      return {401, "invalid_token"};
    case ErrorCode::kUnauthenticated:
      return {401, "unauthenticated"};
    case ErrorCode::kForbidden:
      return {403, "forbidden"};
    case ErrorCode::kTokenNotProcessable:
      return {403, "token_not_processable"};
    case ErrorCode::kOccupationInvalid:
      return {403, "occupation_invalid"};
    case ErrorCode::kNotFound:
      return {404, "not_found"};
    case ErrorCode::kUserNotFound:
      return {404, "user_not_found"};
    case ErrorCode::kConcertNotFound:
      return {404, "concert_not_found"};
    case ErrorCode::kEventNotFound:
      return {404, "concert_event_not_found"};
    case ErrorCode::kSeatNotFound:
      return {404, "seat_not_found"};
    case ErrorCode::kOccupationNotFound:
      return {404, "occupation_not_found"};
    case ErrorCode::kReservationNotFound:
      return {404, "reservation_not_found"};
    case ErrorCode::kQueueTokenNotFound:
      return {404, "queue_token_not_found"};
    case ErrorCode::kMethodNotAllowed:
      return {405, "method_not_allowed"};
    case ErrorCode::kSeatUnavailable:
      return {409, "seat_unavailable"};
    case ErrorCode::kOccupationAlreadyExpired:
      return {409, "occupation_already_expired"};
    case ErrorCode::kOccupationAlreadyReleased:
      return {409, "occupation_already_released"};
    case ErrorCode::kReservationAlreadyConfirmed:
      return {409, "reservation_already_confirmed"};
    case ErrorCode::kReservationExpired:
      return {409, "reservation_expired"};
    case ErrorCode::kInsufficientBalance:
      return {409, "insufficient_balance"};
    case ErrorCode::kIdempotencyKeyReused:
      return {409, "idempotency_key_reused"};
    case ErrorCode::kIdempotencyInProgress:
      return {409, "idempotency_in_progress"};
    case ErrorCode::kWalletLimitExceeded:
      return {409, "wallet_limit_exceeded"};
    case ErrorCode::kReservationNotOpened:
      return {422, "reservation_not_opened"};
    case ErrorCode::kRateLimited:
      return {429, "rate_limited"};
    case ErrorCode::kUnavailable:
      return {503, "unavailable"};
    case ErrorCode::kInternal:
      return {500, "internal"};
  }
  return {500, "internal"};
}

}  // namespace boxoffice::http
