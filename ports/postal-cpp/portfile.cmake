# postal-cpp, built from the checkout this overlay port sits in:
#   vcpkg install postal-cpp --overlay-ports=<repo>/ports
# The package tests (tests/package) run this file with stand-ins for the vcpkg helpers, so the
# options below are exactly those the tested installs use.
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    webhook POSTAL_WEBHOOK
)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    -DPOSTAL_BUILD_TESTS=OFF
    -DPOSTAL_BUILD_EXAMPLES=OFF
    -DPOSTAL_BUILD_BENCHMARKS=OFF
    -DPOSTAL_INSTALL=ON
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME postal-cpp CONFIG_PATH lib/cmake/postal-cpp)
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
