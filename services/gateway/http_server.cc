#include "services/gateway/http_server.h"

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"

namespace tandem::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

HttpResponse PlainError(http::status status, unsigned version, absl::string_view message) {
  HttpResponse response(status, version);
  response.set(http::field::content_type, "application/json");
  response.body() =
      absl::StrCat(R"({"code":)", static_cast<int>(status), R"(,"message":")", message, R"("})");
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

// One connection: read a request, hand it over, write the response, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, RequestHandler& handler,
          std::shared_ptr<std::atomic<int>> connections)
      : stream_(std::move(socket)),
        options_(options),
        handler_(handler),
        connections_(std::move(connections)) {
    boost::system::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = endpoint.address().to_string();
  }
  ~Session() { connections_->fetch_sub(1); }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  void RefuseBusy() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->Write(PlainError(http::status::service_unavailable, 11, "too many connections"));
    });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(ToSteady(options_.idle_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    // The header is in: the rest of the request must arrive within the request timeout.
    stream_.expires_after(ToSteady(options_.request_timeout));
    const HttpRequestHeader& header = parser_->get();
    if (std::optional<HttpResponse> refusal = handler_.Screen(header)) {
      // Answered from the header alone: an unread body is never read, so the connection cannot be reused.
      refusal->version(header.version());
      refusal->keep_alive(parser_->get().keep_alive() && parser_->is_done() && refusal->keep_alive());
      return Write(*std::move(refusal));
    }
    if (header[http::field::expect] == "100-continue" && !parser_->is_done()) {
      // Tell the client to send the body (curl waits for this on larger uploads). Asynchronously and under
      // the request deadline: a client that never reads must not hold an I/O thread.
      auto proceed = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *proceed,
                        [self = shared_from_this(), proceed](beast::error_code write_ec, size_t) {
                          if (write_ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code read_ec, size_t) { self->OnRequest(read_ec); });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == beast::error::timeout) return Close();  // idle or slow client: cut off
    if (ec == http::error::body_limit) {
      return Write(PlainError(http::status::payload_too_large, 11, "request body larger than 1 MiB"));
    }
    if (ec == http::error::header_limit) {
      return Write(
          PlainError(http::status::request_header_fields_too_large, 11, "request headers too large"));
    }
    Write(PlainError(http::status::bad_request, 11, "malformed HTTP request"));
  }

  void OnRequest(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    HttpRequest request = parser_->release();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    // No deadline while the handler works: the gRPC deadline bounds it.
    stream_.expires_never();
    auto self = shared_from_this();
    handler_.Handle(std::move(request), peer_, [self](HttpResponse response) {
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        response.version(self->version_);
        response.keep_alive(self->keep_alive_ && response.keep_alive());
        self->Write(std::move(response));
      });
    });
  }

  void Write(HttpResponse response) {
    auto shared = std::make_shared<HttpResponse>(std::move(response));
    bool close = !shared->keep_alive();
    stream_.expires_after(ToSteady(options_.request_timeout));
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared, close](beast::error_code ec, size_t) {
                        if (ec || close) return self->Close();
                        self->ReadHeader();
                      });
  }

  // A lingering close: stop sending, then read and discard what the client is still sending (e.g. the rest of
  // a body that was refused with 413) for a moment before closing. Closing with unread data would send a
  // reset, which can destroy the error response before the client reads it.
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(1));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) {
                                self->stream_.close();
                                return;
                              }
                              self->Drain();
                            });
  }

  beast::tcp_stream stream_;
  const HttpServerOptions& options_;
  RequestHandler& handler_;
  std::shared_ptr<std::atomic<int>> connections_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string peer_;
  std::array<char, 4096> discard_{};
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, RequestHandler& handler)
    : options_(std::move(options)), handler_(handler), acceptor_(io_) {}

HttpServer::~HttpServer() { Shutdown(absl::ZeroDuration()); }

absl::Status HttpServer::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen address ", options_.address));
  tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.address, ":", options_.port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) threads_.emplace_back([this] { io_.run(); });
  return absl::OkStatus();
}

void HttpServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping_.load()) return;
    if (!ec) {
      int open = connections_->fetch_add(1) + 1;
      auto session = std::make_shared<Session>(std::move(socket), options_, handler_, connections_);
      if (open > options_.max_connections) {
        session->RefuseBusy();
      } else {
        session->Start();
      }
    }
    Accept();
  });
}

void HttpServer::Shutdown(absl::Duration grace) {
  if (stopping_.exchange(true)) return;
  asio::post(io_, [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  absl::Time deadline = absl::Now() + grace;
  while (connections_->load() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  io_.stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace tandem::gateway
