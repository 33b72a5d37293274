// postal-cpp: Error's special members, compiled once (see include/postal/error.hpp).
#include <postal/error.hpp>

POSTAL_BEGIN_NAMESPACE

Error::Error() = default;
Error::Error(const Error&) = default;
Error::Error(Error&&) noexcept = default;
Error& Error::operator=(const Error&) = default;
Error& Error::operator=(Error&&) noexcept = default;
Error::~Error() = default;

POSTAL_END_NAMESPACE
