"""Speech recognition speed, cactus and transformers side by side in one run: the real-time factor.

A ParakeetForTDT of Parakeet-TDT-0.6B's shape, with random weights: the FastConformer encoder (24
layers, hidden 1024, 8 heads, feed-forward 4096, convolution kernel 9, 256 subsampling channels,
8x subsampling, 128 mels), a 2-layer LSTM prediction network of 640, and a joint network over
8,192 tokens, the blank and the 5 durations 0-4. It is saved with save_pretrained beside its
ParakeetFeatureExtractor config. cactus converts it at fp16 and CQ4, transpiles it (three
components) and runs `cactus run --audio` on 20 s of espeak-ng speech at 16 kHz: WAV reading,
features, the encoder and the greedy TDT loop over the decoder and joint components, timed
inside the run (the bundle's load is not counted). transformers runs the same model in fp32,
eager, on the same threads: the feature extractor, then generate's greedy TDT decoding. Each
figure is the best of --repeats runs. With random weights the loop's length depends on the
tokens and durations each side predicts; the steps (tokens emitted) are printed beside.

Printed per thread count: the real-time factor (run time over audio time; lower is faster) of
each, and transformers' over ours (how many times faster cactus is). Peak RSS of the cactus runs.

usage: .venv/bin/python bench/speech_bench.py CACTUS_BINARY WORKDIR [--threads 1,2] [--bits 16,4] [--seconds 20] [--repeats 3]
"""
import argparse
import json
import os
import shutil
import subprocess
import time
import wave

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("cactus")
ap.add_argument("work")
ap.add_argument("--threads", default="1,2")
ap.add_argument("--bits", default="16,4")
ap.add_argument("--seconds", type=float, default=20.0)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--layers", type=int, default=24)
a = ap.parse_args()
os.makedirs(a.work, exist_ok=True)
os.environ["HF_HUB_OFFLINE"] = "1"
threads = [int(t) for t in a.threads.split(",")]
bits_list = [int(b) for b in a.bits.split(",")]

import transformers  # noqa: E402
from transformers import ParakeetFeatureExtractor, ParakeetForTDT, ParakeetTDTConfig  # noqa: E402

ckpt = os.path.join(a.work, f"parakeet_tdt_0.6b_shape_{a.layers}l")
BLANK = 8192
encoder = dict(hidden_size=1024, num_hidden_layers=a.layers, num_attention_heads=8, intermediate_size=4096, num_mel_bins=128,
               subsampling_conv_channels=256, conv_kernel_size=9, subsampling_factor=8)
if not os.path.exists(os.path.join(ckpt, "config.json")):
    print(f"making {ckpt} ...", flush=True)
    torch.manual_seed(0)
    m = ParakeetForTDT(ParakeetTDTConfig(vocab_size=BLANK + 1, blank_token_id=BLANK, decoder_hidden_size=640, num_decoder_layers=2,
                                         durations=[0, 1, 2, 3, 4], encoder_config=encoder)).eval()
    m.generation_config.decoder_start_token_id = BLANK
    m.save_pretrained(ckpt)
    ParakeetFeatureExtractor(feature_size=128).save_pretrained(ckpt)
model = ParakeetForTDT.from_pretrained(ckpt, dtype=torch.float32).eval()
fe = ParakeetFeatureExtractor.from_pretrained(ckpt)
params = sum(p.numel() for p in model.parameters())

# 20 s of speech at 16 kHz: espeak-ng's sentences, resampled by the FFT (band-limited), repeated
wav = os.path.join(a.work, "speech.wav")
raw = os.path.join(a.work, "espeak.wav")
subprocess.run(["espeak-ng", "-w", raw, "Speech recognition turns what people say into text, on the device, faster than they can say it."],
               check=True)
with wave.open(raw) as w:
    rate = w.getframerate()
    x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
n_out = int(len(x) * 16000 / rate)
x = np.fft.irfft(np.fft.rfft(x)[: n_out // 2 + 1], n_out) * (n_out / len(x))
n = int(a.seconds * 16000)
x = np.tile(x, int(np.ceil(n / len(x))))[:n]
pcm = np.round(np.clip(x, -1, 1 - 1 / 32768) * 32768).astype("<i2")
with wave.open(wav, "wb") as w:
    w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
    w.writeframes(pcm.tobytes())
samples = pcm.astype(np.float32) / 32768.0
seconds = len(samples) / 16000

bundles = {}
for bits in bits_list:
    b = os.path.join(a.work, f"b{bits}")
    if not os.path.exists(os.path.join(b, "components", "manifest.json")):
        shutil.rmtree(b, ignore_errors=True)
        t = time.time()
        subprocess.run([a.cactus, "convert", ckpt, b, "--bits", str(bits)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([a.cactus, "transpile", ckpt, "--weights-dir", b, "--skip-reference-compare", "--quiet"], check=True, stdout=subprocess.DEVNULL)
        print(f"bundle {'fp16' if bits == 16 else f'CQ{bits}' if bits < 8 else f'q{bits}'}: {time.time() - t:.0f} s to convert and transpile",
              flush=True)
    bundles[bits] = b


def cactus_rtf(b, t):
    best, rss, ids = None, 0.0, None
    for _ in range(a.repeats):
        res = os.path.join(b, "bench.json")
        env = dict(os.environ, CACTUS_NUM_THREADS=str(t))
        subprocess.run([a.cactus, "run", b, "--audio", wav, "--result-json", res], check=True, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        r = json.load(open(res))
        best = r["real_time_factor"] if best is None else min(best, r["real_time_factor"])
        rss, ids = max(rss, r["peak_rss_mb"]), r["token_ids"]
    return best, rss, ids


def hf_rtf(t):
    torch.set_num_threads(t)
    best, ids = None, None
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        with torch.no_grad():
            inputs = fe(samples, sampling_rate=16000, return_tensors="pt")
            seq = model.generate(input_features=inputs["input_features"], attention_mask=inputs["attention_mask"])
        dt = time.perf_counter() - t0
        best = dt / seconds if best is None else min(best, dt / seconds)
        ids = [t for t in seq.sequences[0].tolist()[1:] if t != BLANK]
    return best, ids


print(f"ParakeetForTDT, Parakeet-TDT-0.6B's shape ({a.layers} layers): {params / 1e6:.0f} M parameters; audio {seconds:.1f} s; "
      f"torch {torch.__version__}, transformers {transformers.__version__}; best of {a.repeats}")
print(f"{'threads':>7} {'model':>12} {'RTF':>9} {'x real time':>12} {'HF / ours':>10} {'peak RSS MB':>12} {'tokens':>7} {'same ids':>9}")
for t in threads:
    hf, hf_ids = hf_rtf(t)
    print(f"{t:>7} {'HF fp32':>12} {hf:>9.4f} {1 / hf:>11.1f}x {'':>10} {'':>12} {len(hf_ids):>7}", flush=True)
    for bits in bits_list:
        rtf, rss, ids = cactus_rtf(bundles[bits], t)
        name = "fp16" if bits == 16 else (f"q{bits}" if bits == 8 else f"CQ{bits}")
        print(f"{t:>7} {'cactus ' + name:>12} {rtf:>9.4f} {1 / rtf:>11.1f}x {hf / rtf:>9.2f}x {rss:>12.0f} {len(ids):>7} {str(ids == hf_ids):>9}",
              flush=True)
