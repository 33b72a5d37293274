# Loaded by run_embedded.cmake before the parent's project() (CMAKE_PROJECT_TOP_LEVEL_INCLUDES):
# a dependency provider that records every find_package and FetchContent_MakeAvailable call,
# with the directory that made it, and then lets CMake do what it would have done.
function(postal_log_dependency method name)
  set_property(GLOBAL APPEND PROPERTY POSTAL_DEPENDENCY_CALLS
               "${method} ${name} from ${CMAKE_CURRENT_SOURCE_DIR}")
endfunction()
cmake_language(SET_DEPENDENCY_PROVIDER postal_log_dependency
               SUPPORTED_METHODS FIND_PACKAGE FETCHCONTENT_MAKEAVAILABLE_SERIAL)
