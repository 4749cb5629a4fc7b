#include "common/metrics/admin_http_server.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iterator>
#include <list>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tandem::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

http::response<http::string_body> Answer(const http::request<http::empty_body>& request, Registry& registry,
                                         const std::function<bool()>& ready) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(false);
  const std::string target(request.target());
  if (request.method() != http::verb::get) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET");
  } else if (target == "/metrics") {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = registry.Render();
  } else if (target == "/healthz") {
    response.result(http::status::ok);
    response.body() = "ok\n";
  } else if (target == "/readyz") {
    const bool is_ready = !ready || ready();
    response.result(is_ready ? http::status::ok : http::status::service_unavailable);
    response.body() = is_ready ? "ready\n" : "not ready\n";
  } else {
    response.result(http::status::not_found);
    response.body() = "not found\n";
  }
  response.prepare_payload();
  return response;
}

}  // namespace

// Everything below runs on the server's one thread, so the connection list needs no lock.
struct AdminHttpServer::Impl {
  class Session;

  Impl(Registry& registry_in, std::function<bool()> ready_in, const Options& options_in)
      : registry(registry_in), ready(std::move(ready_in)), options(options_in) {}

  void Accept();
  void CloseAll();

  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer retry{io};
  Registry& registry;
  std::function<bool()> ready;
  Options options;
  std::list<std::weak_ptr<Session>> sessions;  // open connections, oldest first
};

// One connection: one request, one answer, then closed.
class AdminHttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& impl, tcp::socket socket) : impl_(impl), stream_(std::move(socket)) {}

  void Start(std::list<std::weak_ptr<Session>>::iterator position) {
    position_ = position;
    parser_.header_limit(8 * 1024);
    // One deadline for the whole request rather than per read: a client sending a byte at a time cannot
    // extend it.
    stream_.expires_after(impl_.options.request_timeout);
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t /*bytes*/) { self->OnRead(ec); });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    impl_.sessions.erase(position_);
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec || closed_) {
      Close();
      return;
    }
    response_ = Answer(parser_.get(), impl_.registry, impl_.ready);
    stream_.expires_after(impl_.options.request_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, size_t /*bytes*/) { self->Close(); });
  }

  Impl& impl_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
  std::list<std::weak_ptr<Session>>::iterator position_;
  bool closed_ = false;
};

void AdminHttpServer::Impl::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors, say: try again shortly rather than spin.
      retry.expires_after(std::chrono::milliseconds(100));
      retry.async_wait([this](beast::error_code wait_error) {
        if (!wait_error) Accept();
      });
      return;
    }
    if (sessions.size() >= std::max<size_t>(options.max_connections, 1)) {
      if (auto oldest = sessions.front().lock()) {
        oldest->Close();
      } else {
        sessions.pop_front();
      }
    }
    auto session = std::make_shared<Session>(*this, std::move(socket));
    sessions.push_back(session);
    session->Start(std::prev(sessions.end()));
    Accept();
  });
}

void AdminHttpServer::Impl::CloseAll() {
  beast::error_code ec;
  acceptor.close(ec);
  retry.cancel();
  while (!sessions.empty()) {
    if (auto session = sessions.front().lock()) {
      session->Close();
    } else {
      sessions.pop_front();
    }
  }
  io.stop();
}

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(const std::string& address, int port,
                                                                        Registry& registry,
                                                                        std::function<bool()> ready) {
  return Start(address, port, registry, std::move(ready), Options());
}

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(const std::string& address, int port,
                                                                        Registry& registry,
                                                                        std::function<bool()> ready,
                                                                        const Options& options) {
  std::unique_ptr<AdminHttpServer> server(new AdminHttpServer());
  server->impl_ = std::make_unique<Impl>(registry, std::move(ready), options);
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
    return absl::UnavailableError(
        absl::StrCat("cannot listen on admin port ", address, ":", port, ": ", ec.message()));
  }
  server->port_ = acceptor.local_endpoint().port();
  server->impl_->Accept();
  server->thread_ = std::thread([impl = server->impl_.get()] { impl->io.run(); });
  return server;
}

AdminHttpServer::~AdminHttpServer() { Stop(); }

void AdminHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (!thread_.joinable()) return;
  asio::post(impl_->io, [impl = impl_.get()] { impl->CloseAll(); });
  thread_.join();
}

}  // namespace tandem::metrics
