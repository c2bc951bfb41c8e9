"""Task adapters: the one place that knows model families.

An adapter takes a Hugging Face checkpoint directory, builds the model with transformers' own
class for its family (pinned transformers, the checkpoint's config.json and weights) and gives it
a stable, tensor-only interface for torch.export:

  causal_lm_logits       forward(input_ids [1, L] int64, position_ids [1, L] int64) -> logits [1, L, V]
  encoder_hidden_states  forward(input_features [1, mels, frames] float32) -> hidden [1, T, D]
                         (Whisper's encoder: the features of runtime/audio, 30 s of them)
  ctc_logits             forward(input_features [1, frames, mels] float32) -> logits [1, T, V]
                         (ParakeetForCTC: any number of frames; the runtime decodes greedily)
  tdt_transcription      three components (ParakeetForTDT), run by the runtime's greedy TDT loop:
                         encoder(input_features [1, frames, mels]) -> encoder_output [1, T, H]
                         decoder(input_ids [1, 1] int64, hidden [L, 1, H], cell [L, 1, H])
                           -> decoder_output [1, 1, H], hidden, cell   (the prediction network)
                         joint(encoder_frame [1, 1, H], decoder_output [1, 1, H])
                           -> logits [1, 1, V + len(durations)]        (tokens, then durations)

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

TASKS = ("causal_lm_logits", "encoder_hidden_states", "ctc_logits", "tdt_transcription")

# model_type (config.json) -> family name recorded in the bundle. The families with tested
# adapters; any other causal LM whose transformers class exports the same way is refused by name
# rather than guessed at.
CAUSAL_LM_FAMILIES = {
    "qwen3": "qwen3",
    "llama": "llama",
    "gemma3_text": "gemma3",
    "lfm2": "lfm2",
}


# model_type -> family, for the speech encoders (encoder_hidden_states)
ENCODER_FAMILIES = {
    "whisper": "whisper",
}
# model_type -> family, for the CTC speech recognizers (ctc_logits)
CTC_FAMILIES = {
    "parakeet_ctc": "parakeet",
}
# model_type -> family, for the token-and-duration transducers (tdt_transcription)
TDT_FAMILIES = {
    "parakeet_tdt": "parakeet",
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
    if config.get("model_type") in ENCODER_FAMILIES:
        return "encoder_hidden_states"
    if any(a.endswith("ForCTC") for a in archs):
        return "ctc_logits"
    if any(a.endswith("ForTDT") for a in archs):
        return "tdt_transcription"
    raise AdapterError(f"config.json: cannot infer a task from architectures {archs}; give --task ({', '.join(TASKS)})")


def family_of(config, task):
    mt = config.get("model_type", "")
    if task == "causal_lm_logits":
        if mt not in CAUSAL_LM_FAMILIES:
            raise AdapterError(f"config.json: model_type '{mt}' has no causal_lm_logits adapter (supported: {', '.join(sorted(CAUSAL_LM_FAMILIES))})")
        return CAUSAL_LM_FAMILIES[mt]
    if task == "encoder_hidden_states":
        if mt not in ENCODER_FAMILIES:
            raise AdapterError(f"config.json: model_type '{mt}' has no encoder_hidden_states adapter (supported: {', '.join(sorted(ENCODER_FAMILIES))})")
        return ENCODER_FAMILIES[mt]
    if task == "ctc_logits":
        if mt not in CTC_FAMILIES:
            raise AdapterError(f"config.json: model_type '{mt}' has no ctc_logits adapter (supported: {', '.join(sorted(CTC_FAMILIES))})")
        return CTC_FAMILIES[mt]
    if task == "tdt_transcription":
        if mt not in TDT_FAMILIES:
            raise AdapterError(f"config.json: model_type '{mt}' has no tdt_transcription adapter (supported: {', '.join(sorted(TDT_FAMILIES))})")
        return TDT_FAMILIES[mt]
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


def load_speech_encoder(model_dir):
    """Whisper, whole (its checkpoint's parameter names), in eval mode with eager attention."""
    from transformers import WhisperForConditionalGeneration
    try:
        model = WhisperForConditionalGeneration.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
    except Exception as e:  # noqa: BLE001 - transformers raises many kinds
        raise AdapterError(f"{model_dir}: transformers cannot load it: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    return model.eval()


def encoder_input_shape(model):
    """[1, mels, frames]: Whisper's encoder takes exactly 2 x max_source_positions frames (30 s)."""
    c = model.config
    return (1, int(c.num_mel_bins), 2 * int(c.max_source_positions))


def adapt_speech_encoder(model):
    """The model, changed in place so that forward(input_features) -> the encoder's last hidden
    state. Its parameter names stay the checkpoint's (the decoder's are not read)."""
    base = type(model)

    class EncoderHiddenStates(base):
        def forward(self, input_features):
            return self.get_encoder()(input_features=input_features, return_dict=False)[0]

    EncoderHiddenStates.__name__ = base.__name__
    model.__class__ = EncoderHiddenStates
    return model


def load_ctc(model_dir):
    """ParakeetForCTC, in eval mode."""
    from transformers import AutoModelForCTC
    try:
        model = AutoModelForCTC.from_pretrained(model_dir, dtype=torch.float32)
    except Exception as e:  # noqa: BLE001 - transformers raises many kinds
        raise AdapterError(f"{model_dir}: transformers cannot load it: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    return model.eval()


def adapt_ctc(model):
    """The model, changed in place so that forward(input_features) -> logits (one utterance, no
    padding, so no attention mask). Its parameter names stay the checkpoint's."""
    base = type(model)

    class CTCLogits(base):
        def forward(self, input_features):
            return base.forward(self, input_features=input_features, return_dict=False)[0]

    CTCLogits.__name__ = base.__name__
    model.__class__ = CTCLogits
    return model


def load_tdt(model_dir):
    """ParakeetForTDT, in eval mode."""
    from transformers import ParakeetForTDT
    try:
        model = ParakeetForTDT.from_pretrained(model_dir, dtype=torch.float32)
    except Exception as e:  # noqa: BLE001 - transformers raises many kinds
        raise AdapterError(f"{model_dir}: transformers cannot load it: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    return model.eval()


def adapt_tdt(model):
    """The three components of a transducer, as modules whose parameter names are the
    checkpoint's (each holds the submodules it runs, under the checkpoint's attribute names):
    {"encoder": ..., "decoder": ..., "joint": ...}. The decode loop (which frame, which token,
    the durations) is the runtime's; these are the networks it calls."""

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.encoder_projector = model.encoder, model.encoder_projector

        def forward(self, input_features):
            return self.encoder_projector(self.encoder(input_features=input_features, return_dict=False)[0])

    class Decoder(torch.nn.Module):
        """One step of the prediction network from its LSTM state (transformers' decoder without
        its cache object: the runtime keeps the state, and calls it for non-blank tokens only)."""

        def __init__(self):
            super().__init__()
            self.decoder = model.decoder

        def forward(self, input_ids, hidden, cell):
            out, (h, c) = self.decoder.lstm(self.decoder.embedding(input_ids), (hidden, cell))
            return self.decoder.decoder_projector(out), h, c

    class Joint(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.joint = model.joint

        def forward(self, encoder_frame, decoder_output):
            return self.joint(decoder_hidden_states=decoder_output, encoder_hidden_states=encoder_frame)

    return {"encoder": Encoder().eval(), "decoder": Decoder().eval(), "joint": Joint().eval()}
