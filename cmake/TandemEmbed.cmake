# tandem_embed_migrations(TARGET t NAME n DIR d): compiles the numbered SQL files under d/sqlite and d/postgresql
# into the binary as tandem::db::MigrationSet objects named n, so a service never reads SQL from disk at run time.
function(tandem_embed_migrations)
  cmake_parse_arguments(ARG "" "TARGET;NAME;DIR" "" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}_migrations.cc")
  file(GLOB sqlite_files CONFIGURE_DEPENDS "${ARG_DIR}/sqlite/*.sql")
  file(GLOB pg_files CONFIGURE_DEPENDS "${ARG_DIR}/postgresql/*.sql")
  list(SORT sqlite_files)
  list(SORT pg_files)
  # Each list travels to the script as one argument, joined by "|": a ";" would split it into several.
  string(REPLACE ";" "|" sqlite_arg "${sqlite_files}")
  string(REPLACE ";" "|" pg_arg "${pg_files}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DNAME=${ARG_NAME} -DOUT=${out}
            "-DSQLITE_FILES=${sqlite_arg}" "-DPG_FILES=${pg_arg}"
            -P "${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake"
    DEPENDS ${sqlite_files} ${pg_files} "${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake"
    COMMENT "Embedding ${ARG_NAME} migrations"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${out}")
endfunction()

# tandem_embed_files(TARGET t NAMESPACE ns FUNCTION fn FILES f...): compiles text files into the binary, read back
# through `const std::vector<std::pair<std::string_view, std::string_view>>& ns::fn()` as (file name, contents)
# in the order given, so data a service needs (term lists) ships inside it and stays reviewable as plain files.
function(tandem_embed_files)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_FUNCTION}_embedded.cc")
  string(REPLACE ";" "|" files_arg "${ARG_FILES}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DNAMESPACE=${ARG_NAMESPACE} -DFUNCTION=${ARG_FUNCTION} -DOUT=${out}
            "-DFILES=${files_arg}" -P "${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake"
    DEPENDS ${ARG_FILES} "${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake"
    COMMENT "Embedding ${ARG_FUNCTION}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${out}")
endfunction()
