// Reference parsing (lib/registry/reference.cpp): every form, and hostile input.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "acuctl/error.hpp"
#include "acuctl/registry.hpp"
#include "registry/internal.hpp"

using namespace acuctl;

namespace {
const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Exit exit_of(const std::string& text) {
  try {
    parse_reference(text);
  } catch (const Error& e) {
    return e.exit();
  }
  return Exit::ok;
}

std::string message_of(const std::string& text) {
  try {
    parse_reference(text);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}
}  // namespace

TEST_CASE("registry references: host, port, repository, tag, digest") {
  Reference r = parse_reference("localhost:5000/models/iris:v1");
  CHECK(r.kind == ReferenceKind::registry);
  CHECK(r.registry == "localhost:5000");
  CHECK(r.repository == "models/iris");
  CHECK(r.tag == "v1");
  CHECK(r.digest.empty());
  CHECK(r.target() == "v1");
  CHECK(r.str() == "localhost:5000/models/iris:v1");

  r = parse_reference("registry.example.com/iris");
  CHECK(r.registry == "registry.example.com");
  CHECK(r.repository == "iris");
  CHECK(r.tag.empty());
  CHECK(r.target() == "latest");

  r = parse_reference("127.0.0.1:5000/a/b/c@sha256:" + kHex);
  CHECK(r.repository == "a/b/c");
  CHECK(r.digest == "sha256:" + kHex);
  CHECK(r.target() == "sha256:" + kHex);

  r = parse_reference("host.io/team/iris:1.4.0@sha256:" + kHex);
  CHECK(r.tag == "1.4.0");
  CHECK(r.target() == "sha256:" + kHex);  // the digest wins
  CHECK(r.str() == "host.io/team/iris:1.4.0@sha256:" + kHex);

  r = parse_reference("[::1]:5000/iris:v1");
  CHECK(r.registry == "[::1]:5000");
  r = parse_reference("localhost/iris");
  CHECK(r.kind == ReferenceKind::registry);
  r = parse_reference("ghcr.io/my-org/sub__dir/model.name-x:tag_1.2-rc");
  CHECK(r.repository == "my-org/sub__dir/model.name-x");
  CHECK(r.tag == "tag_1.2-rc");
}

TEST_CASE("malformed registry references are usage errors that say what is wrong") {
  CHECK(exit_of("localhost:5000/Iris:v1") == Exit::usage);
  CHECK(message_of("localhost:5000/Iris:v1").find("'Iris' is not a valid repository name") != std::string::npos);
  CHECK(exit_of("localhost:5000/iris:") == Exit::usage);
  CHECK(exit_of("localhost:5000/iris:-bad") == Exit::usage);
  CHECK(exit_of("localhost:5000/iris:" + std::string(129, 'a')) == Exit::usage);
  CHECK(exit_of("localhost:5000/iris:" + std::string(128, 'a')) == Exit::ok);
  CHECK(exit_of("localhost:5000/") == Exit::usage);
  CHECK(exit_of("localhost:5000//iris") == Exit::usage);
  CHECK(exit_of("localhost:5000/iris/") == Exit::usage);
  CHECK(exit_of("localhost:5000/a..b") == Exit::usage);
  CHECK(exit_of("localhost:5000/a___b") == Exit::usage);
  CHECK(exit_of("localhost:5000/-a") == Exit::usage);
  CHECK(exit_of("localhost:5000/a-") == Exit::usage);
  CHECK(exit_of("localhost:99999/iris") == Exit::usage);
  CHECK(exit_of("localhost:0/iris") == Exit::usage);
  CHECK(exit_of("localhost:abc/iris") == Exit::usage);
  CHECK(exit_of("local_host.com/iris") == Exit::usage);
  CHECK(exit_of("-bad.com/iris") == Exit::usage);
  CHECK(exit_of("[zz]:5000/iris") == Exit::usage);
  CHECK(exit_of("[::1/iris") == Exit::usage);
  CHECK(exit_of("host.io/iris@sha256:abc") == Exit::usage);
  CHECK(exit_of("host.io/iris@sha256:" + kHex + "0") == Exit::usage);
  CHECK(message_of("host.io/iris@sha256:" + std::string(64, 'A')).find("lower-case") != std::string::npos);
  CHECK(message_of("host.io/iris@sha512:" + kHex).find("only sha256") != std::string::npos);
  CHECK(exit_of("host.io/iris@") == Exit::usage);
  CHECK(exit_of("host.io/iris@@sha256:" + kHex) == Exit::usage);
  CHECK(exit_of("") == Exit::usage);
  CHECK(exit_of("host.io/ir\nis") == Exit::usage);
  CHECK(exit_of(std::string("host.io/ir\0is", 13)) == Exit::usage);
  CHECK(exit_of("host.io/" + std::string(300, 'a')) == Exit::usage);
  // A first component that is not a host and no such file: say so.
  CHECK(message_of("models/iris:v1").find("not a registry host") != std::string::npos);
}

TEST_CASE("oci layout references") {
  Reference r = parse_reference("oci:/tmp/layout:v1");
  CHECK(r.kind == ReferenceKind::oci_layout);
  CHECK(r.path == "/tmp/layout");
  CHECK(r.tag == "v1");
  CHECK(r.str() == "oci:/tmp/layout:v1");

  r = parse_reference("oci:relative/dir");
  CHECK(r.path == "relative/dir");
  CHECK(r.tag.empty());
  CHECK(r.digest.empty());

  r = parse_reference("oci:dir@sha256:" + kHex);
  CHECK(r.path == "dir");
  CHECK(r.digest == "sha256:" + kHex);

  r = parse_reference("oci:./a:b/c");  // the colon is inside the directory name
  CHECK(r.path == "./a:b/c");
  CHECK(r.tag.empty());

  CHECK(exit_of("oci:") == Exit::usage);
  CHECK(exit_of("oci::v1") == Exit::usage);
  CHECK(exit_of("oci:dir:") == Exit::usage);
  CHECK(exit_of("oci:dir:bad tag") == Exit::usage);
  CHECK(exit_of("oci:dir@sha256:xyz") == Exit::usage);
  CHECK(exit_of("oci:dir:v1@sha256:" + kHex) == Exit::usage);
  CHECK(message_of("oci:dir:v1@sha256:" + kHex).find("not both") != std::string::npos);
}

TEST_CASE("cache digests and local files") {
  Reference r = parse_reference("sha256:" + kHex);
  CHECK(r.kind == ReferenceKind::cache_digest);
  CHECK(r.digest == "sha256:" + kHex);
  CHECK(exit_of("sha256:" + kHex.substr(1)) == Exit::usage);
  CHECK(exit_of("sha256:") == Exit::usage);

  CHECK(parse_reference("model.acu").kind == ReferenceKind::local_file);
  CHECK(parse_reference("./dir/model.acu").kind == ReferenceKind::local_file);
  CHECK(parse_reference("/abs/model.acu").kind == ReferenceKind::local_file);
  CHECK(parse_reference("dir/model.acu").kind == ReferenceKind::local_file);

  // An existing file wins even where the text would also read as a registry reference.
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "acuctl-test-ref.d";
  fs::create_directories(dir / "host.io");
  fs::path file = dir / "host.io" / "iris";
  std::ofstream(file) << "x";
  fs::path cwd = fs::current_path();
  fs::current_path(dir);
  CHECK(parse_reference("host.io/iris").kind == ReferenceKind::local_file);
  fs::current_path(cwd);
  fs::remove_all(dir);
}

TEST_CASE("name grammars") {
  CHECK(is_valid_repository("a"));
  CHECK(is_valid_repository("a/b-c/d.e/f_g/h__i/j---k"));
  CHECK_FALSE(is_valid_repository(""));
  CHECK_FALSE(is_valid_repository("a/"));
  CHECK_FALSE(is_valid_repository("a.-b"));
  CHECK_FALSE(is_valid_repository("A"));
  CHECK(is_valid_tag("_"));
  CHECK(is_valid_tag("v1.0-rc_1"));
  CHECK_FALSE(is_valid_tag(".v1"));
  CHECK_FALSE(is_valid_tag("v1/2"));
  CHECK(is_valid_host("a.b.c:1"));
  CHECK(is_valid_host("[::1]"));
  CHECK_FALSE(is_valid_host("a..b"));
  CHECK_FALSE(is_valid_host("a:"));
  CHECK_FALSE(is_valid_host("a:65536"));
  CHECK(looks_like_host("localhost"));
  CHECK(looks_like_host("a.b"));
  CHECK(looks_like_host("a:1"));
  CHECK_FALSE(looks_like_host("models"));
}
