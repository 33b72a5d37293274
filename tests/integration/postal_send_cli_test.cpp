// The postal-send example, run as a script would run it, against FakePostal over loopback.
#ifdef POSTAL_SEND_PATH

#include <postal/testing/fake_postal.hpp>

#include "support/catch.hpp"
#include "support/fake_postal_server.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace {

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs postal-send with `args` (already shell-quoted) and the given environment prefix.
Run postal_send(const std::string& env, const std::string& args) {
  const std::string command = env + " '" POSTAL_SEND_PATH "' " + args + " 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// `text` in single quotes for the shell, its own single quotes included.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Served {
  std::shared_ptr<postal::testing::FakePostal> fake =
      std::make_shared<postal::testing::FakePostal>();
  postal_support::FakePostalServer server{fake};
  std::string env(const std::string& key = "test-api-key") const {
    return "POSTAL_URL='" + server.base_url() + "' POSTAL_API_KEY='" + key + "'";
  }
};

}  // namespace

TEST_CASE("postal-send sends a message with an attachment and prints address, id and token") {
  Served s;
  // In a directory of this process's own under the temporary directory, not the working one.
  const auto dir =
      std::filesystem::temp_directory_path() / ("postal_send_cli_test." + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "postal_send_cli_attachment.txt").string();
  std::ofstream(file) << "hello world!";
  auto run = postal_send(s.env(),
                         "--to john@example.net --cc 'Ann <ann@example.net>' "
                         "--from sales@example.com --subject Hi --text Hello "
                         "--tag cli --header 'X-Order: 7' --attach " +
                             shell_quoted(file));
  std::filesystem::remove_all(dir);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.output.find("john@example.net 1 ") != std::string::npos);
  REQUIRE(run.output.find("ann@example.net 2 ") != std::string::npos);
  const auto stored = s.fake->find_message(1);
  REQUIRE(stored);
  REQUIRE(stored->subject == std::optional<std::string>("Hi"));
  REQUIRE(stored->tag == std::optional<std::string>("cli"));
  REQUIRE(stored->raw_message.find("X-Order: 7") != std::string::npos);
  REQUIRE(stored->raw_message.find("postal_send_cli_attachment.txt") != std::string::npos);
}

TEST_CASE("postal-send exits 2 on a usage error and sends nothing") {
  Served s;
  REQUIRE(postal_send(s.env(), "--from sales@example.com --text x").exit_code == 2);
  REQUIRE(postal_send(s.env(), "--to a@example.net --from sales@example.com --bogus 1").exit_code ==
          2);
  REQUIRE(postal_send(s.env(), "--to a@example.net --from s@example.com --attach /nonexistent")
              .exit_code == 2);
  REQUIRE(s.fake->request_count() == 0);
}

TEST_CASE("postal-send exits 3 when Postal rejects the message, without printing the key") {
  Served s;
  auto run = postal_send(s.env("WrongKey123456789"),
                         "--to a@example.net --from sales@example.com --text x");
  REQUIRE(run.exit_code == 3);
  REQUIRE(run.output.find("InvalidServerAPIKey") != std::string::npos);
  REQUIRE(run.output.find("WrongKey123456789") == std::string::npos);
  REQUIRE(
      postal_send(s.env(), "--to a@example.net --from x@unverified.example --text x").exit_code ==
      3);
}

TEST_CASE("postal-send exits 4 when Postal cannot be reached") {
  auto run = postal_send("POSTAL_URL=http://127.0.0.1:1 POSTAL_API_KEY=k",
                         "--to a@example.net --from sales@example.com --text x");
  REQUIRE(run.exit_code == 4);
}

TEST_CASE("postal-send exits 5 when the outcome is unknown") {
  Served s;
  postal::HttpResponse page;
  page.status = 502;
  page.body = "<html>Bad Gateway</html>";
  s.fake->fail_next(page);
  auto run = postal_send(s.env(), "--to a@example.net --from sales@example.com --text x");
  REQUIRE(run.exit_code == 5);
  REQUIRE(run.output.find("may have been sent") != std::string::npos);
}

TEST_CASE("postal-send --help documents the exit codes") {
  auto run = postal_send("", "--help");
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.output.find("Exit codes") != std::string::npos);
}

#endif  // POSTAL_SEND_PATH

#ifdef POSTAL_SEND_PATH
TEST_CASE("postal-send keeps a quoted display name with a comma as one address") {
  Served s;
  auto run = postal_send(s.env(),
                         "--to '\"Doe, John\" <john@example.net>, ann@example.net' "
                         "--from sales@example.com --text x");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  REQUIRE(s.fake->messages().size() == 2);
}

TEST_CASE("postal-send exits 3 for an HTTP 404 from a wrong server path") {
  Served s;
  auto run = postal_send("POSTAL_URL='" + s.server.base_url() + "/wrong' POSTAL_API_KEY=k",
                         "--to a@example.net --from sales@example.com --text x");
  REQUIRE(run.exit_code == 3);
}
#endif
