#pragma once
// The library's version, in one place: `cactus --version` prints it, CMakeLists.txt reads it for
// project(VERSION) and meson.build checks its own against it.
#include <string_view>

#define CACTUS_VERSION_MAJOR 0
#define CACTUS_VERSION_MINOR 1
#define CACTUS_VERSION_PATCH 0
#define CACTUS_VERSION_STRING "0.1.0"

namespace cactus {

inline constexpr int version_major = CACTUS_VERSION_MAJOR;
inline constexpr int version_minor = CACTUS_VERSION_MINOR;
inline constexpr int version_patch = CACTUS_VERSION_PATCH;
inline constexpr std::string_view version = CACTUS_VERSION_STRING;

}  // namespace cactus
