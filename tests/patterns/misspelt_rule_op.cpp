// Must not compile: a fusion rule whose pattern names an op the registry does not have ("mull").
// tests/patterns/must_not_compile.py checks that the compiler says so in words.
#include <cactus/patterns/dsl.hpp>

using namespace cactus::patterns;
using bad = rule<"bad", node<"mull", var<"a">, var<"b">>, make<"gelu", var<"a">>>;
bad instance;
