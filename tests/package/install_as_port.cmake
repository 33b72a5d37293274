# Fixture: installs postal-cpp into PREFIX the way the vcpkg overlay port does. The port's own
# ports/postal-cpp/portfile.cmake runs, with stand-ins for the vcpkg helpers it calls: they
# configure, build and install the Release configuration with exactly the options the portfile
# passes, and check what vcpkg relies on (the config package and the .pc file where the portfile
# says they are, the license). So the installs the consumers test cannot drift from the port.
#   -DFEATURES=core,webhook  the features vcpkg is asked for (its FEATURES list, comma-separated)
#   -DSHARED=ON|OFF          the triplet's linkage (VCPKG_LIBRARY_LINKAGE dynamic|static)
#   -DPREFIX=<dir>           vcpkg's CURRENT_PACKAGES_DIR
#   -DWORK_DIR=<dir>         the build tree
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
postal_require(FEATURES SHARED PREFIX WORK_DIR)

string(REPLACE "," ";" FEATURES "${FEATURES}")
set(PORT postal-cpp)
set(CURRENT_PACKAGES_DIR "${PREFIX}")
if(SHARED)
  set(VCPKG_LIBRARY_LINKAGE dynamic)
else()
  set(VCPKG_LIBRARY_LINKAGE static)
endif()
file(REMOVE_RECURSE "${PREFIX}" "${WORK_DIR}")

# The stand-ins refuse arguments they do not emulate, so a portfile change cannot go unseen.
macro(postal_port_parse function one_value multi_value)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "${one_value}" "${multi_value}")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${function}: the stand-in does not emulate ${arg_UNPARSED_ARGUMENTS}")
  endif()
endmacro()

function(vcpkg_check_features)
  postal_port_parse(vcpkg_check_features "OUT_FEATURE_OPTIONS" "FEATURES")
  set(options "")
  set(pairs ${arg_FEATURES})
  while(pairs)
    list(POP_FRONT pairs feature option)
    if("${feature}" IN_LIST FEATURES)
      list(APPEND options "-D${option}=ON")
    else()
      list(APPEND options "-D${option}=OFF")
    endif()
  endwhile()
  set(${arg_OUT_FEATURE_OPTIONS} "${options}" PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_configure)
  postal_port_parse(vcpkg_cmake_configure "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE")
  message(STATUS "portfile options: ${arg_OPTIONS} ${arg_OPTIONS_RELEASE}")
  set(shared OFF)
  if(VCPKG_LIBRARY_LINKAGE STREQUAL "dynamic")
    set(shared ON)
  endif()
  postal_configure("${arg_SOURCE_PATH}" "${WORK_DIR}" -DCMAKE_BUILD_TYPE=Release
                   -DBUILD_SHARED_LIBS=${shared} "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
                   -DCMAKE_INSTALL_LIBDIR=lib ${arg_OPTIONS} ${arg_OPTIONS_RELEASE})
endfunction()

function(vcpkg_cmake_install)
  postal_port_parse(vcpkg_cmake_install "" "")
  postal_build("${WORK_DIR}")
  postal_step(${CMAKE_COMMAND} --install "${WORK_DIR}" --config Release)
  if(EXISTS "${WORK_DIR}/_deps")
    message(FATAL_ERROR "the port's build fetched dependencies (${WORK_DIR}/_deps); vcpkg "
                        "builds offline, from the port's dependencies")
  endif()
endfunction()

function(vcpkg_cmake_config_fixup)
  postal_port_parse(vcpkg_cmake_config_fixup "PACKAGE_NAME;CONFIG_PATH" "")
  set(config "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}/${arg_PACKAGE_NAME}-config.cmake")
  if(NOT EXISTS "${config}")
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: no ${config}")
  endif()
endfunction()

function(vcpkg_fixup_pkgconfig)
  postal_port_parse(vcpkg_fixup_pkgconfig "" "")
  file(GLOB pc_files "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc")
  if(NOT pc_files)
    message(FATAL_ERROR "vcpkg_fixup_pkgconfig: no ${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc")
  endif()
  find_program(PKG_CONFIG NAMES pkg-config pkgconf)
  set(ENV{PKG_CONFIG_PATH} "${CURRENT_PACKAGES_DIR}/lib/pkgconfig")
  foreach(pc IN LISTS pc_files)  # parses, and every module it requires is there
    get_filename_component(module "${pc}" NAME_WE)
    if(PKG_CONFIG)
      postal_step("${PKG_CONFIG}" --print-errors --exists "${module}")
    endif()
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  postal_port_parse(vcpkg_install_copyright "" "FILE_LIST")
  set(copyright "")
  foreach(file IN LISTS arg_FILE_LIST)
    file(READ "${file}" text)
    string(APPEND copyright "${text}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${copyright}")
endfunction()

include("${SOURCE_DIR}/ports/postal-cpp/portfile.cmake")
