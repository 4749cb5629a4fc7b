#include "tests/reminders/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tandem::reminders::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(Handler handler,
                                                                      const std::string& tls_cert_file,
                                                                      const std::string& tls_key_file) {
  std::unique_ptr<TestHttpServer> server(new TestHttpServer(std::move(handler)));
  beast::error_code ec;
  if (!tls_cert_file.empty()) {
    server->tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    server->tls_->use_certificate_chain_file(tls_cert_file, ec);
    if (!ec) server->tls_->use_private_key_file(tls_key_file, asio::ssl::context::pem, ec);
    if (ec) return absl::InternalError(absl::StrCat("tls setup: ", ec.message()));
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  server->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) server->acceptor_.bind(endpoint, ec);
  if (!ec) server->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::InternalError(absl::StrCat("listen: ", ec.message()));
  server->port_ = server->acceptor_.local_endpoint().port();
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

TestHttpServer::~TestHttpServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& socket : sockets_) ::shutdown(socket->native_handle(), SHUT_RDWR);
  }
  stopping_cv_.notify_all();
  // Wake the blocking accept with a connection of our own.
  {
    asio::io_context io;
    tcp::socket poke(io);
    beast::error_code ec;
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port_)), ec);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(connection_threads_);
  }
  for (auto& thread : threads) thread.join();
}

std::string TestHttpServer::Url(const std::string& path) const {
  return absl::StrCat(tls_ ? "https" : "http", "://127.0.0.1:", port_, path);
}

std::vector<TestHttpServer::Request> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t TestHttpServer::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sockets_.size();
}

void TestHttpServer::AcceptLoop() {
  while (true) {
    auto socket = std::make_shared<tcp::socket>(io_);
    beast::error_code ec;
    acceptor_.accept(*socket, ec);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    if (ec) continue;
    sockets_.push_back(socket);
    connection_threads_.emplace_back([this, socket] { ServeConnection(socket); });
  }
}

void TestHttpServer::ServeConnection(const std::shared_ptr<tcp::socket>& socket) {
  try {
    ServeConnectionOrThrow(*socket);
  } catch (const std::exception&) {
    // A broken exchange ends the connection; the test sees it as a transport error.
  }
}

void TestHttpServer::ServeConnectionOrThrow(tcp::socket& socket) {
  if (!tls_) {
    Serve(socket);
    return;
  }
  asio::ssl::stream<tcp::socket&> stream(socket, *tls_);
  beast::error_code ec;
  stream.handshake(asio::ssl::stream_base::server, ec);
  if (ec) return;
  Serve(stream);
}

template <typename Stream>
void TestHttpServer::Serve(Stream& stream) {
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> request;
    beast::error_code ec;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    Request recorded;
    recorded.method = std::string(request.method_string());
    recorded.target = std::string(request.target());
    for (const auto& field : request) {
      recorded.headers[absl::AsciiStrToLower(std::string(field.name_string()))] = std::string(field.value());
    }
    recorded.body = request.body();
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(recorded);
    }
    const Response answer = handler_(recorded);
    if (answer.delay > absl::ZeroDuration()) {
      std::unique_lock<std::mutex> lock(mu_);
      stopping_cv_.wait_for(lock, absl::ToChronoMilliseconds(answer.delay), [this] { return stopping_; });
      if (stopping_) return;
    }
    http::response<http::string_body> response;
    response.version(request.version());
    response.result(static_cast<unsigned>(answer.status));
    for (const auto& [name, value] : answer.headers) response.set(name, value);
    if (answer.status != 204 && answer.status != 304) response.body() = answer.body;
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    http::write(stream, response, ec);
    if (ec || !response.keep_alive()) return;
  }
}

RefusingPort::RefusingPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port_ = ntohs(addr.sin_port);
  }
}

RefusingPort::~RefusingPort() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<TestCertificate> MakeSelfSignedCertificate(const std::string& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  auto cleanup = [&] {
    X509_free(cert);
    EVP_PKEY_free(key);
  };
  if (key == nullptr || cert == nullptr) {
    cleanup();
    return absl::InternalError("key generation failed");
  }
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) {
      cleanup();
      return absl::InternalError("certificate extension failed");
    }
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) {
    cleanup();
    return absl::InternalError("certificate signing failed");
  }
  TestCertificate out{dir + "/cert.pem", dir + "/key.pem"};
  FILE* cert_out = std::fopen(out.cert_file.c_str(), "w");
  FILE* key_out = std::fopen(out.key_file.c_str(), "w");
  const bool written = cert_out != nullptr && key_out != nullptr && PEM_write_X509(cert_out, cert) == 1 &&
                       PEM_write_PrivateKey(key_out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cert_out != nullptr) std::fclose(cert_out);
  if (key_out != nullptr) std::fclose(key_out);
  cleanup();
  if (!written) return absl::InternalError("writing the certificate failed");
  return out;
}

}  // namespace tandem::reminders::testing
