#ifndef TANDEM_SERVICES_GATEWAY_HTTP_SERVER_H_
#define TANDEM_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tandem::gateway {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpRequestHeader = boost::beast::http::request_header<>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
// Called exactly once per request, from any thread; the connection sends the response in request order.
using Respond = std::function<void(HttpResponse)>;

// What the server hands each complete request to. Handle must not block: slow work (a gRPC call) finishes
// later and calls `respond` then.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Sees each request's header before its body is read and before any `100 Continue`: a response returned
  // here is sent instead, so a request that will be refused anyway (no valid credential) costs no body read.
  // The connection then closes if a body remains unread. Must not block.
  virtual std::optional<HttpResponse> Screen(const HttpRequestHeader& /*header*/) { return std::nullopt; }
  virtual void Handle(HttpRequest request, std::string peer_address, Respond respond) = 0;
};

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 0;  // 0 picks a free port
  int io_threads = 2;
  size_t max_body_bytes = 1 << 20;    // larger: 413
  size_t max_header_bytes = 8 << 10;  // larger: 431
  // How long a keep-alive connection may sit idle, and how long a client may take to send the rest of a
  // request once it has started: slow-loris clients are cut off instead of holding a connection slot.
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration request_timeout = absl::Seconds(15);
  int max_connections = 1024;  // more: answered 503 and closed
};

// An asynchronous HTTP/1.1 server on Boost.Beast. One strand per connection; requests on a keep-alive
// connection (pipelined or not) are read one at a time and answered strictly in order, because the next
// request is read only after the previous response has been written.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  absl::Status Start();
  int port() const { return port_; }
  int open_connections() const { return connections_->load(); }
  // Stops accepting, waits up to `grace` for open connections to finish, then closes the rest.
  void Shutdown(absl::Duration grace);

 private:
  void Accept();

  HttpServerOptions options_;
  RequestHandler& handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_HTTP_SERVER_H_
