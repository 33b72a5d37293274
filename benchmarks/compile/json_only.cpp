// Compile-cost benchmark: the baseline, a translation unit that includes only nlohmann/json.hpp.
#include <nlohmann/json.hpp>

int main() { return 0; }
