# The API reference (Doxygen): include(PostalDocs) after enable_testing().
#   cmake --build <build-dir> --target docs   ->   <build-dir>/docs/html/index.html
# Only when postal-cpp is the top-level project (a parent project that vendors us gets no docs
# target), and only when Doxygen is found. Doxygen fails on any warning (an undocumented public
# name, a broken reference); with the tests, ctest proves the docs build cleanly.
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()
find_package(Doxygen 1.9)  # 1.9.0: WARN_AS_ERROR = FAIL_ON_WARNINGS
if(NOT DOXYGEN_FOUND)
  message(STATUS "postal-cpp: Doxygen 1.9 or newer not found; no docs target")
  return()
endif()

set(POSTAL_DOCS_OUTPUT_DIR "${PROJECT_BINARY_DIR}/docs")

# README.md is the main page. GitHub gives every heading an anchor, so the README links to its
# own sections as `[Errors](#errors)`; Doxygen 1.9 does not, so the copy it reads has GitHub's
# anchor added to each heading (`## Errors {#errors}`; a repeated one gets -1, -2, ...).
# Lines are kept, so Doxygen's line numbers for the copy are the README's.
function(postal_docs_readme input output)
  file(READ "${input}" text)
  # One list element per line: keep \ ; [ ] out of CMake's list syntax meanwhile.
  string(REPLACE "\\" "<postal-bs>" text "${text}")
  string(REPLACE ";" "<postal-sc>" text "${text}")
  string(REPLACE "[" "<postal-lb>" text "${text}")
  string(REPLACE "]" "<postal-rb>" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(in_fence FALSE)
  set(anchors "")
  set(result "")
  foreach(line IN LISTS lines)
    string(REPLACE "<postal-rb>" "]" line "${line}")
    string(REPLACE "<postal-lb>" "[" line "${line}")
    string(REPLACE "<postal-sc>" ";" line "${line}")
    string(REPLACE "<postal-bs>" "\\" line "${line}")
    if(line MATCHES "^ *(```|~~~)")
      if(in_fence)
        set(in_fence FALSE)
      else()
        set(in_fence TRUE)
      endif()
    elseif(NOT in_fence AND line MATCHES "^##+ +(.*[^ ])")
      # GitHub's rule: lower case, drop punctuation, spaces become hyphens.
      string(TOLOWER "${CMAKE_MATCH_1}" anchor)
      string(REGEX REPLACE "[^a-z0-9 _-]" "" anchor "${anchor}")
      string(REPLACE " " "-" anchor "${anchor}")
      set(unique "${anchor}")
      set(n 0)
      while(unique IN_LIST anchors)
        math(EXPR n "${n} + 1")
        set(unique "${anchor}-${n}")
      endwhile()
      list(APPEND anchors "${unique}")
      string(APPEND line " {#${unique}}")
    endif()
    string(APPEND result "${line}\n")
  endforeach()
  file(WRITE "${output}" "${result}")
endfunction()

postal_docs_readme("${PROJECT_SOURCE_DIR}/README.md" "${POSTAL_DOCS_OUTPUT_DIR}/README.md")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/README.md")
configure_file("${PROJECT_SOURCE_DIR}/docs/Doxyfile.in" "${POSTAL_DOCS_OUTPUT_DIR}/Doxyfile" @ONLY)

add_custom_target(docs
  COMMAND Doxygen::doxygen "${POSTAL_DOCS_OUTPUT_DIR}/Doxyfile"
  WORKING_DIRECTORY "${POSTAL_DOCS_OUTPUT_DIR}"
  COMMENT "Generating the API reference in ${POSTAL_DOCS_OUTPUT_DIR}/html"
  VERBATIM)

if(POSTAL_BUILD_TESTS)
  add_test(NAME "docs: doxygen builds without warnings"
    COMMAND "${CMAKE_COMMAND}" --build "${PROJECT_BINARY_DIR}" --target docs)
  # The header tests build in this tree too; two builds at once would race.
  set_tests_properties("docs: doxygen builds without warnings" PROPERTIES
                       RESOURCE_LOCK postal_build_tree)
endif()
