// The HTTP floor for the runner benchmark: a minimal Boost.Beast server that
// reads each request and answers a fixed JSON body without parsing anything.
// Same threading as the runner (one io_context per thread, keep-alive), so
// the ratio runner/floor is the cost of JSON, inference and metrics.
// Usage: floor_server PORT THREADS
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

static const std::string body =
    R"({"model_name":"fixture","model_version":"1.0.0","id":"example","outputs":[{"name":"y","datatype":"FP32",)"
    R"("shape":[2,4],"data":[2,4,6,8,1,-2,0,16]},{"name":"sum","datatype":"FP64","shape":[2],"data":[10,7.5]}]})";

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : stream_(std::move(s)) {}
  void read() {
    req_ = {};
    http::async_read(stream_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->res_ = {http::status::ok, self->req_.version()};
      self->res_.set(http::field::content_type, "application/json");
      self->res_.keep_alive(self->req_.keep_alive());
      self->res_.body() = body;
      self->res_.prepare_payload();
      http::async_write(self->stream_, self->res_, [self](beast::error_code wec, std::size_t) {
        if (!wec && self->res_.keep_alive()) self->read();
      });
    });
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: floor_server PORT THREADS\n";
    return 2;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  int threads = std::max(1, std::atoi(argv[2]));
  net::io_context accept_ioc{1};
  std::vector<std::unique_ptr<net::io_context>> workers;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  for (int i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<net::io_context>(1));
    guards.push_back(net::make_work_guard(*workers.back()));
  }
  tcp::acceptor acceptor(accept_ioc, {net::ip::make_address("127.0.0.1"), port});
  std::size_t next = 0;
  std::function<void()> accept = [&] {
    auto& ioc = *workers[next++ % workers.size()];
    acceptor.async_accept(ioc, [&](beast::error_code ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true));
        std::make_shared<Session>(std::move(s))->read();
      }
      accept();
    });
  };
  accept();
  std::vector<std::thread> pool;
  for (auto& w : workers) pool.emplace_back([&ioc = *w] { ioc.run(); });
  accept_ioc.run();
}
