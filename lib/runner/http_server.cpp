// The HTTP/1.1 server: Boost.Beast on one io_context per thread (no locks on
// the request path). One acceptor hands connections round-robin to the
// threads. Beast and Asio are confined to this file.
#include <utility>  // before Asio: Boost 1.74 Asio under C++20 needs std::exchange declared

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <csignal>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/http_server.hpp"
#include "acuctl/oip.hpp"

namespace acuctl::runner {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class Session;

struct Worker {
  // Declared before the io_context: sessions still queued in it when it is
  // destroyed (a forced shutdown) unregister themselves from this list.
  std::list<Session*> sessions;  // touched only on this worker's thread
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> guard = net::make_work_guard(ioc);
  net::steady_timer grace{ioc};
  bool stopping = false;
  std::uint64_t next_id = 0;
  std::string id_prefix;
};

std::string_view to_sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string_view lookup_field(const void* fields, std::string_view name) {
  const auto& f = *static_cast<const http::fields*>(fields);
  auto it = f.find(beast::string_view(name.data(), name.size()));
  return it == f.end() ? std::string_view{} : to_sv(it->value());
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':')) return false;
  return true;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Worker& worker, const HttpHandler& handler, const HttpServerOptions& options,
          net::thread_pool& offload_pool)
      : stream_(std::move(socket)),
        worker_(worker),
        handler_(handler),
        options_(options),
        limits_(options.limits),
        offload_pool_(offload_pool) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    loopback_ = !ec && remote.address().is_loopback();
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }
  ~Session() {
    if (registered_) worker_.sessions.erase(self_in_list_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    worker_.sessions.push_front(this);
    self_in_list_ = worker_.sessions.begin();
    registered_ = true;
    wait_request();
  }

  // Shutdown: an idle keep-alive connection is closed now; a busy one after
  // its answer. A connection accepted before the shutdown that has not sent
  // its first request yet is left alone until `grace_over`: the request may
  // still be on its way.
  void stop_if_idle(bool grace_over) {
    if (busy_ || (requests_ == 0 && !grace_over)) return;
    beast::error_code ec;
    if (stream_.socket().available(ec) > 0) return;  // a request is arriving
    // cancel, not close: a read that already completed still gets handled.
    stream_.socket().cancel(ec);
  }
  bool fresh() const { return requests_ == 0 && !busy_; }

 private:
  // Waits for the first bytes of the next request under the idle timeout;
  // the header then has header_timeout to arrive in full.
  void wait_request() {
    busy_ = false;
    if (buffer_.size() > 0) return read_header();
    if (worker_.stopping && requests_ > 0) return close();
    stream_.expires_after(worker_.stopping ? std::chrono::milliseconds(2000) : limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(8192), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->close();
      self->buffer_.commit(n);
      self->read_header();
    });
  }

  void read_header() {
    busy_ = true;
    parser_.emplace();
    parser_->header_limit(limits_.max_header);
    // The larger limit lets the header of an upload through; on_header
    // decides which limit this request gets.
    parser_->body_limit(options_.allow_upload ? std::max(limits_.max_body, limits_.max_upload) : limits_.max_body);
    stream_.expires_after(limits_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    received_ = Clock::now();
    if (ec) return on_read_error(ec);
    auto& req = parser_->get();
    if (options_.allow_upload) {
      HttpRequest head = request_view(std::string_view{});
      std::uint64_t limit = options_.allow_upload(head) ? limits_.max_upload : limits_.max_body;
      auto length = parser_->content_length();
      if (length && *length > limit)
        return reply_error(413, "request body is larger than the limit of " + std::to_string(limit) + " bytes");
      parser_->body_limit(limit);
    }
    auto expect = req[http::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      stream_.expires_after(limits_.request_timeout);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return handle();
    stream_.expires_after(limits_.request_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->handle();
    });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return reply_error(413, "request body is larger than the limit of " + std::to_string(limits_.max_body) + " bytes");
    if (ec == http::error::header_limit)
      return reply_error(431, "request header is larger than the limit of " + std::to_string(limits_.max_header) + " bytes");
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == http::error::partial_message)
      return close();
    return reply_error(400, "malformed HTTP request: " + ec.message());
  }

  std::string request_id() {
    if (parser_) {
      auto given = to_sv(parser_->get()[contract::header_request_id.data()]);
      if (valid_request_id(given)) return std::string(given);
    }
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, ++worker_.next_id, 16);
    return worker_.id_prefix + std::string(buf, res.ptr);
  }

  // An answer the protocol layer gives (413, 431, 400): logged, then the
  // connection closes, because the rest of the request cannot be trusted.
  void reply_error(unsigned status, const std::string& message) {
    std::string id = request_id();
    std::string method, target;
    if (parser_ && parser_->is_header_done()) {
      method = std::string(to_sv(parser_->get().method_string()));
      target = std::string(to_sv(parser_->get().target()));
    }
    log_request_failure(id, method.empty() ? "-" : method, target.empty() ? "-" : target, status, message);
    res_ = {};
    res_.version(11);
    res_.result(status);
    res_.set(http::field::content_type, "application/json");
    res_.set(contract::header_request_id.data(), id);
    res_.keep_alive(false);
    res_.body() = oip::error_body(message);
    res_.prepare_payload();
    stream_.expires_after(limits_.request_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->drain_and_close();
    });
  }

  // After refusing a request whose body is still arriving: stop sending, read
  // and drop what the client still sends for a while, so that closing does
  // not reset the connection before the client has read the answer.
  void drain_and_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    drain_deadline_ = Clock::now() + std::chrono::seconds(5);
    drain();
  }

  void drain() {
    stream_.expires_at(drain_deadline_);
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(65536), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  HttpRequest request_view(std::string_view id) {
    auto& req = parser_->get();
    HttpRequest in;
    in.method = to_sv(req.method_string());
    in.target = to_sv(req.target());
    in.body = req.body();
    in.request_id = id;
    in.from_loopback = loopback_;
    in.received = received_;
    in.fields_ = static_cast<const http::fields*>(&req);
    in.lookup_ = &lookup_field;
    return in;
  }

  void run_handler(const HttpRequest& in, HttpResponse& out) {
    try {
      handler_(in, out);
    } catch (const std::exception& e) {
      out = {};
      out.status = 500;
      out.error = std::string("internal error: ") + e.what();
      out.body = oip::error_body(out.error);
    }
    if (!out.error.empty()) log_request_failure(in.request_id, in.method, in.target, out.status, out.error);
  }

  void handle() {
    ++requests_;
    request_id_ = request_id();
    HttpRequest in = request_view(request_id_);
    if (options_.offload && options_.offload(in)) {
      // The session waits (no read pending) while the pool runs the handler;
      // the work guard keeps this worker running until the answer is back.
      net::post(offload_pool_, [self = shared_from_this(), in, guard = net::make_work_guard(worker_.ioc)]() mutable {
        auto out = std::make_shared<HttpResponse>();
        self->run_handler(in, *out);
        net::post(self->worker_.ioc, [self, out, guard = std::move(guard)]() mutable {
          self->respond(std::move(*out));
          guard.reset();
        });
      });
      return;
    }
    HttpResponse out;
    run_handler(in, out);
    respond(std::move(out));
  }

  void respond(HttpResponse out) {
    auto& req = parser_->get();
    const std::string& id = request_id_;
    res_ = {};
    res_.version(req.version());
    res_.result(out.status);
    if (!out.body.empty() || out.status >= 400) res_.set(http::field::content_type, beast::string_view(out.content_type.data(), out.content_type.size()));
    for (const auto& [name, value] : out.headers)
      res_.set(beast::string_view(name.data(), name.size()), value);
    res_.set(contract::header_request_id.data(), id);
    res_.keep_alive(req.keep_alive() && !worker_.stopping);
    res_.body() = std::move(out.body);
    res_.prepare_payload();
    stream_.expires_after(limits_.request_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!self->res_.keep_alive()) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return self->close();
      }
      self->wait_request();
    });
  }

  void close() {
    busy_ = false;
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  Worker& worker_;
  const HttpHandler& handler_;
  const HttpServerOptions& options_;
  const HttpLimits& limits_;
  net::thread_pool& offload_pool_;
  std::string request_id_;
  std::list<Session*>::iterator self_in_list_;
  bool registered_ = false;
  bool busy_ = false;
  std::uint64_t requests_ = 0;
  bool loopback_ = false;
  Clock::time_point received_;
  Clock::time_point drain_deadline_;
};

