"""Whisper's encoder (task encoder_hidden_states) from a Hugging Face checkpoint, run on speech.

A small random-weight WhisperForConditionalGeneration (transformers' own class, 2 encoder
layers, d_model 64, 80 mels, the real 3000-frame input) is saved with save_pretrained beside
its WhisperFeatureExtractor config. cactus converts it (fp32, fp16, CQ4), transpiles it with
--task auto (the adapter exports the encoder with torch.export) and runs it with
`cactus run --audio` on a sentence spoken by espeak-ng, written as a 16 kHz WAV. The reference
is transformers: the feature extractor on the same samples, then the model's encoder.
  - fp32: hidden states within 1e-4 of the reference, relative to its largest magnitude;
  - fp16 and CQ4: the cosine to the reference, stated, with floors (0.999 and 0.95);
  - audio longer than 30 s runs as 30 s chunks whose hidden states are joined in time: checked
    against the encoder on each chunk's features;
  - --result-json has audio_seconds, real_time_factor and peak_rss_mb;
  - --audio on a bundle without preprocessor_config.json, and a file that is not a WAV, are
    refused with clear errors.
usage: whisper_encoder_test.py CACTUS WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import wave

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, cli_runner, finish  # noqa: E402

cactus, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration  # noqa: E402


run = cli_runner(cactus)


def write_wav16(path, x, rate=16000):
    pcm = np.round(np.clip(x, -1, 1 - 1 / 32768) * 32768).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768.0


def speech_16k(text):
    raw = os.path.join(work, "espeak.wav")
    subprocess.run(["espeak-ng", "-w", raw, text], check=True)
    with wave.open(raw) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    # ideal band-limited resampling to 16 kHz (zero-padded to whole output samples)
    step = rate // np.gcd(rate, 16000)
    m = -(-len(x) // step) * step
    n_out = m * 16000 // rate
    X = np.fft.rfft(np.concatenate([x, np.zeros(m - len(x))]))
    return np.fft.irfft(X[: n_out // 2 + 1], n_out) * (n_out / m)


torch.manual_seed(0)
ckpt = os.path.join(work, "whisper")
config = WhisperConfig(vocab_size=300, num_mel_bins=80, d_model=64, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=128,
                       decoder_layers=1, decoder_attention_heads=4, decoder_ffn_dim=128, max_source_positions=1500, max_target_positions=32,
                       pad_token_id=1, bos_token_id=2, eos_token_id=3, decoder_start_token_id=2)
model = WhisperForConditionalGeneration(config).eval()
model.save_pretrained(ckpt)
fe = WhisperFeatureExtractor(feature_size=80)
fe.save_pretrained(ckpt)


def reference(samples):
    feats = fe(samples, sampling_rate=16000, return_tensors="pt")["input_features"]
    with torch.no_grad():
        return model.get_encoder()(input_features=feats, return_dict=False)[0].numpy()


speech = speech_16k("Speech goes in, and the encoder's hidden states come out.")
wav = os.path.join(work, "speech.wav")
samples = write_wav16(wav, speech)
want = reference(samples)

bundles = {}
for name, bits in (("fp32", 32), ("fp16", 16), ("cq4", 4)):
    b = os.path.join(work, name)
    run("convert", ckpt, b, "--bits", str(bits))
    _, out, err = run("transpile", ckpt, "--weights-dir", b)
    bundles[name] = b
    res_json = os.path.join(b, "audio.json")
    outdir = os.path.join(b, "out")
    _, out, err = run("run", b, "--audio", wav, "--output-dir", outdir, "--result-json", res_json)
    got = np.load(os.path.join(outdir, "output_0.npy"))
    if got.shape != want.shape:
        check(f"{name}: hidden states {list(got.shape)}", False, f"transformers gives {list(want.shape)}")
        continue
    rel = float(np.abs(got - want).max() / np.abs(want).max())
    cos = float((got * want).sum() / np.sqrt((got * got).sum() * (want * want).sum()))
    if name == "fp32":
        check(f"fp32: hidden states {list(got.shape)} within 1e-4 of transformers (relative to the largest)", rel <= 1e-4, f"relative error {rel:.2e}")
        r = json.load(open(res_json))
        ok = all(k in r for k in ("audio_seconds", "real_time_factor", "peak_rss_mb")) and abs(r["audio_seconds"] - len(samples) / 16000) < 1e-6
        check("--result-json: audio_seconds, real_time_factor, peak_rss_mb", ok,
              f"audio {r.get('audio_seconds')} s, RTF {r.get('real_time_factor')}, peak RSS {r.get('peak_rss_mb')} MB")
    else:
        floor = 0.999 if name == "fp16" else 0.95
        check(f"{name}: hidden states' cosine to transformers >= {floor}", cos >= floor, f"cosine {cos:.6f}, relative error {rel:.2e}")

# 41 s of speech: two chunks of 30 s (the second padded), joined in time
long = np.concatenate([speech] * int(np.ceil(41 * 16000 / len(speech))))[: 41 * 16000]
long_wav = os.path.join(work, "long.wav")
long_samples = write_wav16(long_wav, long)
want_long = np.concatenate([reference(long_samples[:480000]), reference(long_samples[480000:])], axis=1)
outdir = os.path.join(work, "long_out")
_, out, err = run("run", bundles["fp32"], "--audio", long_wav, "--output-dir", outdir)
got = np.load(os.path.join(outdir, "output_0.npy"))
rel = float(np.abs(got - want_long).max() / np.abs(want_long).max()) if got.shape == want_long.shape else float("inf")
check(f"41 s of audio: two 30 s chunks joined, {list(got.shape)}", got.shape == want_long.shape and rel <= 1e-4 and "2 chunks" in err,
      f"relative error {rel:.2e}; {err.strip().splitlines()[-1] if err.strip() else ''}")

# refusals
nowav = os.path.join(work, "notes.wav")
with open(nowav, "w") as f:
    f.write("not audio\n")
code, _, err = run("run", bundles["fp32"], "--audio", nowav, expect_ok=False)
check("--audio of a text file: refused, naming it", code == 1 and nowav in err and "not a WAV file" in err, err.strip())
bare = os.path.join(work, "bare")
shutil.copytree(bundles["fp32"], bare)
os.remove(os.path.join(bare, "preprocessor_config.json"))
code, _, err = run("run", bare, "--audio", wav, expect_ok=False)
check("--audio on a bundle without preprocessor_config.json: refused", code == 1 and "preprocessor_config.json" in err, err.strip())
finish()
