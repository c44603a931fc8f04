#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boxoffice::http {

// Which address a request comes from, for rate limiting and the access log. Behind a load
// balancer every connection comes from the balancer, which names the client in
// X-Forwarded-For; that header is believed only when the connection comes from a proxy the
// operator trusts (anyone else could write it). Each proxy appends the address it saw, so the
// list is read from the right: the first address that is not a trusted proxy is the client.
class ClientAddressResolver {
 public:
  // `trusted_proxies`: IPv4 or IPv6 addresses; throws std::invalid_argument for anything else.
  explicit ClientAddressResolver(const std::vector<std::string>& trusted_proxies);

  // `peer`: the connection's remote address; `forwarded_for`: the X-Forwarded-For header, if
  // any (several headers joined with commas). Returns the peer unless it is trusted and the
  // header names an address; an entry that is not an address stops the walk at the hop after it.
  std::string Resolve(const std::string& peer, std::optional<std::string_view> forwarded_for) const;

  bool Enabled() const { return !trusted_.empty(); }

 private:
  bool Trusted(std::string_view address) const;
  std::vector<std::string> trusted_;  // in canonical form
};

}  // namespace boxoffice::http