tcp::endpoint resolve_listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (!ec) return {address, port};
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) fail("cannot listen on '" + host + "': " + (ec ? ec.message() : "no address"));
  return results.begin()->endpoint();
}

}  // namespace

void log_request_failure(std::string_view request_id, std::string_view method, std::string_view target,
                         unsigned status, std::string_view message) {
  std::string line = "acuctl serve: request ";
  line.append(request_id);
  line += ": ";
  line.append(method);
  line += ' ';
  line.append(target.substr(0, 200));
  line += " -> " + std::to_string(status) + ": ";
  for (char c : message.substr(0, 1000)) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  // One write(2) per line, so lines from different threads never interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void run_http_server(const HttpServerOptions& options, const HttpHandler& handler,
                     const std::function<void(const std::string&)>& on_listening) {
  unsigned n = std::max(1u, options.threads);
  std::vector<std::unique_ptr<Worker>> workers;
  std::random_device rd;
  char prefix[16];
  auto res = std::to_chars(prefix, prefix + sizeof prefix, rd() & 0xffffffu, 16);
  std::string process_prefix(prefix, res.ptr);
  for (unsigned i = 0; i < n; ++i) {
    workers.push_back(std::make_unique<Worker>());
    workers.back()->id_prefix = process_prefix + "-" + std::to_string(i) + "-";
  }
  // Accepting and signals get their own thread, so that a worker busy in a
  // slow model never leaves connections waiting in the listen backlog.
  net::io_context accept_ioc{1};
  // Offloaded handlers (admin changes and uploads): two threads, so an
  // upload is not stuck behind a slow load; changes serialize themselves.
  net::thread_pool offload_pool(2);

  tcp::endpoint endpoint = resolve_listen(options.host, options.port);
  tcp::acceptor acceptor(accept_ioc);
  beast::error_code ec;
  std::string where = endpoint.address().to_string() + ":" + std::to_string(options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("cannot listen on " + where + ": " + ec.message());
  auto bound = acceptor.local_endpoint();
  std::string address = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();

  // SIGTERM/SIGINT: stop accepting, close idle connections, let busy ones
  // finish their request; a second signal ends the process (default action).
  std::mutex mutex;
  std::condition_variable done_cv;
  net::signal_set signals(accept_ioc, SIGTERM, SIGINT);
  std::atomic<bool> stopping{false};
  signals.async_wait([&](beast::error_code sec, int) {
    if (sec) return;
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    done_cv.notify_all();
    beast::error_code ignored;
    signals.clear(ignored);
    acceptor.close(ignored);
    for (auto& w : workers) {
      net::post(w->ioc, [worker = w.get()] {
        worker->stopping = true;
        bool any_fresh = false;
        for (Session* s : worker->sessions) {
          s->stop_if_idle(false);
          any_fresh = any_fresh || s->fresh();
        }
        if (any_fresh) {
          worker->grace.expires_after(std::chrono::seconds(2));
          worker->grace.async_wait([worker](beast::error_code) {
            for (Session* s : worker->sessions) s->stop_if_idle(true);
          });
        }
        worker->guard.reset();
      });
    }
  });

  std::size_t next = 0;
  std::function<void()> accept_next;
  net::steady_timer retry(accept_ioc);
  accept_next = [&] {
    Worker& target = *workers[next++ % workers.size()];
    acceptor.async_accept(target.ioc, [&, worker = &target](beast::error_code aec, tcp::socket socket) {
      if (aec == net::error::operation_aborted || stopping) return;
      if (aec) {
        // Out of descriptors and the like: wait a little instead of spinning.
        retry.expires_after(std::chrono::milliseconds(50));
        retry.async_wait([&](beast::error_code) { if (!stopping) accept_next(); });
        return;
      }
      net::post(worker->ioc, [s = std::move(socket), worker, &handler, &options, &offload_pool]() mutable {
        std::make_shared<Session>(std::move(s), *worker, handler, options, offload_pool)->start();
      });
      accept_next();
    });
  };
  accept_next();
  if (on_listening) on_listening(address + ":" + std::to_string(bound.port()));

  unsigned running = n;
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    try {
      accept_ioc.run();
    } catch (const std::exception& e) {
      log_request_failure("-", "-", "-", 500, std::string("accept thread error: ") + e.what());
    }
  });
  for (auto& w : workers) {
    threads.emplace_back([&, worker = w.get()] {
      for (;;) {
        try {
          worker->ioc.run();
          break;
        } catch (const std::exception& e) {
          log_request_failure("-", "-", "-", 500, std::string("server thread error: ") + e.what());
        }
      }
      std::lock_guard lock(mutex);
      --running;
      done_cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    done_cv.wait(lock, [&] { return stopping.load() || running == 0; });
  }
  {
    // In-flight requests have shutdown_timeout to finish; then the rest is cut off.
    std::unique_lock lock(mutex);
    if (!done_cv.wait_for(lock, options.limits.shutdown_timeout, [&] { return running == 0; })) {
      lock.unlock();
      for (auto& w : workers) w->ioc.stop();
      accept_ioc.stop();
    }
  }
  for (auto& t : threads) t.join();
  offload_pool.join();
}

}  // namespace acuctl::runner
