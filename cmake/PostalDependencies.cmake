# Dependencies: find_package first (Debian, vcpkg, a parent project's targets);
# FetchContent only as a fallback for users who have the network.
include(FetchContent)

if(NOT TARGET nlohmann_json::nlohmann_json)
  find_package(nlohmann_json 3.10 QUIET)
  if(NOT nlohmann_json_FOUND)
    message(STATUS "postal-cpp: nlohmann_json not found; fetching it")
    # Installed with postal-cpp, so that postal-cpp's exported target can refer to it.
    set(JSON_Install ${POSTAL_INSTALL} CACHE BOOL "")
    FetchContent_Declare(nlohmann_json
      URL https://github.com/nlohmann/json/releases/download/v3.11.3/json.tar.xz)
    FetchContent_MakeAvailable(nlohmann_json)
  endif()
endif()

if(NOT TARGET CURL::libcurl)
  find_package(CURL REQUIRED)
endif()
