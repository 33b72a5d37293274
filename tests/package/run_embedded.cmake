# The FetchContent and add_subdirectory consumers: builds tests/package/embed, a project that
# builds postal-cpp from SOURCE_DIR inside its own build (-DMODE=FetchContent|add_subdirectory),
# with POSTAL_BUILD_TESTS=ON in its cache that its set(POSTAL_BUILD_TESTS OFF) must override.
# Its configure step checks what postal-cpp does to the parent; this script checks the rest:
# ctest lists only the parent's test (and runs the consumer), and installing the parent installs
# only the parent's program.
#   -DMODE=FetchContent|add_subdirectory -DWORK_DIR=<dir>
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
postal_require(MODE WORK_DIR)

file(REMOVE_RECURSE "${WORK_DIR}")
set(build "${WORK_DIR}/build")
set(log_dependencies "")
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.24)  # dependency providers
  set(log_dependencies
      "-DCMAKE_PROJECT_TOP_LEVEL_INCLUDES=${CMAKE_CURRENT_LIST_DIR}/embed/log_dependencies.cmake")
endif()
postal_configure("${CMAKE_CURRENT_LIST_DIR}/embed" "${build}" -DPOSTAL_EMBED=${MODE}
                 "-DPOSTAL_SOURCE_DIR=${SOURCE_DIR}" -DPOSTAL_BUILD_TESTS=ON ${log_dependencies})
postal_build("${build}")

execute_process(COMMAND "${CTEST}" -C Release --show-only=json-v1 WORKING_DIRECTORY "${build}"
                OUTPUT_VARIABLE json RESULT_VARIABLE rc)
string(JSON count ERROR_VARIABLE error LENGTH "${json}" tests)
if(NOT rc EQUAL 0 OR error)
  message(FATAL_ERROR "ctest --show-only=json-v1 failed (${rc}): ${error}")
endif()
set(names "")
if(count GREATER 0)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" tests ${i} name)
    list(APPEND names "${name}")
  endforeach()
endif()
if(NOT names STREQUAL "embedded consumer")
  message(FATAL_ERROR "ctest in the parent lists [${names}]; expected only the parent's "
                      "\"embedded consumer\" (postal-cpp must add no tests as a subproject)")
endif()
postal_step("${CTEST}" -C Release --output-on-failure --test-dir "${build}")
message(STATUS "${POSTAL_STEP_OUTPUT}")

postal_step(${CMAKE_COMMAND} --install "${build}" --config Release --prefix "${WORK_DIR}/install")
file(GLOB_RECURSE installed RELATIVE "${WORK_DIR}/install" "${WORK_DIR}/install/*")
if(NOT installed STREQUAL "bin/consumer")
  message(FATAL_ERROR "installing the parent installed [${installed}]; expected only "
                      "bin/consumer (postal-cpp must add no install rules as a subproject)")
endif()
