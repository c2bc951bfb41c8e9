"""Exports a PyTorch nn.Module class to a torch.export archive for `cactus transpile`.

usage: cactus_export.py SPEC OUT_DIR --example-input X.npy [...] [--init-args JSON] [--state-dict FILE] [--keep-ops FILE]
  SPEC        path/model.py:ClassName
  OUT_DIR     receives model.pt2 and reference_<i>.npy (PyTorch's outputs on the example inputs)
  --init-args constructor arguments: a JSON object (keyword arguments) or array (positional)
  --state-dict the checkpoint `cactus convert` read (a torch.save file, .safetensors, or a
              directory of .safetensors files); loaded strictly
  --keep-ops  a file of the ATen overloads cactus's importer reads ("linear.default", one per
              line; `cactus transpile` writes it): any other op of the exported graph is
              decomposed to the core ATen opset (run_decompositions) while these are kept whole

Batch (dim 0) and sequence (dim 1 of rank-2 and rank-3 inputs) dims are exported as dynamic
(torch.export.Dim, from 1) where the example allows; if the model fixes one of them, torch.export
decides (Dim.AUTO) and the range it settles on is what the bundle accepts.

usage: cactus_export.py --hf MODEL_DIR OUT_DIR [--task auto|causal_lm_logits|encoder_hidden_states|ctc_logits|tdt_transcription] [--example-length N] [--keep-ops FILE]
  A Hugging Face checkpoint directory, through its family's adapter (cactus_adapters.py): the
  model is built with transformers' own class, adapted to the task's interface and exported with
  a dynamic sequence length. OUT_DIR receives model.pt2, example_<i>.npy (the example inputs),
  reference_<i>.npy (the unadapted model's outputs on them) and prints a JSON line with the
  family, the task, the input names, the dims' ranges and the tied parameter names.
  A model of several components (tdt_transcription: encoder, decoder, joint) gets one such set
  of files per component in OUT_DIR/<component>/, and the JSON line lists the components with
  their inputs, outputs and the session state each input is read from / output written to.

On failure it prints one line to stderr, `FILE:LINE: what went wrong`, naming the user's source
line where there is one, and exits 2.
"""
import argparse
import importlib.util
import json
import os
import sys
import traceback


def fail(msg):
    print(msg.replace("\n", " ").strip(), file=sys.stderr)
    sys.exit(2)


def user_line(exc, user_file):
    """The deepest frame of the traceback in the user's file, as FILE:LINE."""
    best = None
    for fr in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(fr.filename) == user_file:
            best = f"{fr.filename}:{fr.lineno}"
    if best is None:  # torch.export reports the user's frame in its message
        text = str(exc)
        marker = f'File "{user_file}", line '
        i = text.rfind(marker)
        if i >= 0:
            j = i + len(marker)
            k = j
            while k < len(text) and text[k].isdigit():
                k += 1
            best = f"{user_file}:{text[j:k]}"
    return best


def first_lines(exc, n=2):
    lines = [l.strip() for l in str(exc).splitlines() if l.strip()]
    return " ".join(lines[:n]) if lines else type(exc).__name__


def load_state_dict(path):
    import torch
    if os.path.isdir(path):
        from safetensors.torch import load_file
        sd = {}
        for f in sorted(os.listdir(path)):
            if f.endswith(".safetensors"):
                sd.update(load_file(os.path.join(path, f)))
        return sd
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file
        return load_file(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        obj = torch.jit.load(path, map_location="cpu").state_dict()  # a TorchScript archive
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    return obj


def decompose_unread(ep, keep_file):
    """Decomposes every op of the graph that cactus's importer does not read (the overloads in
    keep_file, one per line, e.g. "linear.default") to the core ATen opset with run_decompositions,
    keeping those it reads so that its fast kernels and fusions see linear, attention, layer_norm
    whole. Returns the program and {overload: count} of what was decomposed."""
    if not keep_file:
        return ep, {}
    import torch
    with open(keep_file, encoding="utf-8") as f:
        keep = set(f.read().split())

    def name(target):
        return target.name().split("::", 1)[1] if "::" in target.name() else target.name()

    unread = {}
    for n in ep.graph.nodes:
        if n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload):
            key = name(n.target)
            if "." not in key:
                key += ".default"
            if key not in keep:
                unread[key] = unread.get(key, 0) + 1
    if not unread:
        return ep, {}
    table = torch.export.default_decompositions()
    for op in list(table.keys()):
        key = name(op)
        if (key if "." in key else key + ".default") in keep:
            table.pop(op)
    return ep.run_decompositions(table), unread


