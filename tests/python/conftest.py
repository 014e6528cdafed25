"""Shared fixtures of the VST3 host tests (pedalboard, DawDreamer, Ardour).

The bundles come from LATHE_BUNDLES (default: <repo>/target/bundled, where
`cargo xtask bundle-all --debug` puts them). A missing bundle or host is a failure, never a
skip: these tests exist to prove the plugins work in real hosts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lathe_params import PLUGINS  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SR = 48000
HOST_VERSIONS: dict[str, str] = {}
MEASUREMENTS: list[str] = []


def bundle_dir() -> Path:
    return Path(os.environ.get("LATHE_BUNDLES", REPO / "target" / "bundled"))


def bundle_path(key: str) -> Path:
    name = PLUGINS[key][0]
    p = bundle_dir() / f"{name}.vst3"
    if not p.is_dir():
        pytest.fail(
            f"{p} is missing: run `cargo xtask bundle-all --debug` (or set LATHE_BUNDLES)",
            pytrace=False,
        )
    return p


def record(line: str) -> None:
    """A measured figure, printed in the summary at the end of the run."""
    MEASUREMENTS.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter):
    if HOST_VERSIONS:
        terminalreporter.section("VST3 hosts")
        for k, v in sorted(HOST_VERSIONS.items()):
            terminalreporter.write_line(f"{k}: {v}")
    if MEASUREMENTS:
        terminalreporter.section("measurements")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)


@pytest.fixture(params=list(PLUGINS), ids=list(PLUGINS))
def plugin_key(request) -> str:
    return request.param


# ---------------------------------------------------------------------------------------------
# Deterministic test signals


def music(seconds: float = 4.0, sr: int = SR, level_db: float = -12.0, seed: int = 1) -> np.ndarray:
    """A stereo mix-like signal: kick, snare, bass line and chords at 120 BPM, normalised to a
    peak of `level_db` dBFS. Deterministic (seeded noise). Shape (2, n), float32."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    beat = 0.5
    out = np.zeros((2, n))
    # kick on every beat: a pitch-dropping sine with a fast decay
    for k in range(int(seconds / beat) + 1):
        s = int(k * beat * sr)
        m = min(n - s, int(0.3 * sr))
        if m <= 0:
            break
        tt = np.arange(m) / sr
        f = 50 + 100 * np.exp(-tt * 30)
        ph = 2 * np.pi * np.cumsum(f) / sr
        out[:, s:s + m] += 0.9 * np.sin(ph) * np.exp(-tt * 8)
    # snare on beats 2 and 4: noise burst plus a tone, panned a little right
    for k in range(int(seconds / beat) + 1):
        if k % 2 == 0:
            continue
        s = int(k * beat * sr)
        m = min(n - s, int(0.2 * sr))
        if m <= 0:
            break
        tt = np.arange(m) / sr
        burst = (rng.standard_normal(m) * 0.5 + 0.3 * np.sin(2 * np.pi * 190 * tt)) * np.exp(-tt * 18)
        out[0, s:s + m] += 0.8 * burst
        out[1, s:s + m] += 1.0 * burst
    # bass line: eighth notes, saw-ish
    notes = [41.2, 41.2, 55.0, 49.0, 41.2, 61.7, 55.0, 49.0]
    step = beat / 2
    for k in range(int(seconds / step) + 1):
        s = int(k * step * sr)
        m = min(n - s, int(step * sr))
        if m <= 0:
            break
        tt = np.arange(m) / sr
        f = notes[k % len(notes)]
        saw = sum(np.sin(2 * np.pi * f * h * tt) / h for h in range(1, 8))
        env = np.minimum(1, tt / 0.005) * np.exp(-tt * 3)
        out[:, s:s + m] += 0.35 * saw * env
    # chords: one per bar, sustained, left/right detuned
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (196.0, 246.9, 293.7)]
    bar = 4 * beat
    for k in range(int(seconds / bar) + 1):
        s = int(k * bar * sr)
        m = min(n - s, int(bar * sr))
        if m <= 0:
            break
        tt = np.arange(m) / sr
        env = np.minimum(1, tt / 0.05) * np.minimum(1, (bar - tt) / 0.05)
        for i, f in enumerate(chords[k % len(chords)]):
            out[0, s:s + m] += 0.12 * np.sin(2 * np.pi * f * tt + i) * env
            out[1, s:s + m] += 0.12 * np.sin(2 * np.pi * f * 1.003 * tt + 2 * i) * env
    out *= 10 ** (level_db / 20) / np.max(np.abs(out))
    return out.astype(np.float32)


def sine(seconds: float, freq: float = 1000.0, level_db: float = -18.0, sr: int = SR) -> np.ndarray:
    """A stereo sine with its peak at `level_db` dBFS, shape (2, n) float32."""
    t = np.arange(int(seconds * sr)) / sr
    x = 10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)
    return np.stack([x, x]).astype(np.float32)


def db(x: float) -> float:
    return 20 * np.log10(max(float(x), 1e-12))


def rms_db(x: np.ndarray) -> float:
    return db(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)))


def envelope_db(x: np.ndarray, win: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """RMS level in dB of the first channel over windows of `win` samples every `hop`;
    returns (window centre sample, level dB re full-scale sine)."""
    x = np.asarray(x[0] if x.ndim == 2 else x, dtype=np.float64)
    starts = np.arange(0, len(x) - win + 1, hop)
    levels = np.array([np.sqrt(2 * np.mean(x[s:s + win] ** 2)) for s in starts])
    return starts + win / 2, 20 * np.log10(np.maximum(levels, 1e-12))


def delay_by_xcorr(x: np.ndarray, y: np.ndarray, max_lag: int = 4096) -> int:
    """The lag (samples) of `y` behind `x` that maximises their cross-correlation (FFT based,
    first channel)."""
    a = np.asarray(x[0] if x.ndim == 2 else x, dtype=np.float64)
    b = np.asarray(y[0] if y.ndim == 2 else y, dtype=np.float64)
    n = len(a) + len(b)
    size = 1 << (n - 1).bit_length()
    c = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    vals = np.concatenate([c[: max_lag + 1], c[-max_lag:]])
    return int(lags[np.argmax(vals)])
