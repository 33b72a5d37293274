# Installs postal-cpp from SOURCE_DIR into a fresh prefix under WORK_DIR, then configures, builds
# and runs the consumer project against it with find_package(postal-cpp CONFIG REQUIRED).
# -DSHARED=ON|OFF picks the library type.
foreach(var SOURCE_DIR WORK_DIR SHARED)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake needs -D${var}=...")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

step(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/lib" -G Ninja -DCMAKE_BUILD_TYPE=Release
     -DBUILD_SHARED_LIBS=${SHARED} -DPOSTAL_BUILD_TESTS=OFF -DPOSTAL_BUILD_EXAMPLES=OFF -DPOSTAL_BUILD_BENCHMARKS=OFF
     -DPOSTAL_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${prefix})
step(${CMAKE_COMMAND} --build "${WORK_DIR}/lib")
step(${CMAKE_COMMAND} --install "${WORK_DIR}/lib")
step(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/package/consumer" -B "${WORK_DIR}/consumer" -G Ninja
     -DCMAKE_PREFIX_PATH=${prefix})
step(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
execute_process(COMMAND "${WORK_DIR}/consumer/consumer" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
message(STATUS "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer failed (${rc}): ${out}")
endif()
