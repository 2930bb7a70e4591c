{
  "targets": [
    {
      "target_name": "ra_native",
      "sources": [
        "src/module.c",
        "src/throw-errno.c",
        "src/peer-credentials.c",
        "src/core-dumps.c",
        "src/hop-limit.c",
        "src/pkcs11-sign.c",
        "src/trim-memory.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "include_dirs": ["<!@(pkg-config --cflags-only-I p11-kit-1 | sed -e 's/-I//g')"],
      "libraries": ["-ldl", "-pthread"],
      "cflags": ["-std=c11", "-pthread", "-Wall", "-Wextra", "-Werror", "-O2"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"]
      }
    }
  ]
}
