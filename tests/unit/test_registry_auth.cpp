// WWW-Authenticate challenges, docker config.json credentials and registry
// error bodies (lib/registry/credentials.cpp), including hostile input.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "acuctl/error.hpp"
#include "registry/http.hpp"
#include "registry/internal.hpp"

using namespace acuctl;

TEST_CASE("bearer challenges with quoted, comma-holding scopes") {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.example.com/token",service="registry.local",scope="repository:models/demo:pull,push")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].params["realm"] == "https://auth.example.com/token");
  CHECK(c[0].params["service"] == "registry.local");
  CHECK(c[0].params["scope"] == "repository:models/demo:pull,push");

  c = parse_www_authenticate(
      R"(Bearer realm="r",scope="repository:a:pull,push repository:b:pull", error="insufficient_scope")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].params["scope"] == "repository:a:pull,push repository:b:pull");
  CHECK(c[0].params["error"] == "insufficient_scope");
}

TEST_CASE("basic challenges, several challenges, odd spacing and escapes") {
  auto c = parse_www_authenticate(R"(Basic realm="basic-realm")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "basic");
  CHECK(c[0].params["realm"] == "basic-realm");

  c = parse_www_authenticate(R"(Basic realm="a", Bearer realm="b" , service=svc)");
  REQUIRE(c.size() == 2);
  CHECK(c[0].scheme == "basic");
  CHECK(c[1].scheme == "bearer");
  CHECK(c[1].params["realm"] == "b");
  CHECK(c[1].params["service"] == "svc");

  c = parse_www_authenticate(R"(BEARER REALM = "x\"y" )");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].params["realm"] == "x\"y");

  c = parse_www_authenticate("Basic");
  REQUIRE(c.size() == 1);
  CHECK(c[0].params.empty());
}

TEST_CASE("hostile challenges never throw or hang") {
  for (const char* h : {"", ",,,", "=", "\"", "Bearer realm=\"unterminated", "Bearer ,,=,=\"", "Bearer realm=",
                        "Bearer realm==x", ";;;", "\"Bearer\" realm=x", "Bearer realm=\"a\"scope=\"b\"",
                        "Basic \\\\\\", "Bearer a=b=c=d"}) {
    CHECK_NOTHROW(parse_www_authenticate(h));
  }
  auto c = parse_www_authenticate("Bearer realm=\"unterminated");
  REQUIRE(c.size() == 1);
  CHECK(c[0].params["realm"] == "unterminated");
}

TEST_CASE("docker config.json auths") {
  std::string b64 = http::base64_encode("alice:pa:ss");
  std::string text = R"({"auths":{"https://reg.example.com:5000/v2/":{"auth":")" + b64 +
                     R"("},"other.io":{"username":"bob","password":"pw"},"empty.io":{}}})";
  auto c = credentials_from_docker_config(text, "reg.example.com:5000", "config.json");
  REQUIRE(c);
  CHECK(c->username == "alice");
  CHECK(c->password == "pa:ss");  // only the first colon separates
  c = credentials_from_docker_config(text, "OTHER.io", "config.json");
  REQUIRE(c);
  CHECK(c->username == "bob");
  CHECK_FALSE(credentials_from_docker_config(text, "empty.io", "config.json"));
  CHECK_FALSE(credentials_from_docker_config(text, "reg.example.com", "config.json"));  // port differs
  CHECK_FALSE(credentials_from_docker_config(R"({"credsStore":"desktop"})", "x.io", "config.json"));
  CHECK_FALSE(credentials_from_docker_config(R"({"auths":[]})", "x.io", "config.json"));

  CHECK_THROWS_AS(credentials_from_docker_config("not json", "x.io", "config.json"), Error);
  CHECK_THROWS_AS(credentials_from_docker_config("[]", "x.io", "config.json"), Error);
  CHECK_THROWS_AS(credentials_from_docker_config(R"({"auths":{"x.io":{"auth":"!!!"}}})", "x.io", "config.json"), Error);
  std::string nocolon = http::base64_encode("alice");
  CHECK_THROWS_AS(
      credentials_from_docker_config(R"({"auths":{"x.io":{"auth":")" + nocolon + R"("}}})", "x.io", "config.json"),
      Error);
}

TEST_CASE("lookup_credentials: environment first, then DOCKER_CONFIG") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "acuctl-test-dockercfg";
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << R"({"auths":{"r.io":{"auth":")" << http::base64_encode("u:p") << R"("}}})";
  ::setenv("DOCKER_CONFIG", dir.c_str(), 1);
  ::unsetenv("ACUCTL_REGISTRY_USERNAME");
  ::unsetenv("ACUCTL_REGISTRY_PASSWORD");
  auto c = lookup_credentials("r.io");
  REQUIRE(c);
  CHECK(c->username == "u");
  CHECK_FALSE(lookup_credentials("other.io"));
  ::setenv("ACUCTL_REGISTRY_USERNAME", "envuser", 1);
  ::setenv("ACUCTL_REGISTRY_PASSWORD", "envpass", 1);
  c = lookup_credentials("r.io");
  REQUIRE(c);
  CHECK(c->username == "envuser");
  CHECK(c->password == "envpass");
  ::unsetenv("ACUCTL_REGISTRY_USERNAME");
  ::unsetenv("ACUCTL_REGISTRY_PASSWORD");
  ::unsetenv("DOCKER_CONFIG");
  fs::remove_all(dir);
}

TEST_CASE("registry error bodies") {
  CHECK(registry_error_text(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})") ==
        "MANIFEST_UNKNOWN: manifest unknown");
  CHECK(registry_error_text(R"({"errors":[{"code":"A"},{"message":"b"}]})") == "A; b");
  CHECK(registry_error_text("<html>\x01oops</html>") == "<html> oops</html>");
  CHECK(registry_error_text(R"({"errors":[1,2]})") == R"({"errors":[1,2]})");
  CHECK(registry_error_text(std::string(1000, 'x')).size() == 200);
  CHECK(registry_error_text("").empty());
}

TEST_CASE("url and base64 encoding") {
  CHECK(http::url_encode("sha256:ab") == "sha256%3Aab");
  CHECK(http::url_encode("repository:a/b:pull,push") == "repository%3Aa%2Fb%3Apull%2Cpush");
  CHECK(http::base64_encode("alice:s3cret") == "YWxpY2U6czNjcmV0");
  CHECK(http::base64_encode("").empty());
}
