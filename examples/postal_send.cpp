// postal-send: send one message through Postal from the command line.
// Run `postal-send --help` for usage and exit codes.
#include <postal/postal.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Exit codes, stable for scripts.
constexpr int exit_sent = 0;
constexpr int exit_usage = 2;        // bad flags or unreadable file: nothing sent
constexpr int exit_rejected = 3;     // invalid input, or Postal refused it: nothing sent
constexpr int exit_unreachable = 4;  // no answer from Postal, provably nothing sent: safe to retry
constexpr int exit_maybe_sent = 5;   // outcome unknown: check before sending again

const char* const usage = R"(usage: postal-send --to ADDR --from ADDR [options]

Sends one message through Postal's send/message API.

  --server URL        Postal's web address (default: $POSTAL_URL)
  --key KEY           server API key (default: $POSTAL_API_KEY; prefer the environment,
                      since other users can see command-line flags)
  --to ADDR           recipient; repeat, or separate with commas (at most 50);
                      '"Doe, John" <j@example.com>' stays one address
  --cc ADDR           Cc recipient; repeatable
  --bcc ADDR          Bcc recipient; repeatable
  --from ADDR         From address, e.g. "Shop <sales@example.com>"
  --reply-to ADDR     Reply-To address
  --subject TEXT      subject
  --text TEXT         plain-text body        --text-file FILE   ... read from FILE
  --html HTML         HTML body              --html-file FILE   ... read from FILE
  --attach FILE       attach a file; repeatable
  --tag TAG           tag for the message
  --header 'K: V'     custom header; repeatable
  --timeout SECONDS   deadline for the request (default 30)
  --help              this text

Exit codes:
  0  sent; one line per recipient: ADDRESS ID TOKEN
  2  usage error (bad flag, unreadable file); nothing sent
  3  rejected (invalid input, or Postal refused: unknown key, unverified From, a 4xx such as
     404 for a wrong --server); nothing sent
  4  could not reach Postal (DNS, connection, TLS) and nothing was sent; safe to retry
  5  the outcome is unknown (e.g. timeout after the request was sent); the message may have
     been sent: check before retrying
)";

struct UsageError {
  std::string message;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError{"cannot read " + path};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string guess_content_type(const std::string& name) {
  static const std::pair<const char*, const char*> types[] = {
      {".txt", "text/plain"},      {".html", "text/html"},        {".csv", "text/csv"},
      {".pdf", "application/pdf"}, {".json", "application/json"}, {".png", "image/png"},
      {".jpg", "image/jpeg"},      {".jpeg", "image/jpeg"},       {".gif", "image/gif"},
      {".zip", "application/zip"}};
  for (const auto& [ext, type] : types) {
    const std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return type;
  }
  return "application/octet-stream";
}

// Splits "a@x, Doe, John <j@x>" at the commas that separate addresses: not inside quotes or <>.
void add_addresses(std::vector<std::string>& list, const std::string& value) {
  std::string current;
  bool quoted = false;
  int angle = 0;
  auto flush = [&] {
    const auto first = current.find_first_not_of(' ');
    const auto last = current.find_last_not_of(' ');
    if (first != std::string::npos) list.push_back(current.substr(first, last - first + 1));
    current.clear();
  };
  for (char c : value) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '<') ++angle;
    if (!quoted && c == '>' && angle > 0) --angle;
    if (c == ',' && !quoted && angle == 0) {
      flush();
      continue;
    }
    current += c;
  }
  flush();
}

struct Command {
  postal::ClientOptions options;
  postal::SendMessageRequest message;
};

Command parse(int argc, char** argv) {
  Command c;
  if (const char* v = std::getenv("POSTAL_URL")) c.options.base_url = v;
  if (const char* v = std::getenv("POSTAL_API_KEY")) c.options.api_key = v;
  auto& m = c.message;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      std::exit(exit_sent);
    }
    if (i + 1 >= argc)
      throw UsageError{flag.rfind("--", 0) == 0 ? flag + " needs a value" : "unexpected " + flag};
    const std::string value = argv[++i];
    if (flag == "--server")
      c.options.base_url = value;
    else if (flag == "--key")
      c.options.api_key = value;
    else if (flag == "--to")
      add_addresses(m.to, value);
    else if (flag == "--cc")
      add_addresses(m.cc, value);
    else if (flag == "--bcc")
      add_addresses(m.bcc, value);
    else if (flag == "--from")
      m.from = value;
    else if (flag == "--reply-to")
      m.reply_to = value;
    else if (flag == "--subject")
      m.subject = value;
    else if (flag == "--text")
      m.plain_body = value;
    else if (flag == "--text-file")
      m.plain_body = read_file(value);
    else if (flag == "--html")
      m.html_body = value;
    else if (flag == "--html-file")
      m.html_body = read_file(value);
    else if (flag == "--tag")
      m.tag = value;
    else if (flag == "--attach") {
      const std::string name = base_name(value);
      m.attachments.push_back({name, guess_content_type(name), read_file(value)});
    } else if (flag == "--header") {
      const auto colon = value.find(':');
      if (colon == std::string::npos) throw UsageError{"--header wants 'Name: value'"};
      const auto start = value.find_first_not_of(' ', colon + 1);
      m.headers[value.substr(0, colon)] = start == std::string::npos ? "" : value.substr(start);
    } else if (flag == "--timeout") {
      char* end = nullptr;
      const double seconds = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !(seconds > 0 && seconds < 86400))
        throw UsageError{"--timeout wants a number of seconds"};
      c.options.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else {
      throw UsageError{"unknown flag " + flag};
    }
  }
  if (c.options.base_url.empty()) throw UsageError{"no server: pass --server or set POSTAL_URL"};
  if (c.options.api_key.empty()) throw UsageError{"no API key: set POSTAL_API_KEY or pass --key"};
  if (m.to.empty() && m.cc.empty() && m.bcc.empty()) throw UsageError{"no recipient: pass --to"};
  if (m.from.empty()) throw UsageError{"no sender: pass --from"};
  return c;
}

int exit_code_for(const postal::Error& e) {
  using postal::ErrorCode;
  if (e.send_state == postal::SendState::MaybeSent) return exit_maybe_sent;
  const bool unreachable = e.code == ErrorCode::Transport || e.code == ErrorCode::Timeout;
  return unreachable ? exit_unreachable : exit_rejected;
}

}  // namespace

int main(int argc, char** argv) {
  Command command;
  try {
    command = parse(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "postal-send: " << e.message << "\n(see postal-send --help)\n";
    return exit_usage;
  }
  postal::Client client(command.options);
  auto sent = client.send_message(command.message);
  if (!sent) {
    const auto& e = sent.error();
    std::cerr << "postal-send: " << e.describe() << '\n';
    if (e.send_state == postal::SendState::MaybeSent)
      std::cerr << "postal-send: the message may have been sent; check before sending again\n";
    return exit_code_for(e);
  }
  for (const auto& [address, ref] : sent->messages)
    std::cout << address << ' ' << ref.id << ' ' << ref.token << '\n';
  return exit_sent;
}
