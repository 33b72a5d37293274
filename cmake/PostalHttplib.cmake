# cpp-httplib, for the tests' loopback servers and the webhook_receiver example:
#   include(PostalHttplib)    # httplib::httplib (visible in every directory) and Threads::Threads
# Debian ships cpp-httplib as a compiled library with a pkg-config file; vcpkg and others ship a
# CMake package (httplib::httplib, header-only). Accept either. The target is made global because
# tests/support and examples are sibling directories, and a plain imported target is visible only
# in the directory that found it and below. Safe to include more than once.

if(NOT TARGET httplib::httplib)
  find_package(httplib CONFIG QUIET)
  if(TARGET httplib::httplib)
    get_target_property(_postal_httplib_target httplib::httplib ALIASED_TARGET)
    if(NOT _postal_httplib_target)
      set(_postal_httplib_target httplib::httplib)
    endif()
    get_target_property(_postal_httplib_imported ${_postal_httplib_target} IMPORTED)
    if(_postal_httplib_imported)
      set_target_properties(${_postal_httplib_target} PROPERTIES IMPORTED_GLOBAL TRUE)
    endif()
  endif()
endif()
if(NOT TARGET httplib::httplib)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(POSTAL_HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  add_library(httplib::httplib ALIAS PkgConfig::POSTAL_HTTPLIB)
endif()
find_package(Threads REQUIRED)
