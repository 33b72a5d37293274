# Helpers of the package test scripts (run with cmake -P). Every script gets, from
# tests/package/CMakeLists.txt: SOURCE_DIR (postal-cpp's tree), GENERATOR and CXX (those of the
# build that runs the tests) and CTEST.
cmake_minimum_required(VERSION 3.21)

# postal_require(<var>...): fails unless each variable was given with -D<var>=...
function(postal_require)
  foreach(var IN LISTS ARGN)
    if(NOT DEFINED ${var})
      message(FATAL_ERROR "${CMAKE_SCRIPT_MODE_FILE} needs -D${var}=...")
    endif()
  endforeach()
endfunction()
postal_require(SOURCE_DIR GENERATOR CXX CTEST)

# postal_step(<command>...): runs a command; when it fails, so does the test, with its output.
# The output is left in POSTAL_STEP_OUTPUT.
function(postal_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${command}\n${out}")
  endif()
  set(POSTAL_STEP_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

# postal_configure(<source> <build> <cmake arguments>...): configures with the outer build's
# generator and compiler. A -D variable the project does not use is an error (vcpkg warns too).
function(postal_configure source build)
  postal_step(${CMAKE_COMMAND} -S "${source}" -B "${build}" -G "${GENERATOR}"
              "-DCMAKE_CXX_COMPILER=${CXX}" ${ARGN})
  if(POSTAL_STEP_OUTPUT MATCHES "Manually-specified variables were not used")
    message(FATAL_ERROR "${source} ignored some of: ${ARGN}\n${POSTAL_STEP_OUTPUT}")
  endif()
endfunction()

# postal_build(<build>): builds the Release configuration (for multi-config generators).
function(postal_build build)
  postal_step(${CMAKE_COMMAND} --build "${build}" --config Release)
endfunction()

# postal_run(<program> [args...]): runs a consumer and prints what it printed.
function(postal_run)
  postal_step(${ARGN})
  message(STATUS "${POSTAL_STEP_OUTPUT}")
endfunction()
