#pragma once

#include <string_view>

#include "domain/model/catalogue.hpp"
#include "domain/model/hold.hpp"
#include "domain/model/queue.hpp"
#include "domain/model/reservation.hpp"
#include "domain/model/wallet.hpp"

namespace boxoffice::domain {

// The names of states in the ubiquitous language ("PENDING", "SOLD_OUT"), as the API shows them
// and storage keeps them. Each returns a string literal, so data() is null-terminated.
std::string_view Name(SeatState state);
std::string_view Name(HoldStatus status);
std::string_view Name(ReservationStatus status);
std::string_view Name(PaymentStatus status);
std::string_view Name(WalletEntryType type);
std::string_view Name(QueueState state);

}  // namespace boxoffice::domain
