include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(POSTAL_CONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/postal-cpp")

install(TARGETS postal EXPORT postal-cpp-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/postal" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT postal-cpp-targets NAMESPACE postal:: DESTINATION "${POSTAL_CONFIG_DIR}")

# The `webhook` component (find_package(postal-cpp CONFIG REQUIRED COMPONENTS webhook)) and,
# only with it, the OpenSSL dependency.
if(POSTAL_WEBHOOK)
  set(POSTAL_CONFIG_WEBHOOK "set(postal-cpp_webhook_FOUND TRUE)\nfind_dependency(OpenSSL 3.0)")
else()
  set(POSTAL_CONFIG_WEBHOOK [=[set(postal-cpp_webhook_FOUND FALSE)  # built with POSTAL_WEBHOOK=OFF
if("webhook" IN_LIST postal-cpp_FIND_COMPONENTS)
  set(postal-cpp_NOT_FOUND_MESSAGE "this postal-cpp was built without webhook support (POSTAL_WEBHOOK=OFF, or the vcpkg port without its webhook feature)")
endif()]=])
endif()
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/postal-cpp-config.cmake.in"
  "${PROJECT_BINARY_DIR}/postal-cpp-config.cmake" INSTALL_DESTINATION "${POSTAL_CONFIG_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/postal-cpp-config-version.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/postal-cpp-config.cmake"
              "${PROJECT_BINARY_DIR}/postal-cpp-config-version.cmake"
        DESTINATION "${POSTAL_CONFIG_DIR}")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/postal-cpp")
include(PostalPkgConfig)
