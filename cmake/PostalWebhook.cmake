# Webhook verification (postal::webhook) and the test signer (postal::testing::sign_webhook):
# the OpenSSL half of the library. Include after add_library(postal ...):
#   include(PostalWebhook)
# OpenSSL 3.0 is required: keys are built and encoded with the 3.0 APIs (OSSL_DECODER,
# OSSL_ENCODER, OSSL_PARAM_BLD + EVP_PKEY_fromdata); nothing deprecated is used.
# With POSTAL_WEBHOOK=OFF (the vcpkg port without its `webhook` feature) OpenSSL is neither
# found nor linked: src/webhook_disabled.cpp defines the same functions, failing with a typed
# error, so that code referring to them (FakePostal does) still links.
get_filename_component(_postal_webhook_src "${CMAKE_CURRENT_LIST_DIR}/../src" ABSOLUTE)
if(POSTAL_WEBHOOK)
  if(NOT TARGET OpenSSL::Crypto)
    find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto)
  endif()
  target_sources(postal PRIVATE
    "${_postal_webhook_src}/openssl_keys.cpp"
    "${_postal_webhook_src}/openssl_key_formats.cpp"
    "${_postal_webhook_src}/openssl_verify.cpp"
    "${_postal_webhook_src}/openssl_sign.cpp")
  # PRIVATE: no OpenSSL header reaches users' translation units. A static postal-cpp still puts
  # OpenSSL::Crypto in its exported link interface ($<LINK_ONLY:...>), so the installed config
  # file must find_dependency(OpenSSL 3.0) too (PostalInstall.cmake).
  target_link_libraries(postal PRIVATE OpenSSL::Crypto)
else()
  target_sources(postal PRIVATE "${_postal_webhook_src}/webhook_disabled.cpp")
endif()
