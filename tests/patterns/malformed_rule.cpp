// Must not compile: the replacement uses var "b", which the pattern never binds.
// tests/patterns/must_not_compile.py checks that the compiler says so in words.
#include <cactus/patterns/dsl.hpp>

using namespace cactus::patterns;
using bad = rule<"bad", node<"relu", var<"a">>, make<"gelu", var<"b">>>;
bad instance;
