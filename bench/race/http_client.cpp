#include "http_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace boxoffice::bench {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

HttpConnection::HttpConnection(const std::string& host, int port) : host_(host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  fd_ = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd_ < 0) {
    freeaddrinfo(found);
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  const int rc = connect(fd_, found->ai_addr, found->ai_addrlen);
  const int connect_errno = errno;
  freeaddrinfo(found);
  if (rc != 0) {
    close(fd_);
    fd_ = -1;
    throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port) + ": " +
                             std::strerror(connect_errno));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

void HttpConnection::SendAll(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void HttpConnection::ReadMore() {
  char chunk[16 * 1024];
  while (true) {
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return;
    }
    if (n == 0) throw std::runtime_error("connection closed by the server");
    if (errno != EINTR) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
  }
}

HttpResponse HttpConnection::Request(std::string_view method, std::string_view target,
                                     const HttpHeaders& headers, std::string_view body) {
  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  request.append(host_).append("\r\n");
  for (const auto& [name, value] : headers) request.append(name + ": " + value + "\r\n");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request.append("Content-Type: application/json\r\nContent-Length: ");
    request.append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n").append(body);
  SendAll(request);

  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) ReadMore();
  const std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);

  HttpResponse response;
  // "HTTP/1.1 201 Created"
  const auto space = head.find(' ');
  if (space == std::string::npos) throw std::runtime_error("malformed status line");
  response.status = std::stoi(head.substr(space + 1, 3));
  std::size_t length = 0;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos < head.size()) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      const std::string name = Lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "content-length") length = std::stoul(value);
      if (name == "transfer-encoding" && Lower(value) != "identity") {
        throw std::runtime_error("chunked responses are not supported by the bench client");
      }
    }
    pos = next;
  }
  while (buffer_.size() < length) ReadMore();
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

std::pair<std::string, int> HostAndPort(const std::string& url) {
  std::string rest = url;
  const std::string scheme = "http://";
  if (rest.rfind(scheme, 0) != 0) throw std::invalid_argument("--server-url must be http://...");
  rest.erase(0, scheme.size());
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return {rest, 80};
  return {rest.substr(0, colon), std::stoi(rest.substr(colon + 1))};
}

}  // namespace boxoffice::bench
