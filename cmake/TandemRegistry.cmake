# Reads services/registry.tsv: TANDEM_SERVICE_NAMES, and TANDEM_SERVICE_PROTOS (every service's protos; a
# service with several lists them comma-separated).
function(tandem_read_service_registry)
  file(STRINGS "${PROJECT_SOURCE_DIR}/services/registry.tsv" lines REGEX "^[a-z]")
  set(names "")
  set(protos "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "[ \t]+" ";" fields "${line}")
    list(GET fields 0 name)
    list(GET fields 2 proto)
    list(APPEND names ${name})
    string(REPLACE "," ";" proto "${proto}")
    list(APPEND protos ${proto})
  endforeach()
  set(TANDEM_SERVICE_NAMES "${names}" PARENT_SCOPE)
  set(TANDEM_SERVICE_PROTOS "${protos}" PARENT_SCOPE)
  set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               "${PROJECT_SOURCE_DIR}/services/registry.tsv")
endfunction()
