# Lists every file SOURCE includes (the compiler's -M) and fails when one is a libcurl or OpenSSL
# header: users' translation units must not depend on them (they are private to src/).
#   cmake -DCOMPILER=c++ -DSOURCE=tu.cpp -DINCLUDES="dir1|dir2" -P no_private_headers.cmake
string(REPLACE "|" ";" dirs "${INCLUDES}")
set(flags -std=c++17 -M)
foreach(dir IN LISTS dirs)
  list(APPEND flags "-I${dir}")
endforeach()
execute_process(COMMAND "${COMPILER}" ${flags} "${SOURCE}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE deps ERROR_VARIABLE errors)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the public headers do not preprocess:\n${errors}")
endif()
string(REGEX MATCHALL "[^ \\\\\n]*/(curl|openssl)/[^ \\\\\n]*" private "${deps}")
if(private)
  list(REMOVE_DUPLICATES private)
  list(JOIN private "\n  " private)
  message(FATAL_ERROR "private headers reach a user's translation unit:\n  ${private}")
endif()
string(REGEX MATCHALL "[^ \\\\\n]+\\.hpp" ours "${deps}")
list(LENGTH ours count)
message(STATUS "${count} headers (.hpp) included; none from libcurl or OpenSSL")
