#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boxoffice::bench {

struct HttpResponse {
  int status = 0;
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One keep-alive HTTP/1.1 connection over a blocking socket: just enough client for the bench
// (responses with Content-Length), with no Asio in the caller threads.
class HttpConnection {
 public:
  // Connects to host:port (an IPv4 address or a name); throws std::runtime_error on failure.
  HttpConnection(const std::string& host, int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  HttpResponse Request(std::string_view method, std::string_view target, const HttpHeaders& headers,
                       std::string_view body = {});

 private:
  void SendAll(std::string_view data);
  void ReadMore();

  int fd_ = -1;
  std::string host_;
  std::string buffer_;  // bytes received and not consumed yet
};

// http://host:port -> host and port (80 by default).
std::pair<std::string, int> HostAndPort(const std::string& url);

}  // namespace boxoffice::bench
