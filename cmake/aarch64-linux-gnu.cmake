# Cross-compiling for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu; libraries come from
# Debian multiarch (libhwy-dev:arm64 -> /usr/lib/aarch64-linux-gnu). Header-only dependencies
# (nlohmann-json, Boost, Catch2) are architecture-independent and found in the host's /usr.
# Run the binaries with qemu-aarch64 (tools/test_aarch64.sh).
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DCACTUS_WITH_TORCH=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# The arm64 C/C++ runtime comes from multiarch (libc6:arm64, libstdc++6:arm64, pulled in by
# libhwy-dev:arm64); qemu finds its loader at /lib/ld-linux-aarch64.so.1 without -L.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
