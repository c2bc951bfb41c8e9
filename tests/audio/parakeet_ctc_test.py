"""ParakeetForCTC (task ctc_logits) from a Hugging Face checkpoint: speech in, transcript ids out.

A small random-weight ParakeetForCTC (transformers' own class: FastConformer encoder with 8x
subsampling convolutions, relative-position attention and convolution modules, 2 layers,
hidden 64, 80 mels, a CTC head over 48 tokens plus the blank) is saved with save_pretrained
beside its ParakeetFeatureExtractor config. cactus converts it (fp32, fp16, CQ4), transpiles it
with --task auto (torch.export of transformers' code, the number of frames dynamic) and runs
`cactus run --audio` on sentences spoken by espeak-ng at 22.05 kHz (the runtime resamples).
The reference is transformers on the samples the runtime resampled to (tests/audio/
audio_features writes them): the feature extractor, the model's logits, and generate's greedy
CTC ids merged and stripped of blanks as the tokenizer's decode does.
  - fp32: logits within 1e-4 of transformers' (relative to the largest) and the ids identical,
    on two utterances of different lengths (one bundle: the frames are dynamic);
  - fp16 and CQ4: logit cosine and whether the ids are identical, stated (floors 0.999, 0.85);
  - --result-json holds token_ids, text, audio_seconds, real_time_factor, peak_rss_mb.
usage: parakeet_ctc_test.py CACTUS AUDIO_FEATURES WORK_DIR
"""
import itertools
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

from transformers import ParakeetCTCConfig, ParakeetFeatureExtractor, ParakeetForCTC  # noqa: E402


run = cli_runner(cactus)


torch.manual_seed(0)
ckpt = os.path.join(work, "parakeet_ctc")
BLANK = 48
encoder = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, num_mel_bins=80,
               subsampling_conv_channels=32, conv_kernel_size=9)
model = ParakeetForCTC(ParakeetCTCConfig(vocab_size=BLANK + 1, encoder_config=encoder, pad_token_id=BLANK)).eval()
with torch.no_grad():  # weights larger than the default init, so that the transcript varies with the speech
    for p in model.parameters():
        if p.dim() >= 2:
            p.normal_(0, 0.2)
model.save_pretrained(ckpt)
fe = ParakeetFeatureExtractor(feature_size=80)
fe.save_pretrained(ckpt)


def hf(samples):
    inputs = fe(samples, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        logits = model(input_features=inputs["input_features"], attention_mask=inputs["attention_mask"]).logits.numpy()
        seq = model.generate(input_features=inputs["input_features"], attention_mask=inputs["attention_mask"])
    seq = seq.sequences if hasattr(seq, "sequences") else seq
    ids = [int(t) for t, _ in itertools.groupby(seq[0].tolist()) if t != BLANK]
    top2 = np.sort(logits[0], axis=-1)[:, -2:]
    return logits, ids, float((top2[:, 1] - top2[:, 0]).min())


utterances = {}
for name, text in (("short", "Recognize speech."), ("long", "The quick brown fox jumps over the lazy dog, twice over, and then it rests.")):
    wav = os.path.join(work, name + ".wav")
    subprocess.run(["espeak-ng", "-w", wav, text], check=True)
    r = subprocess.run([audio_features, wav, os.path.join(ckpt, "preprocessor_config.json"), os.path.join(work, name + "_samples")],
                       capture_output=True, text=True, check=True)
    samples = np.load(os.path.join(work, name + "_samples", "samples.npy"))
    utterances[name] = (wav, samples, *hf(samples))

fp32_logits = {}
for prec, bits in (("fp32", 32), ("fp16", 16), ("cq4", 4)):
    b = os.path.join(work, prec)
    run("convert", ckpt, b, "--bits", str(bits))
    run("transpile", ckpt, "--weights-dir", b)
    for name, (wav, samples, want, want_ids, margin) in utterances.items():
        res = os.path.join(b, name + ".json")
        outdir = os.path.join(b, name + "_out")
        _, out, err = run("run", b, "--audio", wav, "--output-dir", outdir, "--result-json", res)
        got = np.load(os.path.join(outdir, "output_0.npy"))
        r = json.load(open(res))
        ids = r.get("token_ids")
        if got.shape != want.shape:
            check(f"{prec} {name}: logits {list(got.shape)}", False, f"transformers gives {list(want.shape)}")
            continue
        rel = float(np.abs(got - want).max() / np.abs(want).max())
        cos = float((got * want).sum() / np.sqrt((got * got).sum() * (want * want).sum()))
        same = ids == want_ids
        if prec == "fp32":
            check(f"fp32 {name}: logits {list(got.shape)} within 1e-4 of transformers'", rel <= 1e-4, f"relative error {rel:.2e}")
            check(f"fp32 {name}: greedy CTC ids identical ({len(want_ids)} tokens)", same,
                  f"ours {ids}, transformers' {want_ids}; smallest top-2 logit margin {margin:.3f}")
            ok = all(k in r for k in ("token_ids", "text", "audio_seconds", "real_time_factor", "peak_rss_mb"))
            check(f"fp32 {name}: --result-json fields", ok and abs(r["audio_seconds"] - len(samples) / 16000) < 1e-3,
                  f"audio {r.get('audio_seconds')} s, RTF {r.get('real_time_factor')}, peak RSS {r.get('peak_rss_mb')} MB")
        else:
            # CQ4 of a 64-wide model with Gaussian weights of std 0.2 (every weight matters, none
            # is small): 0.90-0.93 measured; the floor catches a broken path, not a tuned one
            floor = 0.999 if prec == "fp16" else 0.85
            check(f"{prec} {name}: logit cosine >= {floor}; ids {'identical' if same else 'differ'}", cos >= floor,
                  f"cosine {cos:.6f}, relative error {rel:.2e}, ids {'identical' if same else f'{ids} vs {want_ids}'}")
finish()
