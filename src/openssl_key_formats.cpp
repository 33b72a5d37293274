// postal-cpp: the key formats operators find Postal's key in: the DKIM-style TXT record (whole,
// as dig prints it, or the bare p= value) and JWKS (spec §4.2).
#include "openssl_common.hpp"

#include <postal/detail/base64.hpp>
#include <postal/detail/json_read.hpp>
#include <postal/webhook/keys.hpp>

#include <nlohmann/json.hpp>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace webhook {
namespace detail {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string strip_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (!is_space(c)) out.push_back(c);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

/// Joins the quoted character-strings of a TXT record as dig prints it ("..." "..."), undoing
/// dig's escapes (\" \\ \DDD). Text without quotes is returned unchanged.
std::optional<std::string> join_quoted(std::string_view text) {
  if (text.find('"') == std::string_view::npos) return std::string(text);
  std::string out;
  bool inside = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      inside = !inside;
    } else if (!inside) {
      if (!is_space(c)) return std::nullopt;  // text between the quoted strings
    } else if (c == '\\' && i + 1 < text.size()) {
      const auto digit = [&](std::size_t k) {
        return k < text.size() && text[k] >= '0' && text[k] <= '9';
      };
      if (digit(i + 1) && digit(i + 2) && digit(i + 3)) {
        const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) return std::nullopt;
        out.push_back(static_cast<char>(v));
        i += 3;
      } else {
        out.push_back(text[++i]);
      }
    } else {
      out.push_back(c);
    }
  }
  if (inside) return std::nullopt;  // unterminated string
  return out;
}

/// True when the text is a DKIM tag list ("v=DKIM1; ...; p=...") rather than bare base64
/// (where '=' appears only as trailing padding).
bool is_tag_list(std::string_view s) {
  if (s.find(';') != std::string_view::npos) return true;
  const auto eq = s.find('=');
  if (eq == std::string_view::npos) return false;
  for (char c : s.substr(eq))
    if (c != '=' && !is_space(c)) return true;
  return false;
}

Result<PublicKey> load_dkim(std::string_view record) {
  auto joined = join_quoted(trim(record));
  if (!joined) return key_error("malformed quoted TXT record (unbalanced or stray quotes)");
  const std::string_view text = trim(*joined);
  if (text.empty()) return key_error("empty DKIM record");
  std::string p;
  if (is_tag_list(text)) {
    std::optional<std::string> p_tag;
    std::string_view rest = text;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      const std::string_view tag = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      if (tag.empty()) continue;
      const auto eq = tag.find('=');
      if (eq == std::string_view::npos)
        return key_error("malformed DKIM tag \"" + std::string(tag) + "\" (no '=')");
      const std::string name = lower(trim(tag.substr(0, eq)));
      const std::string_view value = trim(tag.substr(eq + 1));
      if (name == "p") {
        p_tag = strip_spaces(value);
      } else if (name == "k" && lower(value) != "rsa") {
        return key_error("DKIM record has k=" + std::string(value) + "; only rsa is supported");
      } else if (name == "v" && value != "DKIM1") {
        return key_error("DKIM record has v=" + std::string(value) + "; expected DKIM1");
      }
    }
    if (!p_tag) return key_error("DKIM record has no p= tag");
    if (p_tag->empty()) return key_error("DKIM record has an empty p= (the key is revoked)");
    p = std::move(*p_tag);
  } else {
    p = strip_spaces(text);
  }
  auto der = postal::detail::base64_decode(p);
  if (!der) return key_error("DKIM p= value is not valid base64");
  return load_public_key_der(*der);
}

/// Decodes base64url (RFC 7515 §2: no padding; padding and the standard alphabet tolerated).
std::optional<std::string> base64url_decode(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  if (s.size() % 4 == 1) return std::nullopt;
  while (s.size() % 4 != 0) s.push_back('=');
  return postal::detail::base64_decode(s);
}

/// An RSA public key from a JWK's "n" and "e" (base64url big-endian integers).
Result<PublicKey> rsa_from_jwk(const nlohmann::json& jwk) {
  const auto n64 = postal::detail::read_string(jwk, "n");
  const auto e64 = postal::detail::read_string(jwk, "e");
  if (!n64 || !e64) return key_error("RSA JWK without string \"n\" and \"e\"");
  const auto n_bytes = base64url_decode(*n64);
  const auto e_bytes = base64url_decode(*e64);
  if (!n_bytes || !e_bytes || n_bytes->empty() || e_bytes->empty())
    return key_error("RSA JWK \"n\" or \"e\" is not base64url");
  if (n_bytes->size() > 2048 || e_bytes->size() > 2048)
    return key_error("RSA JWK \"n\" or \"e\" is too large (over 16384 bits)");
  BignumPtr n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes->data()),
                        static_cast<int>(n_bytes->size()), nullptr));
  BignumPtr e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes->data()),
                        static_cast<int>(e_bytes->size()), nullptr));
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!n || !e || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return key_error("cannot build an RSA key from the JWK");
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return key_error("cannot build an RSA key from the JWK");
  return KeyAccess::make(PkeyPtr(raw));
}

Result<KeySet> load_jwks_document(std::string_view text) {
  const auto doc = postal::detail::json_nesting_exceeds(text, postal::detail::max_json_depth)
                       ? nlohmann::json(nlohmann::json::value_t::discarded)
                       : nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return key_error("JWKS is not valid JSON");
  const auto* keys = postal::detail::member(doc, "keys");
  if (keys == nullptr || !keys->is_array()) return key_error("JWKS has no \"keys\" array");
  KeySet set;
  std::string skipped;
  auto note = [&](std::size_t index, const std::string& why) {
    skipped +=
        (skipped.empty() ? "" : "; ") + std::string("key ") + std::to_string(index) + ": " + why;
  };
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const auto& jwk = (*keys)[i];
    const auto kty = postal::detail::read_string(jwk, "kty");
    if (!kty || *kty != "RSA") {
      note(i, "kty is " + (kty ? *kty : std::string("missing")) + ", not RSA");
      continue;
    }
    const auto use = postal::detail::read_string(jwk, "use");
    if (use && *use != "sig") {
      note(i, "use is " + *use + ", not sig");
      continue;
    }
    auto key = rsa_from_jwk(jwk);
    if (!key) {
      note(i, key.error().message);
      continue;
    }
    set.add(std::move(*key));
  }
  if (set.empty())
    return key_error("JWKS holds no usable RSA signing key" +
                     (skipped.empty() ? std::string() : " (" + skipped + ")"));
  return set;
}

}  // namespace
}  // namespace detail

Result<PublicKey> load_public_key_dkim(std::string_view record) {
  try {
    return detail::load_dkim(record);
  } catch (const std::exception& ex) {
    return detail::key_error(std::string("loading a DKIM record failed: ") + ex.what());
  }
}

Result<KeySet> load_jwks(std::string_view jwks_json) {
  try {
    return detail::load_jwks_document(jwks_json);
  } catch (const std::exception& ex) {
    return detail::key_error(std::string("loading a JWKS failed: ") + ex.what());
  }
}

}  // namespace webhook
POSTAL_END_NAMESPACE
