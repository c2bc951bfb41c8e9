"""The runtime's audio front end against transformers' feature extractors, on real speech.

espeak-ng (Debian) speaks a sentence at its own rate, 22,050 Hz. From it the test writes WAV
files at other rates and in other sample formats (16 kHz 16-bit, 44.1 kHz 24-bit stereo,
48 kHz float32, 8 kHz 32-bit), each made from the speech by an ideal band-limited (FFT)
resampling in numpy. For every file and every feature extractor (Whisper with 80 and 128 mels,
Parakeet with 128 and 80, built from transformers' classes and saved with save_pretrained),
tests/audio/audio_features (the C++ runtime) reads the WAV, resamples it to 16 kHz with
libsamplerate and computes the features. Checked:
  - the samples: equal to the file's at 16 kHz; elsewhere within 45 dB SNR of the ideal
    resampling of the file's own samples (libsamplerate's filter rolls off just below the
    Nyquist frequency, where the ideal one does not; speech has little energy there);
  - the features: transformers' extractor on the very samples the runtime resampled to gives
    the same features to 1e-4 (absolute; Whisper's lie in about [-1, 2], Parakeet's are
    normalized to unit variance);
  - a file that is not a WAV is refused with its name.
usage: features_test.py AUDIO_FEATURES_BINARY WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import wave

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

TOOL, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

from transformers import ParakeetFeatureExtractor, WhisperFeatureExtractor  # noqa: E402
from transformers.audio_utils import mel_filter_bank  # noqa: E402


def speak(path, text):
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        sys.exit("espeak-ng is not installed (tools/setup.sh --test installs it)")
    subprocess.run([espeak, "-w", path, text], check=True)
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float64) / 32768.0, rate


def ideal_resample(x, src, dst):
    """Band-limited resampling by the FFT: the spectrum cut or zero-extended at the Nyquist bin.
    The signal is zero-padded to a whole number of output samples first, so that both sample
    grids span the same time exactly (otherwise the output drifts by up to half a sample)."""
    step = src // np.gcd(src, dst)
    m = -(-len(x) // step) * step
    n_out = m * dst // src
    X = np.fft.rfft(np.concatenate([x, np.zeros(m - len(x))]))
    Y = np.zeros(n_out // 2 + 1, dtype=complex)
    k = min(len(X), len(Y))
    Y[:k] = X[:k]
    return (np.fft.irfft(Y, n_out) * (n_out / m))[: int(round(len(x) * dst / src))]


def lowpass(x, cut, rate=16000):
    """x with every frequency above `cut` removed (ideal FFT filter)."""
    X = np.fft.rfft(x)
    X[np.fft.rfftfreq(len(x), 1.0 / rate) > cut] = 0
    return np.fft.irfft(X, len(x))


def snr_db(x, ref):
    inner = slice(1600, len(ref) - 1600)  # 0.1 s in from each end
    return 10 * np.log10(np.sum(ref[inner] ** 2) / np.sum((x[inner] - ref[inner]) ** 2))


def parakeet_float64(fe, samples):
    """ParakeetFeatureExtractor's computation for one utterance, in float64 throughout."""
    x = samples.astype(np.float64)
    x = np.concatenate([x[:1], x[1:] - fe.preemphasis * x[:-1]])
    n_fft, hop, win = fe.n_fft, fe.hop_length, fe.win_length
    window = np.zeros(n_fft)
    window[(n_fft - win) // 2: (n_fft - win) // 2 + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / (win - 1))
    padded = np.pad(x, n_fft // 2)
    frames = 1 + len(x) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(padded[idx] * window, axis=1)) ** 2
    bank = mel_filter_bank(num_frequency_bins=n_fft // 2 + 1, num_mel_filters=fe.feature_size, min_frequency=0.0,
                           max_frequency=fe.sampling_rate / 2, sampling_rate=fe.sampling_rate, norm="slaney", mel_scale="slaney")
    mel = np.log(power @ bank + 2.0 ** -24)  # [frames, mels]
    valid = (len(x) + n_fft // 2 * 2 - n_fft) // hop
    mean = mel[:valid].mean(axis=0)
    std = np.sqrt(((mel[:valid] - mean) ** 2).sum(axis=0) / (valid - 1))
    out = (mel - mean) / (std + 1e-5)
    out[valid:] = 0
    return out[None]


def write_wav(path, channels_data, rate, kind):
    """channels_data: [channels, n] floats in [-1, 1). kind: pcm16, pcm24, pcm32 or float32."""
    x = np.clip(np.asarray(channels_data), -1.0, 1.0 - 1e-9).T  # [n, channels]
    n, ch = x.shape
    if kind == "float32":
        data, fmt, bits = x.astype("<f4").tobytes(), 3, 32
        stored = x.astype(np.float32).astype(np.float64)
    else:
        bits = int(kind[3:])
        q = np.round(x * 2.0 ** (bits - 1)).clip(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1).astype(np.int64)
        stored = q / 2.0 ** (bits - 1)
        b = np.ascontiguousarray(q.astype("<i4")).view(np.uint8).reshape(n, ch, 4)[:, :, : bits // 8]
        data, fmt = b.tobytes(), 1
    block = ch * bits // 8
    fmt_chunk = (fmt.to_bytes(2, "little") + ch.to_bytes(2, "little") + rate.to_bytes(4, "little") +
                 (rate * block).to_bytes(4, "little") + block.to_bytes(2, "little") + bits.to_bytes(2, "little"))
    body = b"WAVE" + b"fmt " + len(fmt_chunk).to_bytes(4, "little") + fmt_chunk + b"data" + len(data).to_bytes(4, "little") + data
    with open(path, "wb") as f:
        f.write(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return stored.mean(axis=1)  # the mono signal the runtime should read (the channels' mean)


speech, espeak_rate = speak(os.path.join(WORK, "espeak.wav"), "The quick brown fox jumps over the lazy dog, and speech comes in.")
files = {"espeak 22050 Hz pcm16 mono": (os.path.join(WORK, "espeak.wav"), speech, espeak_rate)}
for rate, kind, stereo in [(16000, "pcm16", False), (44100, "pcm24", True), (48000, "float32", False), (8000, "pcm32", False)]:
    x = ideal_resample(speech, espeak_rate, rate)
    chans = [x, 0.5 * x] if stereo else [x]
    label = f"{rate} Hz {kind} {'stereo' if stereo else 'mono'}"
    path = os.path.join(WORK, label.replace(" ", "_") + ".wav")
    files[label] = (path, write_wav(path, chans, rate, kind), rate)

extractors = {
    "whisper80": WhisperFeatureExtractor(feature_size=80),
    "whisper128": WhisperFeatureExtractor(feature_size=128),
    "parakeet128": ParakeetFeatureExtractor(feature_size=128),
    "parakeet80": ParakeetFeatureExtractor(feature_size=80),
}
for name, fe in extractors.items():
    fe.save_pretrained(os.path.join(WORK, name))


def run_tool(wav, config, out):
    return subprocess.run([TOOL, wav, config, out], capture_output=True, text=True)


for label, (path, mono, rate) in files.items():
    for name, fe in extractors.items():
        out = os.path.join(WORK, "out", label.replace(" ", "_"), name)
        r = run_tool(path, os.path.join(WORK, name, "preprocessor_config.json"), out)
        if r.returncode != 0:
            check(f"{label} {name}: runs", False, r.stderr.strip())
            continue
        ours = np.load(os.path.join(out, "samples.npy")).astype(np.float64)
        if name == "whisper80":  # the samples are the same for every extractor (all at 16 kHz)
            if rate == 16000:
                check(f"{label}: samples are the file's", np.array_equal(ours, mono.astype(np.float32)),
                      f"max diff {np.abs(ours - mono).max() if len(ours) == len(mono) else 'lengths differ'}")
            else:
                ref = ideal_resample(mono, rate, 16000)
                n = min(len(ref), len(ours))
                band = 0.93 * min(rate, 16000) / 2
                snr_band = snr_db(lowpass(ours[:n], band), lowpass(ref[:n], band))
                check(f"{label}: resampled to 16 kHz, {len(ours)} samples (ideal {len(ref)})", abs(len(ours) - len(ref)) <= 2 and snr_band >= 80,
                      f"SNR vs ideal band-limited resampling: {snr_band:.1f} dB below {band:.0f} Hz, "
                      f"{snr_db(ours[:n], ref[:n]):.1f} dB over the whole band (the filter's roll-off above)")
        want = fe(ours.astype(np.float32), sampling_rate=16000, return_tensors="np")["input_features"]
        got = np.load(os.path.join(out, "features.npy"))
        same_shape = got.shape == want.shape
        diff = float(np.abs(got - want).max()) if same_shape else float("inf")
        detail = f"max abs diff {diff:.2e}" + ("" if same_shape else f", transformers' shape {list(want.shape)}")
        ok = same_shape and diff <= 1e-4
        if same_shape and name.startswith("parakeet"):
            # float64 arbiter (as PyTorch's test_ops judges float32 against float64): a mel
            # channel that holds only rounding noise (above 4 kHz in the 8 kHz file) has a
            # tiny variance, and normalizing it magnifies torch's float32 STFT noise
            exact = parakeet_float64(fe, ours)
            ours64, theirs64 = float(np.abs(got - exact).max()), float(np.abs(want - exact).max())
            detail += f"; from float64: ours {ours64:.2e}, transformers' {theirs64:.2e}"
            ok = ok or (ours64 <= 1e-4 and ours64 <= theirs64)
        check(f"{label} {name}: features {list(got.shape)} match transformers' to 1e-4", ok, detail)

# not a WAV: the error names the file
bad = os.path.join(WORK, "notes.wav")
with open(bad, "w") as f:
    f.write("these are notes, not audio\n")
r = run_tool(bad, os.path.join(WORK, "whisper80", "preprocessor_config.json"), os.path.join(WORK, "out", "bad"))
check("a text file named .wav is refused with its name", r.returncode == 1 and bad in r.stderr and "not a WAV file" in r.stderr,
      r.stderr.strip())
finish()
