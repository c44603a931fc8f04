#include "interfaces/http/client_address.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <stdexcept>

namespace boxoffice::http {
namespace {

// The address in canonical text form (so "::ffff:127.0.0.1" and "::FFFF:127.0.0.1" compare
// equal), or nullopt when `text` is not an address.
std::optional<std::string> Canonical(std::string_view text) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .to_string();
  }
  return address.to_string();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ClientAddressResolver::ClientAddressResolver(const std::vector<std::string>& trusted_proxies) {
  for (const auto& proxy : trusted_proxies) {
    auto canonical = Canonical(Trim(proxy));
    if (!canonical) {
      throw std::invalid_argument("trusted proxy '" + proxy + "' is not an IP address");
    }
    trusted_.push_back(std::move(*canonical));
  }
}

bool ClientAddressResolver::Trusted(std::string_view address) const {
  return std::find(trusted_.begin(), trusted_.end(), address) != trusted_.end();
}

std::string ClientAddressResolver::Resolve(const std::string& peer,
                                           std::optional<std::string_view> forwarded_for) const {
  auto current = Canonical(peer);
  if (!current || !forwarded_for || !Trusted(*current)) return peer;
  std::string_view rest = *forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view entry =
        Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    auto address = Canonical(entry);
    if (!address) break;  // a forged or broken entry: the last hop vouched for is the answer
    current = std::move(address);
    if (!Trusted(*current)) break;
  }
  return *current;
}

}  // namespace boxoffice::http
