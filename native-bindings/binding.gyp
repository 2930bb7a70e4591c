{
  "targets": [
    {
      "target_name": "ra_native",
      "sources": [
        "src/module.c",
        "src/throw-errno.c",
        "src/peer-credentials.c",
        "src/core-dumps.c",
        "src/hop-limit.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"]
      }
    }
  ]
}
