# The cgo flags that build rclgo and the message bindings (msgs/) against
# the ROS 2 install the build environment provides.
#
# rclgo's own #cgo lines name /opt/ros/humble, and the committed bindings name
# /opt/ros/jazzy (so they are the same on every machine); neither is right for
# an arbitrary install, and Jazzy keeps headers in include/<pkg>/<pkg>/, so the
# compiler needs -I<prefix>/include/<pkg> for every package. The flags are
# therefore derived here from the ament index: the prefix each named package is
# registered in (what a sourced setup.bash, or colcon for an overlay, puts on
# AMENT_PREFIX_PATH).
#
# ab_bridge_cgo_flags(<cflags_var> <ldflags_var> PACKAGES <pkg>...)
# sets <cflags_var> and <ldflags_var> to values for CGO_CFLAGS and
# CGO_LDFLAGS.

function(ab_bridge_cgo_flags cflags_var ldflags_var)
  cmake_parse_arguments(ARG "" "" "PACKAGES" ${ARGN})

  # The prefixes holding the packages, in AMENT_PREFIX_PATH order (an overlay
  # before its underlay), each once.
  set(prefixes "")
  set(missing "")
  foreach(pkg IN LISTS ARG_PACKAGES)
    ament_index_has_resource(prefix packages ${pkg})
    if(prefix)
      list(APPEND prefixes "${prefix}")
    else()
      list(APPEND missing ${pkg})
    endif()
  endforeach()
  if(missing)
    string(REPLACE ";" " " missing "${missing}")
    message(FATAL_ERROR
      "ROS 2 packages not found in the ament index: ${missing}\n"
      "AMENT_PREFIX_PATH='$ENV{AMENT_PREFIX_PATH}'. Source your ROS 2 setup "
      "(/opt/ros/jazzy/setup.bash) and run "
      "'rosdep install --from-paths src --ignore-src -y' in the workspace.")
  endif()
  list(REMOVE_DUPLICATES prefixes)

  # cgo's default CFLAGS are "-O2 -g" and setting CGO_CFLAGS replaces them.
  # rclgo calls rcl_timer_init, deprecated in Jazzy with the same signature.
  set(cflags -O2 -g -Wno-deprecated-declarations)
  set(ldflags "")
  set(rpath "")
  foreach(prefix IN LISTS prefixes)
    # Every include folder, not only the named packages': Jazzy's message
    # headers include service_msgs, type_description_interfaces and more.
    file(GLOB entries LIST_DIRECTORIES true "${prefix}/include/*")
    foreach(entry IN LISTS entries)
      if(IS_DIRECTORY "${entry}")
        list(APPEND cflags "-I${entry}")
      endif()
    endforeach()
    list(APPEND ldflags "-L${prefix}/lib")
    list(APPEND rpath "${prefix}/lib")
  endforeach()

  # The quirks below belong to the ROS 2 wheels from PyPI (a venv laid out
  # like /opt/ros/jazzy, which the tests build against). Each step runs only
  # when its symptom is found; a /opt/ros install from the ROS apt
  # repository triggers none of them.
  ament_index_has_resource(rcl_prefix packages rcl)
  set(new_dtags TRUE)

  # rclgo links -lrmw_implementation. The wheels ship no
  # librmw_implementation.so (their rcl links Fast DDS's rmw directly), so a
  # build-local symlink to the Fast DDS rmw satisfies the linker. The binary
  # then records librmw_fastrtps_cpp.so (that library's soname).
  set(have_rmw_implementation FALSE)
  foreach(prefix IN LISTS prefixes)
    if(EXISTS "${prefix}/lib/librmw_implementation.so")
      set(have_rmw_implementation TRUE)
    endif()
  endforeach()
  if(NOT have_rmw_implementation)
    ament_index_has_resource(fastrtps_prefix packages rmw_fastrtps_cpp)
    set(fastrtps "${fastrtps_prefix}/lib/librmw_fastrtps_cpp.so")
    if(NOT fastrtps_prefix OR NOT EXISTS "${fastrtps}")
      message(FATAL_ERROR
        "neither librmw_implementation.so nor librmw_fastrtps_cpp.so found "
        "in ${prefixes}: install ros-jazzy-rmw-implementation")
    endif()
    set(shim "${CMAKE_CURRENT_BINARY_DIR}/rmw_shim")
    file(MAKE_DIRECTORY "${shim}")
    file(CREATE_LINK "${fastrtps}" "${shim}/librmw_implementation.so" SYMBOLIC)
    list(APPEND ldflags "-L${shim}")
    message(STATUS "cgo: no librmw_implementation.so; linking ${fastrtps} in its place")
  endif()

  # The wheels' librcl names their private libraries (auditwheel's
  # site-packages/ros_*.libs folders) with an RPATH that does not resolve
  # from <prefix>/lib. They go on the binary's RPATH; an old-style RPATH,
  # because a RUNPATH applies only to the binary's own dependencies, not
  # to librcl's.
  file(GLOB wheel_libs LIST_DIRECTORIES true
    "${rcl_prefix}/lib/python3*/site-packages/ros_*.libs")
  if(wheel_libs)
    list(APPEND rpath ${wheel_libs})
    set(new_dtags FALSE)
    message(STATUS "cgo: ROS 2 wheel libraries found; on the RPATH: ${wheel_libs}")
  endif()

  # The wheels' librcl also needs the *_rosidl_generator_py libraries, which
  # use libpython's symbols without linking libpython: the binary has to link
  # it (kept with --no-as-needed, since nothing in the binary calls it).
  # Detected by librcl naming such a library among its dependencies.
  set(librcl "${rcl_prefix}/lib/librcl.so")
  set(rcl_needs_python "")
  if(EXISTS "${librcl}")
    file(STRINGS "${librcl}" rcl_needs_python REGEX "rosidl_generator_py" LIMIT_COUNT 1)
  endif()
  if(rcl_needs_python)
    file(GLOB site_dirs LIST_DIRECTORIES true "${rcl_prefix}/lib/python3*")
    list(GET site_dirs 0 site_dir)
    get_filename_component(python_name "${site_dir}" NAME) # python3.12
    find_program(AB_BRIDGE_WHEEL_PYTHON NAMES ${python_name} HINTS "${rcl_prefix}/bin")
    set(wheel_python "${AB_BRIDGE_WHEEL_PYTHON}")
    if(NOT wheel_python)
      message(FATAL_ERROR "${librcl} needs lib${python_name}.so: no ${python_name} found")
    endif()
    execute_process(
      COMMAND "${wheel_python}" -c
        "import sysconfig as s; print(s.get_config_var('LIBDIR')); print(s.get_config_var('LDVERSION'))"
      OUTPUT_VARIABLE python_config OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE python_failed)
    if(python_failed)
      message(FATAL_ERROR "${wheel_python} could not report its libpython")
    endif()
    string(REPLACE "\n" ";" python_config "${python_config}")
    list(GET python_config 0 python_libdir)
    list(GET python_config 1 python_ldversion)
    if(NOT EXISTS "${python_libdir}/libpython${python_ldversion}.so")
      message(FATAL_ERROR
        "${librcl} needs libpython${python_ldversion}.so, not in ${python_libdir}: "
        "the Python of ${rcl_prefix} must be built with --enable-shared")
    endif()
    list(APPEND ldflags "-L${python_libdir}" -Wl,--no-as-needed "-lpython${python_ldversion}")
    list(APPEND rpath "${python_libdir}")
    message(STATUS "cgo: ${librcl} needs libpython; linking ${python_libdir}/libpython${python_ldversion}.so")
  endif()

  # A RUNPATH (the default) lets LD_LIBRARY_PATH, which setup.bash sets,
  # take precedence, as ROS expects; the binary also runs without it.
  if(NOT new_dtags)
    list(APPEND ldflags -Wl,--disable-new-dtags)
  endif()
  list(REMOVE_DUPLICATES rpath)
  string(REPLACE ";" ":" rpath "${rpath}")
  list(APPEND ldflags "-Wl,-rpath=${rpath}")

  string(REPLACE ";" " " cflags "${cflags}")
  string(REPLACE ";" " " ldflags "${ldflags}")
  set(${cflags_var} "${cflags}" PARENT_SCOPE)
  set(${ldflags_var} "${ldflags}" PARENT_SCOPE)
endfunction()
