// postal-cpp: the umbrella header (everything except postal/testing/).
#pragma once

#include <postal/client.hpp>
#include <postal/error.hpp>
#include <postal/json.hpp>
#include <postal/models.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>
#include <postal/retry.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>
