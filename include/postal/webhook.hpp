/// @file
/// The webhook umbrella header: keys, verification, typed events, replay guard, and keys
/// fetched from Postal's JWKS endpoint.
///
/// @code
/// #include <postal/webhook.hpp>
/// auto keys = postal::webhook::load_public_key_dkim(txt_record).value();  // once, at start-up
/// auto event = postal::webhook::verify_and_parse(raw_body, headers, keys);  // per request
/// // Or fetch the keys from https://<postal>/.well-known/jwks.json, refreshed on rotation:
/// auto remote = postal::webhook::RemoteKeySet::for_server(nullptr, "https://postal.example.com");
/// auto checked = remote.verify_and_parse(raw_body, headers);  // per request
/// @endcode
#pragma once

#include <postal/webhook/event_types.hpp>
#include <postal/webhook/events.hpp>
#include <postal/webhook/keys.hpp>
#include <postal/webhook/remote_keys.hpp>
#include <postal/webhook/replay.hpp>
#include <postal/webhook/verify.hpp>

/// @namespace postal::webhook
/// Receiving Postal's webhooks: verify the signature, parse the typed Event, refuse replays
/// (`#include <postal/webhook.hpp>`).
///
/// Verification failures are ordinary results (ErrorCode::Signature, UnknownKey, Replay), not
/// exceptions. See verify_and_parse for the whole flow.
