# The pkg-config consumer: builds the consumer without CMake, as the README shows,
#   c++ -std=c++17 main.cpp -o consumer $(pkg-config --cflags --libs [--static] postal-cpp)
# against a copy of PREFIX (installed by install_as_port.cmake) at another path, so that the
# .pc file must be relocatable, and runs it.
#   -DPREFIX=<dir> -DWORK_DIR=<dir> -DSTATIC=ON|OFF
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
postal_require(PREFIX WORK_DIR STATIC)
find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)

file(REMOVE_RECURSE "${WORK_DIR}")
set(moved "${WORK_DIR}/moved-prefix")
file(COPY "${PREFIX}/" DESTINATION "${moved}")
set(ENV{PKG_CONFIG_PATH} "${moved}/lib/pkgconfig")
set(static "")
if(STATIC)
  set(static --static)
endif()
postal_step("${PKG_CONFIG}" --cflags --libs ${static} postal-cpp)
string(STRIP "${POSTAL_STEP_OUTPUT}" flags)
message(STATUS "pkg-config --cflags --libs ${static} postal-cpp: ${flags}")
string(FIND "${flags}" "${moved}/" in_moved)
string(FIND "${flags}" "${PREFIX}/" in_prefix)
if(in_moved EQUAL -1 OR NOT in_prefix EQUAL -1)
  message(FATAL_ERROR "postal-cpp.pc is not relocatable: moved to ${moved}, it says ${flags}")
endif()

postal_step(sh -c "\"${CXX}\" -std=c++17 \"${CMAKE_CURRENT_LIST_DIR}/consumer/main.cpp\" -o \
\"${WORK_DIR}/consumer\" $(\"${PKG_CONFIG}\" --cflags --libs ${static} postal-cpp)")
set(ENV{LD_LIBRARY_PATH} "${moved}/lib")
postal_run("${WORK_DIR}/consumer")
