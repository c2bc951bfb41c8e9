"""Task adapters: the one place that knows model families.

An adapter takes a Hugging Face checkpoint directory, builds the model with transformers' own
class for its family (pinned transformers, the checkpoint's config.json and weights) and gives it
a stable, tensor-only interface for torch.export:

  causal_lm_logits   forward(input_ids [1, L] int64, position_ids [1, L] int64) -> logits [1, L, V]

The capture is cache-free (use_cache=False, return_dict=False): the KV cache is inserted by
cactus at lowering. Attention is captured as one scaled_dot_product_attention(is_causal=True)
per layer, through transformers' attention-function registry ("cactus"): the model's own code
computes q, k, v (projections, norms, rotary embedding) and the output projection; the
registered function only states the attention, with no mask tensors built from positions
(transformers builds none for a registered function), so that lowering sees a plain causal
self-attention it can give a cache. Sliding-window layers keep their window as a band mask
(ones -> tril -> triu), which cactus fuses back into a windowed causal attention.
"""
import json
import os

import torch
import torch.nn.functional as F

TASKS = ("causal_lm_logits",)

# model_type (config.json) -> family name recorded in the bundle. The families with tested
# adapters; any other causal LM whose transformers class exports the same way is refused by name
# rather than guessed at.
CAUSAL_LM_FAMILIES = {
    "qwen3": "qwen3",
    "llama": "llama",
    "gemma3_text": "gemma3",
    "lfm2": "lfm2",
}


class AdapterError(Exception):
    pass


def read_config(model_dir):
    path = os.path.join(model_dir, "config.json")
    if not os.path.isfile(path):
        raise AdapterError(f"{model_dir}: no config.json, so this is not a Hugging Face checkpoint directory")
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise AdapterError(f"{path}: not valid JSON ({e})")


def infer_task(config):
    """--task auto: what the checkpoint's architectures say."""
    archs = config.get("architectures") or []
    if any(a.endswith("ForCausalLM") for a in archs):
        return "causal_lm_logits"
    raise AdapterError(f"config.json: cannot infer a task from architectures {archs}; give --task ({', '.join(TASKS)})")


def family_of(config, task):
    mt = config.get("model_type", "")
    if task == "causal_lm_logits":
        if mt not in CAUSAL_LM_FAMILIES:
            raise AdapterError(f"config.json: model_type '{mt}' has no causal_lm_logits adapter (supported: {', '.join(sorted(CAUSAL_LM_FAMILIES))})")
        return CAUSAL_LM_FAMILIES[mt]
    raise AdapterError(f"--task {task}: not supported (supported: {', '.join(TASKS)})")


def _band_mask(L, S, window, device):
    # keys j seen by query i: i - window < j <= i
    ones = torch.ones(L, S, dtype=torch.bool, device=device)
    return ones.tril().triu(1 - window)


def _cactus_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, sliding_window=None, **kwargs):
    if kwargs.get("softcap") is not None:
        raise AdapterError("attention logit soft-capping is not supported")
    gqa = query.shape[1] != key.shape[1]
    if sliding_window:
        mask = _band_mask(query.shape[2], key.shape[2], int(sliding_window), query.device)
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=scaling, enable_gqa=gqa)
    else:
        out = F.scaled_dot_product_attention(query, key, value, is_causal=True, scale=scaling, enable_gqa=gqa)
    return out.transpose(1, 2).contiguous(), None


def _register_attention():
    from transformers import AttentionInterface
    AttentionInterface.register("cactus", _cactus_attention)


def tied_aliases(model):
    """Parameter names that share storage with another name: {alias: name the checkpoint stores}."""
    by_tensor = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        by_tensor.setdefault(id(p), []).append(name)
    aliases = {}
    for names in by_tensor.values():
        if len(names) > 1:
            keep = min(names, key=lambda n: (n.startswith("lm_head"), len(n)))  # the embedding, as HF saves it
            for n in names:
                if n != keep:
                    aliases[n] = keep
    return aliases


def load_causal_lm(model_dir):
    from transformers import AutoModelForCausalLM
    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
    except Exception as e:  # noqa: BLE001 - transformers raises many kinds
        raise AdapterError(f"{model_dir}: transformers cannot load it: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    return model.eval()


def adapt_causal_lm(model):
    """The model, changed in place so that forward(input_ids, position_ids) -> logits, with the
    registered attention. Its parameter names stay the checkpoint's."""
    _register_attention()
    model.set_attn_implementation("cactus")
    base = type(model)

    class CausalLMLogits(base):
        def forward(self, input_ids, position_ids):
            return base.forward(self, input_ids=input_ids, position_ids=position_ids, use_cache=False, return_dict=False)[0]

    CausalLMLogits.__name__ = base.__name__
    model.__class__ = CausalLMLogits
    return model
