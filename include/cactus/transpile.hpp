#pragma once
// The transpile pipeline (transpile_pipeline.hpp) with LibTorch's TorchScript front end linked in
// (frontends/torchscript/capture.hpp): what a program that links LibTorch includes to capture
// TorchScript modules and transpile them. The cactus CLI includes transpile_pipeline.hpp alone
// and loads the front end as a plugin when it meets a TorchScript archive.
#include "cactus/frontends/torchscript/capture.hpp"
#include "cactus/transpile_pipeline.hpp"
