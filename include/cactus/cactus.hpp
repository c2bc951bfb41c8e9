#pragma once
// Umbrella header: everything that needs no LibTorch (IR, ops, kernels, runtime, bundles,
// weight formats and readers). Capture through LibTorch is in cactus/capture/torchscript.hpp
// and cactus/transpile.hpp.
#include "cactus/capture/hf_checkpoint.hpp"
#include "cactus/capture/safetensors.hpp"
#include "cactus/capture/torch_pickle.hpp"
#include "cactus/convert.hpp"
#include "cactus/core/npy.hpp"
#include "cactus/frontends/torch_export/import.hpp"
#include "cactus/ir/dot.hpp"
#include "cactus/ir/ir_json.hpp"
#include "cactus/lower/lower.hpp"
#include "cactus/lower/relower.hpp"
#include "cactus/lower/transpile_ir.hpp"
#include "cactus/models/graph.hpp"
#include "cactus/passes/bind_weights.hpp"
#include "cactus/passes/pipeline.hpp"
#include "cactus/patterns/rules.hpp"
#include "cactus/quant/quantize.hpp"
#include "cactus/runtime/bundle.hpp"
#include "cactus/tokenizer/chat_template.hpp"
#include "cactus/tokenizer/tokenizer.hpp"
