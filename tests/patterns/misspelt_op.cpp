// Must not compile: a model graph naming an op the registry does not have ("linaer").
// tests/patterns/must_not_compile.py checks that the compiler says so in words.
#include <cactus/model_dsl/model.hpp>

using namespace cactus::model_dsl;
using bad = model<op<"linaer", input<"x">, weight<"fc.weight">, none>>;
int main() { return static_cast<int>(bad::build({}, {{1}}).nodes.size()); }
