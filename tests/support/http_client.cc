#include "tests/support/http_client.h"

#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"

namespace tandem::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

HttpReply HttpCall(int port, const HttpRequest& request) {
  boost::asio::io_context io;
  tcp::socket socket(io);
  beast::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)}, ec);
  if (ec) return {};
  http::request<http::string_body> message(request.verb, request.target, 11);
  message.set(http::field::host, "localhost");
  if (!request.bearer_token.empty()) {
    message.set(http::field::authorization, "Bearer " + request.bearer_token);
  }
  for (const auto& [name, value] : request.headers) message.set(name, value);
  if (!request.body.empty()) {
    message.set(http::field::content_type, "application/json");
    message.body() = request.body;
  }
  message.prepare_payload();
  beast::error_code write_error;  // a refused upload may be cut short; the answer is still readable
  http::write(socket, message, write_error);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response, ec);
  if (ec) return {};
  HttpReply reply;
  reply.status = static_cast<int>(response.result_int());
  reply.body = response.body();
  reply.headers = response.base();
  return reply;
}

}  // namespace tandem::testing
