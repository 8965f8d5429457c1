# cmake -DSRC=<dashboard dir> -DDST=<output dir> -P copy_api_docs.cmake
# Copies the API documentation page's files; Swagger UI's are skipped with a warning when
# `npm ci` has not been run in dashboard/ yet.
file(MAKE_DIRECTORY ${DST})
foreach(f api-documentation.html api-documentation.js)
  file(COPY_FILE ${SRC}/${f} ${DST}/${f} ONLY_IF_DIFFERENT)
endforeach()
set(ui ${SRC}/node_modules/swagger-ui-dist)
if(NOT EXISTS ${ui}/swagger-ui-bundle.js)
  message(WARNING "dashboard: ${ui} is missing (run scripts/install-deps or `npm ci` in "
                  "dashboard/); /api-documentation will answer 503")
  return()
endif()
foreach(f swagger-ui-bundle.js swagger-ui.css favicon-32x32.png favicon-16x16.png LICENSE)
  if(EXISTS ${ui}/${f})
    file(COPY_FILE ${ui}/${f} ${DST}/${f} ONLY_IF_DIFFERENT)
  endif()
endforeach()