def export_hf(argv):
    ap = argparse.ArgumentParser(description="export a Hugging Face checkpoint for cactus")
    ap.add_argument("--hf", required=True)
    ap.add_argument("out")
    ap.add_argument("--task", default="auto")
    ap.add_argument("--example-length", type=int, default=8)
    ap.add_argument("--keep-ops", default="")
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the checkpoint is local; nothing is downloaded
    try:
        import numpy as np
        import torch
        import transformers
        transformers.utils.logging.disable_progress_bar()
        import cactus_adapters as ad
    except ImportError as e:
        fail(f"{sys.executable}: cannot import torch/numpy/transformers ({e}); run tools/setup.sh to make the project's .venv")
    try:
        config = ad.read_config(a.hf)
        task = ad.infer_task(config) if a.task == "auto" else a.task
        family = ad.family_of(config, task)
        if task == "encoder_hidden_states":
            return export_encoder(a, ad, config, family, task)
        if task == "ctc_logits":
            return export_ctc(a, ad, config, family, task)
        if task == "tdt_transcription":
            return export_tdt(a, ad, config, family, task)
        model = ad.load_causal_lm(a.hf)
    except ad.AdapterError as e:
        fail(str(e))
    vocab = model.get_input_embeddings().weight.shape[0]
    L = max(2, a.example_length)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (1, L), generator=g)
    pos = torch.arange(L).unsqueeze(0)
    with torch.no_grad():
        ref = model(input_ids=ids, position_ids=pos, use_cache=False).logits
    aliases = ad.tied_aliases(model)
    model = ad.adapt_causal_lm(model)
    from torch.export import Dim
    max_len = int(getattr(model.config, "max_position_embeddings", 0) or (1 << 20))
    seq = Dim("seq", min=1, max=max_len)
    try:
        with torch.no_grad():
            ep = torch.export.export(model, (ids, pos), dynamic_shapes=({1: seq}, {1: seq}))
            ep, decomposed = decompose_unread(ep, a.keep_ops)
    except Exception as e:  # noqa: BLE001
        fail(f"{a.hf}: torch.export failed on the {family} adapter: {first_lines(e, 3)}")
    os.makedirs(a.out, exist_ok=True)
    torch.export.save(ep, os.path.join(a.out, "model.pt2"))
    np.save(os.path.join(a.out, "example_0.npy"), ids.numpy())
    np.save(os.path.join(a.out, "example_1.npy"), pos.numpy())
    np.save(os.path.join(a.out, "reference_0.npy"), np.ascontiguousarray(ref.numpy()))
    print(json.dumps({"family": family, "task": task, "model_type": config.get("model_type", ""),
                      "inputs": ["input_ids", "position_ids"], "outputs": ["logits"], "max_positions": max_len,
                      "aliases": aliases, "decomposed": decomposed}))


def write_speech_export(a, ep, feats, ref, config, family, task, output, decomposed):
    """OUT_DIR of a speech model: the archive, the example features, the reference output, and
    the JSON line (one input, input_features)."""
    import numpy as np
    import torch
    os.makedirs(a.out, exist_ok=True)
    torch.export.save(ep, os.path.join(a.out, "model.pt2"))
    np.save(os.path.join(a.out, "example_0.npy"), np.ascontiguousarray(feats.numpy()))
    np.save(os.path.join(a.out, "reference_0.npy"), np.ascontiguousarray(ref.numpy()))
    print(json.dumps({"family": family, "task": task, "model_type": config.get("model_type", ""),
                      "inputs": ["input_features"], "outputs": [output], "max_positions": 0,
                      "aliases": {}, "decomposed": decomposed}))


def export_encoder(a, ad, config, family, task):
    """A speech encoder: one static input (Whisper's encoder takes exactly 30 s of features)."""
    import torch
    model = ad.load_speech_encoder(a.hf)
    shape = ad.encoder_input_shape(model)
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(shape, generator=g) * 0.5  # log-mel features lie in about [-1, 2]
    with torch.no_grad():
        ref = model.get_encoder()(input_features=feats, return_dict=False)[0]
    model = ad.adapt_speech_encoder(model)
    try:
        with torch.no_grad():
            ep = torch.export.export(model, (feats,))
            ep, decomposed = decompose_unread(ep, a.keep_ops)
    except Exception as e:  # noqa: BLE001
        fail(f"{a.hf}: torch.export failed on the {family} encoder adapter: {first_lines(e, 3)}")
    write_speech_export(a, ep, feats, ref, config, family, task, "last_hidden_state", decomposed)


