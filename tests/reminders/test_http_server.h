#ifndef TANDEM_TESTS_REMINDERS_TEST_HTTP_SERVER_H_
#define TANDEM_TESTS_REMINDERS_TEST_HTTP_SERVER_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::reminders::testing {

// A real HTTP/1.1 server (Boost.Beast, blocking) on 127.0.0.1 and a free port, one thread per connection,
// keep-alive honoured, optionally TLS. It records every request and answers through a handler, which may ask
// for a delay (cut short when the server stops, so a slow-server test ends promptly).
class TestHttpServer {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };
  struct Response {
    int status = 200;
    std::string body;
    absl::Duration delay = absl::ZeroDuration();
    std::vector<std::pair<std::string, std::string>> headers;
  };
  using Handler = std::function<Response(const Request&)>;

  // `tls_cert_file`/`tls_key_file` (PEM) switch the server to https.
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(Handler handler,
                                                               const std::string& tls_cert_file = "",
                                                               const std::string& tls_key_file = "");
  ~TestHttpServer();

  int port() const { return port_; }
  // "http(s)://127.0.0.1:<port><path>"
  std::string Url(const std::string& path = "/hook") const;

  std::vector<Request> requests() const;
  size_t connections() const;

 private:
  explicit TestHttpServer(Handler handler) : handler_(std::move(handler)) {}
  void AcceptLoop();
  template <typename Stream>
  void Serve(Stream& stream);
  void ServeConnection(const std::shared_ptr<boost::asio::ip::tcp::socket>& socket);
  void ServeConnectionOrThrow(boost::asio::ip::tcp::socket& socket);

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::unique_ptr<boost::asio::ssl::context> tls_;
  int port_ = 0;
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
  std::vector<Request> requests_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> connection_threads_;
};

// A loopback port bound but not listening: connecting to it is refused for as long as this object lives.
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A fresh self-signed certificate for 127.0.0.1 and localhost, written as PEM files into `dir`.
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};
absl::StatusOr<TestCertificate> MakeSelfSignedCertificate(const std::string& dir);

}  // namespace tandem::reminders::testing

#endif  // TANDEM_TESTS_REMINDERS_TEST_HTTP_SERVER_H_
