#include "domain/model/events.hpp"

namespace boxoffice::domain {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

std::string EventType(const DomainEvent& e) {
  return std::visit(
      Overloaded{
          [](const PaymentCompleted&) { return std::string("PaymentCompleted"); },
          [](const ReservationCancelled&) { return std::string("ReservationCancelled"); },
      },
      e);
}

std::string EventKey(const DomainEvent& e) {
  return std::visit([](const auto& ev) { return std::to_string(ev.reservation_id.value); }, e);
}

}  // namespace boxoffice::domain