def export_ctc(a, ad, config, family, task):
    """A CTC recognizer: features [1, frames, mels] with the number of frames left to torch.export
    (Dim.AUTO: the subsampling convolutions set its least)."""
    import torch
    from torch.export import Dim
    model = ad.load_ctc(a.hf)
    mels = int(model.config.encoder_config.num_mel_bins)
    g = torch.Generator().manual_seed(0)
    feats = torch.randn((1, 200, mels), generator=g)  # 2 s of normalized features
    with torch.no_grad():
        ref = model(input_features=feats, return_dict=False)[0]
    model = ad.adapt_ctc(model)
    try:
        with torch.no_grad():
            ep = torch.export.export(model, (feats,), dynamic_shapes=({1: Dim.AUTO},))
            ep, decomposed = decompose_unread(ep, a.keep_ops)
    except Exception as e:  # noqa: BLE001
        fail(f"{a.hf}: torch.export failed on the {family} CTC adapter: {first_lines(e, 3)}")
    write_speech_export(a, ep, feats, ref, config, family, task, "logits", decomposed)


def export_tdt(a, ad, config, family, task):
    """A token-and-duration transducer: its encoder (frames left to torch.export, as for CTC), one
    step of its prediction network (the LSTM state in and out, kept by the runtime's session) and
    its joint network, each exported on its own into OUT_DIR/<name>/ with example inputs and the
    model's outputs on them (the examples chain: the joint sees the encoder's first frame and the
    decoder's output for the start token)."""
    import warnings
    import numpy as np
    import torch
    from torch.export import Dim
    # nn.LSTM flattens its weights into a plain attribute, which torch.export warns about; the
    # exported parameters are the checkpoint's all the same
    warnings.filterwarnings("ignore", message="The tensor attributes .*_flat_weights")
    model = ad.load_tdt(a.hf)
    c = model.config
    parts = ad.adapt_tdt(model)
    mels = int(c.encoder_config.num_mel_bins)
    layers, hidden = int(c.num_decoder_layers), int(c.decoder_hidden_size)
    g = torch.Generator().manual_seed(0)
    feats = torch.randn((1, 200, mels), generator=g)  # 2 s of normalized features
    start = getattr(model.generation_config, "decoder_start_token_id", None)
    ids = torch.tensor([[int(start if start is not None else c.blank_token_id)]])
    h0 = torch.randn((layers, 1, hidden), generator=g) * 0.5
    c0 = torch.randn((layers, 1, hidden), generator=g) * 0.5
    with torch.no_grad():
        enc = model.get_audio_features(input_features=feats).pooler_output
        dec, h1, c1 = parts["decoder"](ids, h0, c0)
        frame = enc[:, :1, :].contiguous()
        logits = model.joint(decoder_hidden_states=dec, encoder_hidden_states=frame)
    plan = [
        ("encoder", (feats,), ({1: Dim.AUTO},), (enc,), ["input_features"], ["encoder_output"], [], []),
        ("decoder", (ids, h0, c0), None, (dec, h1, c1), ["input_ids", "hidden", "cell"], ["decoder_output", "hidden", "cell"],
         ["", "decoder_hidden", "decoder_cell"], ["", "decoder_hidden", "decoder_cell"]),
        ("joint", (frame, dec), None, (logits,), ["encoder_frame", "decoder_output"], ["logits"], [], []),
    ]
    components, decomposed = [], {}
    for name, args, dyn, refs, ins, outs, in_state, out_state in plan:
        try:
            with torch.no_grad():
                ep = torch.export.export(parts[name], args, dynamic_shapes=dyn)
                ep, dec_ops = decompose_unread(ep, a.keep_ops)
        except Exception as e:  # noqa: BLE001
            fail(f"{a.hf}: torch.export failed on the {family} transducer's {name}: {first_lines(e, 3)}")
        for k, v in dec_ops.items():
            decomposed[k] = decomposed.get(k, 0) + v
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        torch.export.save(ep, os.path.join(d, "model.pt2"))
        for i, t in enumerate(args):
            np.save(os.path.join(d, f"example_{i}.npy"), np.ascontiguousarray(t.numpy()))
        for i, t in enumerate(refs):
            np.save(os.path.join(d, f"reference_{i}.npy"), np.ascontiguousarray(t.numpy()))
        components.append({"name": name, "inputs": ins, "outputs": outs, "input_state": in_state, "output_state": out_state})
    print(json.dumps({"family": family, "task": task, "model_type": config.get("model_type", ""), "components": components,
                      "max_positions": 0, "aliases": {}, "decomposed": decomposed}))


