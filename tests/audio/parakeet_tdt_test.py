"""ParakeetForTDT (task tdt_transcription) from a Hugging Face checkpoint: speech in, transcript
ids out, through three components and the runtime's greedy TDT loop.

A small random-weight ParakeetForTDT (transformers' own class: the FastConformer encoder of the
CTC test, 2 layers, hidden 64, 80 mels; a 2-layer LSTM prediction network of 32; a joint network
over 48 tokens, the blank and 5 durations) is saved with save_pretrained beside its
ParakeetFeatureExtractor config. cactus converts it (fp32, fp16, CQ4) and transpiles it with
--task auto: torch.export of the encoder (+ its projection), of one step of the prediction
network (its LSTM state in and out, kept by the session) and of the joint network, each a
component of the bundle, each checked against PyTorch in the check run. `cactus run --audio`
runs the encoder on the features and the TDT loop over the other two, on sentences spoken by
espeak-ng at 22.05 kHz (the runtime resamples). The reference is transformers on the samples the
runtime resampled to (tests/audio/audio_features writes them): the feature extractor, the
encoder's projected output, and generate's greedy TDT sequence stripped of blanks.
  - fp32: the encoder output within 1e-4 of transformers' (relative to the largest) and the ids
    identical, on two utterances of different lengths (one bundle: the frames are dynamic);
  - fp16 and CQ4: encoder output cosine and whether the ids are identical, stated (floors 0.999,
    0.85);
  - the bundle's components/manifest.json lists encoder, decoder and joint, the decoder's LSTM
    state marked as session state, and its LSTM is one lstm op (the fused cell kernel);
  - --result-json holds token_ids, text, audio_seconds, real_time_factor, peak_rss_mb.
usage: parakeet_tdt_test.py CACTUS AUDIO_FEATURES WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, cli_runner, finish  # noqa: E402

cactus, audio_features, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
run = cli_runner(cactus)

from transformers import ParakeetFeatureExtractor, ParakeetForTDT, ParakeetTDTConfig  # noqa: E402

torch.manual_seed(0)
ckpt = os.path.join(work, "parakeet_tdt")
BLANK = 48
encoder = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, num_mel_bins=80,
               subsampling_conv_channels=32, conv_kernel_size=9)
config = ParakeetTDTConfig(vocab_size=BLANK + 1, blank_token_id=BLANK, decoder_hidden_size=32, num_decoder_layers=2, encoder_config=encoder)
model = ParakeetForTDT(config).eval()
model.generation_config.decoder_start_token_id = BLANK  # the prediction network starts from the blank
with torch.no_grad():  # weights larger than the default init, so that the transcript varies with the speech
    for p in model.parameters():
        if p.dim() >= 2:
            p.normal_(0, 0.2)
    # as a trained model's joint network would: the blank more likely, a duration of 0 (a token
    # without moving on) less, so that both utterances mix tokens and blanks and end at their last
    # frame (the step budget of a token repeated at one frame is tested in test_audio)
    model.joint.head.bias[BLANK] += 2.0
    model.joint.head.bias[BLANK + 1] -= 1.0
model.save_pretrained(ckpt)
fe = ParakeetFeatureExtractor(feature_size=80)
fe.save_pretrained(ckpt)


def hf(samples):
    inputs = fe(samples, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        enc = model.get_audio_features(input_features=inputs["input_features"], attention_mask=inputs["attention_mask"]).pooler_output.numpy()
        out = model.generate(input_features=inputs["input_features"], attention_mask=inputs["attention_mask"])
    seq = out.sequences[0].tolist()[1:]  # after the start token
    return enc, [t for t in seq if t != BLANK], len(seq)


utterances = {}
for name, text in (("short", "Recognize speech."), ("long", "The quick brown fox jumps over the lazy dog, twice over, and then it rests.")):
    wav = os.path.join(work, name + ".wav")
    subprocess.run(["espeak-ng", "-w", wav, text], check=True)
    subprocess.run([audio_features, wav, os.path.join(ckpt, "preprocessor_config.json"), os.path.join(work, name + "_samples")],
                   capture_output=True, text=True, check=True)
    samples = np.load(os.path.join(work, name + "_samples", "samples.npy"))
    utterances[name] = (wav, samples, *hf(samples))

for prec, bits in (("fp32", 32), ("fp16", 16), ("cq4", 4)):
    b = os.path.join(work, prec)
    run("convert", ckpt, b, "--bits", str(bits))
    _, _, err = run("transpile", ckpt, "--weights-dir", b)
    if prec == "fp32":
        m = json.load(open(os.path.join(b, "components", "manifest.json")))
        comps = {c["name"]: c for c in m["components"]}
        states = [i.get("state", "") for i in comps.get("decoder", {}).get("inputs", [])]
        check("the bundle's components are encoder, decoder and joint; the decoder's LSTM state is session state",
              m["task"] == "tdt_transcription" and m["component_order"] == ["encoder", "decoder", "joint"] and states == ["", "decoder_hidden", "decoder_cell"],
              f"task {m['task']}, components {m['component_order']}, decoder input state {states}")
        ops = json.load(open(os.path.join(b, "components", "decoder", "optimized_ir.json")))
        names = [n["op"] for n in ops["nodes"]]
        check("the prediction network's LSTM is one lstm op", names.count("lstm") == 1, f"decoder ops {names}")
        fused = [l.strip() for l in err.splitlines() if "fuse" in l]
        print("     ", "; ".join(fused))
    for name, (wav, samples, want, want_ids, steps) in utterances.items():
        res = os.path.join(b, name + ".json")
        outdir = os.path.join(b, name + "_out")
        _, out, _ = run("run", b, "--audio", wav, "--output-dir", outdir, "--result-json", res)
        got = np.load(os.path.join(outdir, "output_0.npy"))
        r = json.load(open(res))
        ids = r.get("token_ids")
        if got.shape != want.shape:
            check(f"{prec} {name}: encoder output {list(got.shape)}", False, f"transformers gives {list(want.shape)}")
            continue
        rel = float(np.abs(got - want).max() / np.abs(want).max())
        cos = float((got * want).sum() / np.sqrt((got * got).sum() * (want * want).sum()))
        same = ids == want_ids
        if prec == "fp32":
            check(f"fp32 {name}: encoder output {list(got.shape)} within 1e-4 of transformers'", rel <= 1e-4, f"relative error {rel:.2e}")
            check(f"fp32 {name}: greedy TDT ids identical ({len(want_ids)} tokens in {steps} steps over {want.shape[1]} frames)", same,
                  f"ours {ids}, transformers' {want_ids}")
            ok = all(k in r for k in ("token_ids", "text", "audio_seconds", "real_time_factor", "peak_rss_mb"))
            check(f"fp32 {name}: --result-json fields", ok and abs(r["audio_seconds"] - len(samples) / 16000) < 1e-3,
                  f"audio {r.get('audio_seconds')} s, RTF {r.get('real_time_factor')}, peak RSS {r.get('peak_rss_mb')} MB")
        else:
            floor = 0.999 if prec == "fp16" else 0.85
            check(f"{prec} {name}: encoder output cosine >= {floor}; ids {'identical' if same else 'differ'}", cos >= floor,
                  f"cosine {cos:.6f}, relative error {rel:.2e}, ids {'identical' if same else f'{ids} vs {want_ids}'}")

# a TDT bundle without its decoding parameters is refused by name
broken = os.path.join(work, "fp32_broken")
shutil.copytree(os.path.join(work, "fp32"), broken)
cfg = json.load(open(os.path.join(broken, "config.json")))
del cfg["durations"]
json.dump(cfg, open(os.path.join(broken, "config.json"), "w"))
rc, _, err = run("run", broken, "--audio", utterances["short"][0], expect_ok=False)
check("a TDT bundle whose config.json lacks durations: a clear error", rc != 0 and "durations" in err and "config.json" in err, err.strip()[-200:])
finish()
