# pkg-config: installs postal-cpp.pc into ${CMAKE_INSTALL_LIBDIR}/pkgconfig. Included by
# PostalInstall. The prefix is relative to the .pc file (${pcfiledir}), so the installed tree
# can move (and `cmake --install --prefix` works). nlohmann_json is public (our headers include
# it); libcurl, libcrypto (with POSTAL_WEBHOOK) and -pthread are private: what
# `pkg-config --static --libs postal-cpp` adds for a static postal-cpp.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(POSTAL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(POSTAL_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(POSTAL_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _postal_pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" _postal_pc_up "${_postal_pc_up}")
  set(POSTAL_PC_PREFIX "\${pcfiledir}/${_postal_pc_up}")
  set(POSTAL_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(POSTAL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(POSTAL_PC_REQUIRES_PRIVATE "libcurl")
if(POSTAL_WEBHOOK)
  string(APPEND POSTAL_PC_REQUIRES_PRIVATE ", libcrypto >= 3.0")
endif()
set(POSTAL_PC_CFLAGS "")
if(BUILD_SHARED_LIBS)
  set(POSTAL_PC_CFLAGS " -DPOSTAL_SHARED")  # as the target's INTERFACE_COMPILE_DEFINITIONS
endif()
get_target_property(POSTAL_PC_LIBRARY postal OUTPUT_NAME)
configure_file("${CMAKE_CURRENT_LIST_DIR}/postal-cpp.pc.in" "${PROJECT_BINARY_DIR}/postal-cpp.pc"
               @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/postal-cpp.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
