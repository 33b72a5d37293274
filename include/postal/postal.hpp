// postal-cpp: the umbrella header: the client and what its calls take and return. Included on
// their own: postal/webhook.hpp, postal/json.hpp (the models' JSON mapping), postal/testing/.
#pragma once

#include <postal/client.hpp>
#include <postal/error.hpp>
#include <postal/models.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>
#include <postal/retry.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>
