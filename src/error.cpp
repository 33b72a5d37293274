// postal-cpp: Error's special members, compiled once (see include/postal/error.hpp).
#include <postal/error.hpp>

#include <string>
#include <utility>

POSTAL_BEGIN_NAMESPACE

Error::Error() = default;
Error::Error(ErrorCode code_, std::string message_, SendState send_state_)
    : code(code_), message(std::move(message_)), send_state(send_state_) {}
Error::Error(const Error&) = default;
Error::Error(Error&&) noexcept = default;
Error& Error::operator=(const Error&) = default;
Error& Error::operator=(Error&&) noexcept = default;
Error::~Error() = default;

POSTAL_END_NAMESPACE