def main():
    if "--hf" in sys.argv[1:]:
        return export_hf(sys.argv[1:])
    ap = argparse.ArgumentParser(description="export a PyTorch module class for cactus")
    ap.add_argument("spec")
    ap.add_argument("out")
    ap.add_argument("--example-input", action="append", default=[])
    ap.add_argument("--init-args", default="")
    ap.add_argument("--state-dict", default="")
    ap.add_argument("--keep-ops", default="")
    a = ap.parse_args()

    if ":" not in a.spec:
        fail(f"{a.spec}: expected path/model.py:ClassName")
    path, cls_name = a.spec.rsplit(":", 1)
    user_file = os.path.abspath(path)
    if not os.path.isfile(user_file):
        fail(f"{path}: no such file")
    try:
        import numpy as np
        import torch
    except ImportError as e:
        fail(f"{sys.executable}: cannot import torch/numpy ({e}); run tools/setup.sh to make the project's .venv")

    sys.path.insert(0, os.path.dirname(user_file))
    try:
        spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(user_file))[0], user_file)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    except Exception as e:
        fail(f"{user_line(e, user_file) or path}: importing it failed: {first_lines(e)}")
    cls = getattr(mod, cls_name, None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, torch.nn.Module):
        fail(f"{path}: no nn.Module class named '{cls_name}'")
    try:
        init = json.loads(a.init_args) if a.init_args else {}
    except json.JSONDecodeError as e:
        fail(f"--init-args: not valid JSON ({e})")
    try:
        model = cls(*init) if isinstance(init, list) else cls(**init)
    except Exception as e:
        fail(f"{user_line(e, user_file) or path}: {cls_name}({a.init_args}) failed: {first_lines(e)}")
    if a.state_dict:
        try:
            sd = load_state_dict(a.state_dict)
        except Exception as e:
            fail(f"{a.state_dict}: cannot load the state_dict ({first_lines(e, 1)})")
        try:
            model.load_state_dict(sd, strict=True)
        except RuntimeError as e:
            fail(f"{a.state_dict}: does not fit {cls_name}: {first_lines(e, 3)}")
    model.eval()
    if not a.example_input:
        fail("the Python-class path needs --example-input FILE.npy (one per forward() argument)")
    args = []
    for p in a.example_input:
        try:
            args.append(torch.from_numpy(np.load(p)))
        except Exception as e:
            fail(f"{p}: not a .npy file ({e})")
    args = tuple(args)

    with torch.no_grad():
        try:
            ref = model(*args)
        except Exception as e:
            fail(f"{user_line(e, user_file) or path}: forward() failed on the example inputs: {first_lines(e)}")

    def specs(make):
        out = []
        batch, seq = make("batch"), make("seq")
        for t in args:
            d = {}
            if t.dim() >= 1:
                d[0] = batch
            if t.dim() in (2, 3):
                d[1] = seq
            out.append(d or None)
        return tuple(out)

    from torch.export import Dim
    attempts = [("Dim(min=1)", lambda n: Dim(n, min=1, max=1 << 20)), ("Dim.AUTO", lambda n: Dim.AUTO)]
    ep, last = None, None
    for label, make in attempts:
        try:
            ep = torch.export.export(model, args, dynamic_shapes=specs(make))
            break
        except Exception as e:  # constraint violations: let torch.export choose next
            last = e
            if "onstraint" not in str(e) and "specialized" not in str(e):
                break
    if ep is None:
        fail(f"{user_line(last, user_file) or path}: torch.export failed: {first_lines(last, 3)}")
    try:
        ep, decomposed = decompose_unread(ep, a.keep_ops)
    except Exception as e:  # noqa: BLE001
        fail(f"{user_line(e, user_file) or path}: run_decompositions (to the core ATen opset) failed: {first_lines(e, 3)}")
    os.makedirs(a.out, exist_ok=True)
    torch.export.save(ep, os.path.join(a.out, "model.pt2"))
    refs = ref if isinstance(ref, (tuple, list)) else (ref,)
    for i, r in enumerate(refs):
        if not isinstance(r, torch.Tensor):
            fail(f"{path}: forward() returns a {type(r).__name__} as output {i}; only tensors are supported")
        np.save(os.path.join(a.out, f"reference_{i}.npy"), r.detach().numpy())
    def bound(b):
        try:
            return int(b)
        except Exception:  # sympy's oo / torch's int_oo: unbounded
            return None
    ranges = {str(k): [bound(v.lower), bound(v.upper)] for k, v in ep.range_constraints.items()}
    print(json.dumps({"outputs": len(refs), "dynamic": ranges, "decomposed": decomposed}))


if __name__ == "__main__":
    main()
