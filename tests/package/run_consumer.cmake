# The find_package consumer: configures, builds and runs tests/package/consumer against PREFIX
# (installed by install_as_port.cmake), then checks that the installed package links OpenSSL
# exactly when it was built with the webhook feature (and, without it, refuses a consumer that
# requires its `webhook` component).
#   -DPREFIX=<dir> -DWORK_DIR=<dir> -DSHARED=ON|OFF -DWEBHOOK=ON|OFF
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
postal_require(PREFIX WORK_DIR SHARED WEBHOOK)

file(REMOVE_RECURSE "${WORK_DIR}" "${WORK_DIR}-requires-webhook")
postal_configure("${CMAKE_CURRENT_LIST_DIR}/consumer" "${WORK_DIR}" "-DCMAKE_PREFIX_PATH=${PREFIX}"
                 -DPOSTAL_CONSUMER_WEBHOOK=${WEBHOOK})
file(STRINGS "${WORK_DIR}/CMakeCache.txt" found REGEX "^postal-cpp_DIR:")
string(FIND "${found}" "=${PREFIX}/" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the consumer found another postal-cpp: ${found}")
endif()
postal_build("${WORK_DIR}")
postal_run("${WORK_DIR}/consumer")
if(NOT WEBHOOK)  # a consumer that requires the webhook component is refused
  execute_process(COMMAND ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/consumer"
                          -B "${WORK_DIR}-requires-webhook" -G "${GENERATOR}"
                          "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${PREFIX}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0 OR NOT out MATCHES "built without webhook support \\(POSTAL_WEBHOOK=OFF")
    message(FATAL_ERROR "find_package(postal-cpp COMPONENTS webhook) did not fail:\n${out}")
  endif()
endif()

# OpenSSL in the installed package: expected with the webhook feature only. Each check is
# compared both ways, so that a check that sees nothing fails with the feature on.
set(failures "")
function(expect_openssl where found expected)
  if(found AND NOT expected)
    set(failures "${failures}\n  ${where} refers to OpenSSL" PARENT_SCOPE)
  elseif(expected AND NOT found)
    set(failures "${failures}\n  ${where} does not refer to OpenSSL" PARENT_SCOPE)
  endif()
endfunction()

file(GLOB config_files "${PREFIX}/lib/cmake/postal-cpp/*.cmake")
set(found OFF)
foreach(file IN LISTS config_files)
  file(READ "${file}" text)
  if(text MATCHES "OpenSSL")
    set(found ON)
  endif()
endforeach()
expect_openssl("the CMake package (${PREFIX}/lib/cmake/postal-cpp)" "${found}" ${WEBHOOK})

file(READ "${PREFIX}/lib/pkgconfig/postal-cpp.pc" pc)
string(REGEX MATCH "libcrypto|libssl|openssl" found "${pc}")
expect_openssl("postal-cpp.pc" "${found}" ${WEBHOOK})

find_program(NM nm)
find_program(READELF readelf)
if(NM AND READELF)
  if(SHARED)  # the library's own dependencies
    file(GLOB library "${PREFIX}/lib/libpostal-cpp.so.*.*.*")
    postal_step("${READELF}" -d ${library})
    string(REGEX MATCH "NEEDED[^\n]*libcrypto" found "${POSTAL_STEP_OUTPUT}")
  else()  # OpenSSL calls compiled into the archive
    postal_step("${NM}" --undefined-only "${PREFIX}/lib/libpostal-cpp.a")
    string(REGEX MATCH " U (EVP|OSSL|PEM)_" found "${POSTAL_STEP_OUTPUT}")
  endif()
  expect_openssl("the library" "${found}" ${WEBHOOK})
  # The consumer links libcrypto itself only for a static postal-cpp with webhooks.
  postal_step("${READELF}" -d "${WORK_DIR}/consumer")
  string(REGEX MATCH "NEEDED[^\n]*libcrypto" found "${POSTAL_STEP_OUTPUT}")
  if(WEBHOOK AND NOT SHARED)
    expect_openssl("the consumer program" "${found}" ON)
  else()
    expect_openssl("the consumer program" "${found}" OFF)
  endif()
else()
  message(STATUS "no nm or readelf: the library and the consumer program are not inspected")
endif()
if(failures)
  message(FATAL_ERROR "built with WEBHOOK=${WEBHOOK}, but:${failures}")
endif()
