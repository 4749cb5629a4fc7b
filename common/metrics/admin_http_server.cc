#include "common/metrics/admin_http_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"

namespace tandem::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct AdminHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(const std::string& address, int port,
                                                                        Registry& registry,
                                                                        std::function<bool()> ready) {
  std::unique_ptr<AdminHttpServer> server(new AdminHttpServer(registry, std::move(ready)));
  server->impl_ = std::make_unique<Impl>();
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad admin address ", address));
  tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  auto& acceptor = server->impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(64, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on admin port ", address, ":", port, ": ",
                                               ec.message()));
  }
  server->port_ = acceptor.local_endpoint().port();
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

AdminHttpServer::AdminHttpServer(Registry& registry, std::function<bool()> ready)
    : registry_(registry), ready_(std::move(ready)) {}

AdminHttpServer::~AdminHttpServer() { Stop(); }

void AdminHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  boost::system::error_code ec;
  // shutdown() wakes a blocking accept(); close() alone does not on Linux.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->acceptor.close(ec);
  if (thread_.joinable()) thread_.join();
}

void AdminHttpServer::Serve() {
  while (!stopping_.load()) {
    boost::system::error_code ec;
    tcp::socket socket(impl_->io);
    impl_->acceptor.accept(socket, ec);
    if (ec) {
      if (stopping_.load()) return;
      continue;
    }
    timeval timeout{2, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    http::read(socket, buffer, parser, ec);
    if (ec) continue;
    const auto& request = parser.get();
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(false);
    std::string target(request.target());
    if (request.method() != http::verb::get) {
      response.result(http::status::method_not_allowed);
      response.set(http::field::allow, "GET");
    } else if (target == "/metrics") {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.body() = registry_.Render();
    } else if (target == "/healthz") {
      response.result(http::status::ok);
      response.body() = "ok\n";
    } else if (target == "/readyz") {
      bool ready = !ready_ || ready_();
      response.result(ready ? http::status::ok : http::status::service_unavailable);
      response.body() = ready ? "ready\n" : "not ready\n";
    } else {
      response.result(http::status::not_found);
      response.body() = "not found\n";
    }
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
}

}  // namespace tandem::metrics
