"""The host benchmark's own measuring tools (bench/hosts.py, run by `cargo xtask bench`): its
signal is deterministic and its 16x true-peak reference reads inter-sample peaks correctly.
Cheap (under a second); the benchmark itself is not part of the test suite."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import hosts  # noqa: E402


def test_signal_is_deterministic_stereo_and_peaks_at_minus_2_dbfs():
    a = hosts.music_like(seconds=3.0)
    b = hosts.music_like(seconds=3.0)
    assert a.shape == (2, 3 * hosts.SR) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert abs(hosts.db(float(np.max(np.abs(a)))) + 2.0) < 1e-4
    assert not np.array_equal(a[0], a[1])


def test_true_peak_reference_finds_the_peak_between_samples():
    # fs/4 at 45 degrees: every sample sits at 0.707 of the sine's peak (-3.01 dB), the
    # classic inter-sample over (ITU-R BS.1770-4 Annex 2).
    n = np.arange(48_000)
    x = 0.5 * np.sin(np.pi / 2 * n + np.pi / 4)
    assert abs(hosts.db(float(np.max(np.abs(x)))) - hosts.db(0.5 / np.sqrt(2))) < 1e-6
    tp = hosts.true_peak_16x(x[None, :])
    assert abs(hosts.db(tp) - hosts.db(0.5)) < 0.01, hosts.db(tp)
