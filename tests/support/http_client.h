#ifndef TANDEM_TESTS_SUPPORT_HTTP_CLIENT_H_
#define TANDEM_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "boost/beast/http.hpp"
#include "nlohmann/json.hpp"

namespace tandem::testing {

struct HttpReply {
  int status = 0;  // 0 when the connection failed or closed without an answer
  std::string body;
  boost::beast::http::fields headers;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

struct HttpRequest {
  boost::beast::http::verb verb = boost::beast::http::verb::get;
  std::string target = "/";
  std::string body;  // sent as application/json when not empty
  std::string bearer_token;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One HTTP/1.1 exchange with a server on 127.0.0.1:`port` over a new connection: for end-to-end tests
// through a real gateway and for admin ports.
HttpReply HttpCall(int port, const HttpRequest& request);
inline HttpReply HttpGet(int port, const std::string& target, const std::string& bearer_token = "") {
  return HttpCall(port, {boost::beast::http::verb::get, target, "", bearer_token, {}});
}

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SUPPORT_HTTP_CLIENT_H_
