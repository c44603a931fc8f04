#include "domain/model/names.hpp"

#include <stdexcept>

namespace boxoffice::domain {

std::string_view Name(SeatState state) {
  switch (state) {
    case SeatState::kAvailable:
      return "AVAILABLE";
    case SeatState::kHeld:
      return "HELD";
    case SeatState::kReserved:
      return "RESERVED";
  }
  throw std::logic_error("unknown seat state");
}

std::string_view Name(HoldStatus status) {
  switch (status) {
    case HoldStatus::kActive:
      return "ACTIVE";
    case HoldStatus::kReleased:
      return "RELEASED";
    case HoldStatus::kExpired:
      return "EXPIRED";
    case HoldStatus::kReserved:
      return "RESERVED";
  }
  throw std::logic_error("unknown hold status");
}

std::string_view Name(ReservationStatus status) {
  switch (status) {
    case ReservationStatus::kPending:
      return "PENDING";
    case ReservationStatus::kConfirmed:
      return "CONFIRMED";
    case ReservationStatus::kPaymentFailed:
      return "PAYMENT_FAILED";
    case ReservationStatus::kExpired:
      return "EXPIRED";
    case ReservationStatus::kCancelled:
      return "CANCELLED";
  }
  throw std::logic_error("unknown reservation status");
}

std::string_view Name(PaymentStatus status) {
  switch (status) {
    case PaymentStatus::kSuccess:
      return "SUCCESS";
    case PaymentStatus::kFailed:
      return "FAILED";
  }
  throw std::logic_error("unknown payment status");
}

std::string_view Name(WalletEntryType type) {
  switch (type) {
    case WalletEntryType::kCharge:
      return "CHARGE";
    case WalletEntryType::kUse:
      return "USE";
    case WalletEntryType::kRefund:
      return "REFUND";
  }
  throw std::logic_error("unknown wallet entry type");
}

std::string_view Name(QueueState state) {
  switch (state) {
    case QueueState::kWaiting:
      return "WAITING";
    case QueueState::kActive:
      return "ACTIVE";
    case QueueState::kSoldOut:
      return "SOLD_OUT";
    case QueueState::kExpired:
      return "EXPIRED";
    case QueueState::kSuperseded:
      return "SUPERSEDED";
  }
  throw std::logic_error("unknown queue state");
}

}  // namespace boxoffice::domain
