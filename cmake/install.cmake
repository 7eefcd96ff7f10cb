# `cmake --install`: the public headers, libkafka.a, libkafka.so.MAJOR, libkafka.pc and
# the package config behind find_package(libkafka) (targets libkafka::kafka, the shared
# library when built, and libkafka::kafka_static).
include(CMakePackageConfigHelpers)

set(KAFKA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/libkafka)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/kafka
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS ${KAFKA_INSTALL_TARGETS}
        EXPORT libkafkaTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT libkafkaTargets
        NAMESPACE libkafka::
        DESTINATION ${KAFKA_CMAKE_DIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/libkafkaConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/libkafkaConfig.cmake
  INSTALL_DESTINATION ${KAFKA_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/libkafkaConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/libkafkaConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/libkafkaConfigVersion.cmake
        DESTINATION ${KAFKA_CMAKE_DIR})

# libkafka.pc: relocatable, ${prefix} found from the file's own place, so
# `cmake --install --prefix DIR` gives a working file for DIR (unless the install dirs
# were given as absolute paths).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KAFKA_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH KAFKA_PC_UP /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
  string(REGEX REPLACE "/$" "" KAFKA_PC_UP "${KAFKA_PC_UP}")
  set(KAFKA_PC_PREFIX "\${pcfiledir}/${KAFKA_PC_UP}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(KAFKA_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(KAFKA_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/libkafka.pc.in ${CMAKE_CURRENT_BINARY_DIR}/libkafka.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/libkafka.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
