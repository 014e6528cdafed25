"""The host-level speed comparison of issue 6: Lathe's VST3s against pedalboard's built-ins and
Debian's zam-plugins, in ONE pedalboard process, on the same deterministic music-like audio.

Run by `cargo xtask bench` (which builds the release bundles, installs zam-plugins and runs the
256-instance scale test first); by hand:

    .venv/bin/python bench/hosts.py --bundles target/bundled --out docs [--rounds 7]

Method: 60 s of stereo 48 kHz audio (`music_like`, fixed seed) is processed in 512-sample
blocks (`plugin(audio, 48000, buffer_size=512, reset=True)`) by every processor once per round;
rounds alternate the order (A B C ... then ... C B A), so slow drifts of a shared machine hit
every processor alike. The realtime factor of a processor is 60 s divided by its median
wall time; ratios are taken between medians of the same run. The limiters also get their
true-peak overs measured at 16x oversampling.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

SR = 48_000
BLOCK = 512
SECONDS = 60.0
SEED = 20_261_121
# Input drive of the limiters: the mix is limited with ~5 dB of peak reduction at -1 dBFS.
LIMITER_DRIVE_DB = 6.0
CEILING_DB = -1.0


def music_like(seconds: float = SECONDS, sr: int = SR, seed: int = SEED) -> np.ndarray:
    """A deterministic stereo mix at 120 BPM: kick, snare, hi-hats, a bass line and a chord pad,
    panned apart, at the level of a mixed track before mastering (RMS -21.7 dBFS, sample peaks
    at -2 dBFS). Returns float32 of shape (2, n)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    beat = 0.5
    left = np.zeros(n)
    right = np.zeros(n)

    def hit(dst: list[np.ndarray], start: float, sound: np.ndarray, gains: tuple[float, float]):
        i = int(start * sr)
        m = min(len(sound), n - i)
        if m > 0:
            for d, g in zip(dst, gains):
                d[i : i + m] += g * sound[:m]

    tk = np.arange(int(0.35 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * tk + 70 * 0.04 * (1 - np.exp(-tk / 0.04)))) * np.exp(-tk / 0.09)
    ts = np.arange(int(0.25 * sr)) / sr
    hat_len = int(0.05 * sr)
    steps = int(seconds / beat)
    for k in range(steps):
        start = k * beat
        hit([left, right], start, 0.9 * kick, (1.0, 1.0))
        if k % 2 == 1:
            snare = (0.6 * rng.standard_normal(len(ts)) + 0.5 * np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts / 0.06)
            hit([left, right], start, 0.45 * snare, (0.9, 1.0))
        for h in range(2):
            noise = rng.standard_normal(hat_len)
            hat = np.diff(noise, prepend=0.0) * np.exp(-np.arange(hat_len) / (0.012 * sr))
            hit([left, right], start + h * beat / 2, 0.08 * hat, (0.6, 1.0))

    # Bass: a saw-like tone (six harmonics) following a four-bar line, re-triggered per beat.
    roots = np.array([55.0, 55.0, 65.41, 49.0])
    bar = (t // (4 * beat)).astype(int) % 4
    f0 = roots[bar]
    phase = 2 * np.pi * np.cumsum(f0) / sr
    env = np.exp(-(t % beat) / 0.3)
    bass = sum(np.sin(k * phase) / k for k in range(1, 7)) * env
    left += 0.25 * bass
    right += 0.25 * bass

    # Pad: a triad per bar with two harmonics each, slowly swelling, wider in the right channel.
    chords = np.array([[220.0, 277.18, 329.63], [246.94, 311.13, 369.99], [261.63, 329.63, 392.0], [196.0, 246.94, 293.66]])
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 7.0)
    for voice in range(3):
        f = chords[bar, voice]
        ph = 2 * np.pi * np.cumsum(f) / sr
        tone = (np.sin(ph) + 0.3 * np.sin(2 * ph + 0.5) + 0.1 * np.sin(3 * ph)) * swell
        left += 0.05 * tone * (1.2 - 0.2 * voice)
        right += 0.05 * tone * (0.8 + 0.2 * voice)

    mix = np.stack([left, right])
    mix *= 10 ** (-2.0 / 20) / np.max(np.abs(mix))
    return mix.astype(np.float32)


def true_peak_16x(x: np.ndarray) -> float:
    """Largest absolute value of `x` (channels, n) reconstructed at 16x: a 16 x 48-tap
    Kaiser-windowed sinc interpolator (beta 10, stop band below -100 dB) evaluated phase by
    phase, the reference the README's limiter tests use (BS.1770-4 Annex 2 asks for >= 4x)."""
    up, taps = 16, 48
    # Odd length, centred on an integer: phase p interpolates exactly p/16 of a sample on.
    k = np.arange(up * taps + 1) - up * taps // 2
    h = np.sinc(k / up) * np.kaiser(up * taps + 1, 10.0)
    peak = 0.0
    for ch in np.atleast_2d(x).astype(np.float64):
        for p in range(up):
            hp = h[p::up]
            hp = hp / hp.sum()
            peak = max(peak, float(np.max(np.abs(np.convolve(ch, hp, mode="valid")))))
    return peak


def db(x: float) -> float:
    return 20 * math.log10(max(x, 1e-30))


def rms_db(x: np.ndarray) -> float:
    return db(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))))


@dataclass
class Entry:
    key: str
    label: str
    family: str  # "lathe", "pedalboard", "zam", "reference"
    settings: str
    make: Callable[[], object]
    limiter: bool = False
    plugin: object = None
    times: list[float] = field(default_factory=list)
    output: np.ndarray | None = None

    @property
    def realtime(self) -> float:
        return SECONDS / float(np.median(self.times))


class DualMono:
    """A mono-only plugin (ZamEQ2) on a stereo signal: one instance per channel, as a DAW runs
    it on a stereo track."""

    def __init__(self, make):
        self.instances = [make(), make()]

    def __call__(self, x, sample_rate, buffer_size, reset):
        return np.stack(
            [p(x[c : c + 1], sample_rate, buffer_size=buffer_size, reset=reset)[0] for c, p in enumerate(self.instances)]
        )


def set_params(plugin, values: dict[str, object]):
    for name, value in values.items():
        if not hasattr(plugin, name):
            raise SystemExit(f"{plugin}: no parameter {name}; it has {list(plugin.parameters)}")
        setattr(plugin, name, value)
    return plugin


def entries(bundles: Path, zam: Path | None) -> list[Entry]:
    import pedalboard as pb

    def lathe(name: str, values: dict[str, object]):
        return lambda: set_params(pb.load_plugin(str(bundles / f"Lathe {name}.vst3")), values)

    def zamp(name: str, values: dict[str, object]):
        return lambda: set_params(pb.load_plugin(str(zam / f"{name}.vst3")), values)

    e = [
        Entry("reference", "pedalboard Gain 0 dB", "reference", "host + buffer overhead", lambda: pb.Gain(0.0)),
        Entry(
            "channel_strip",
            "Lathe Channel Strip",
            "lathe",
            "HPF 80 Hz 12 dB/oct; LF shelf +3 dB, LMF -2 dB, HMF +2 dB, HF shelf +3 dB; "
            "compressor -24 dB 3:1",
            lathe(
                "Channel Strip",
                {
                    "hpf": True,
                    "lf_gain": 3.0,
                    "lmf_gain": -2.0,
                    "hmf_gain": 2.0,
                    "hf_gain": 3.0,
                    "compressor": True,
                    "comp_threshold": -24.0,
                },
            ),
        ),
        Entry(
            "pb_eq",
            "pedalboard 4-band EQ",
            "pedalboard",
            "LowShelf 100 Hz +3, Peak 400 Hz -2, Peak 2.5 kHz +2, HighShelf 8 kHz +3",
            lambda: pb.Pedalboard(
                [
                    pb.LowShelfFilter(100.0, 3.0, 0.707),
                    pb.PeakFilter(400.0, -2.0, 1.0),
                    pb.PeakFilter(2500.0, 2.0, 1.0),
                    pb.HighShelfFilter(8000.0, 3.0, 0.707),
                ]
            ),
        ),
        Entry(
            "bus_glue",
            "Lathe Bus Glue",
            "lathe",
            "threshold -20 dB, 4:1, attack 10 ms, release Auto",
            lathe("Bus Glue", {"threshold": -20.0, "ratio": "4:1"}),
        ),
        Entry(
            "pb_comp",
            "pedalboard Compressor",
            "pedalboard",
            "threshold -20 dB, 4:1, attack 10 ms, release 100 ms",
            lambda: pb.Compressor(threshold_db=-20.0, ratio=4.0, attack_ms=10.0, release_ms=100.0),
        ),
        Entry(
            "maximizer",
            "Lathe Maximizer",
            "lathe",
            f"input +{LIMITER_DRIVE_DB:.0f} dB, ceiling {CEILING_DB:.0f} dB, true peak on, 2 ms lookahead",
            lathe("Maximizer", {"true_peak": True, "ceiling": CEILING_DB}),
            limiter=True,
        ),
        Entry(
            "pb_limiter",
            "pedalboard BrickwallLimiter (true peak)",
            "pedalboard",
            f"input +{LIMITER_DRIVE_DB:.0f} dB, ceiling {CEILING_DB:.0f} dB, true_peak=True, 2 ms lookahead",
            lambda: pb.BrickwallLimiter(ceiling_db=CEILING_DB, release_ms=100.0, lookahead_ms=2.0, true_peak=True),
            limiter=True,
        ),
        Entry(
            "reverb",
            "Lathe Reverb",
            "lathe",
            "default Hall, 2 s, mix 25 % (default)",
            lathe("Reverb", {}),
        ),
        Entry(
            "pb_reverb",
            "pedalboard Reverb",
            "pedalboard",
            "defaults (freeverb, wet 0.33, dry 0.4)",
            lambda: pb.Reverb(),
        ),
    ]
    if zam is not None:
        e += [
            Entry(
                "zam_eq",
                "ZamEQ2",
                "zam",
                "peaks 400 Hz -2 / 2.5 kHz +2, shelves 100 Hz +3 / 8 kHz +3; mono, so two instances",
                lambda: DualMono(zamp(
                    "ZamEQ2",
                    {
                        "boost_cut_1_db": -2.0,
                        "frequency_1_hz": 400.0,
                        "boost_cut_2_db": 2.0,
                        "frequency_2_hz": 2500.0,
                        "boost_cut_l_db": 3.0,
                        "frequency_l_hz": 100.0,
                        "boost_cut_h_db": 3.0,
                        "frequency_h_hz": 8000.0,
                    },
                )),
            ),
            Entry(
                "zam_comp",
                "ZamCompX2",
                "zam",
                "threshold -20 dB, 4:1, attack 10 ms, release 80 ms, knee 6 dB",
                zamp("ZamCompX2", {"threshold_db": -20.0, "ratio": 4.0, "knee_db": 6.0}),
            ),
            Entry(
                "zam_maxim",
                "ZaMaximX2",
                "zam",
                f"input +{LIMITER_DRIVE_DB:.0f} dB, ceiling {CEILING_DB:.0f} dB, threshold 0 dB",
                zamp("ZaMaximX2", {"output_ceiling_db": CEILING_DB}),
                limiter=True,
            ),
            Entry("zam_verb", "ZamVerb", "zam", "defaults", zamp("ZamVerb", {})),
        ]
    return e


# (plugin, peer, minimum ratio of realtime factors); None: reported, no target.
TARGETS = [
    ("channel_strip", "pb_eq", 1.2),
    ("channel_strip", "zam_eq", None),
    ("bus_glue", "pb_comp", 1.5),
    ("bus_glue", "zam_comp", None),
    ("maximizer", "pb_limiter", 2.0),
    ("maximizer", "zam_maxim", 20.0),
    ("reverb", "pb_reverb", 1.5),
    ("reverb", "zam_verb", None),
]


def measure(es: list[Entry], audio: np.ndarray, rounds: int, log=print) -> None:
    hot = (audio * 10 ** (LIMITER_DRIVE_DB / 20)).astype(np.float32)
    for r in range(rounds):
        order = es if r % 2 == 0 else es[::-1]
        for e in order:
            x = hot if e.limiter else audio
            t0 = time.perf_counter()
            y = e.plugin(x, SR, buffer_size=BLOCK, reset=True)
            e.times.append(time.perf_counter() - t0)
            if r == 0:
                e.output = y
        log(f"round {r + 1}/{rounds}: " + ", ".join(f"{e.key} {SECONDS / e.times[-1]:.0f}x" for e in es))


def results(es: list[Entry], audio: np.ndarray, scale: dict | None) -> dict:
    by = {e.key: e for e in es}
    rows = []
    for e in es:
        y = e.output
        row = {
            "key": e.key,
            "label": e.label,
            "family": e.family,
            "settings": e.settings,
            "realtime": e.realtime,
            "median_s": float(np.median(e.times)),
            "rounds": len(e.times),
            "finite": bool(np.all(np.isfinite(y))),
            "rms_change_db": rms_db(y) - rms_db(audio) if not e.limiter else None,
        }
        if e.limiter:
            tp = true_peak_16x(y)
            row["true_peak_dbtp"] = db(tp)
            row["over_ceiling_db"] = db(tp) - CEILING_DB
        rows.append(row)
    ratios = []
    for a, b, target in TARGETS:
        if a in by and b in by:
            ratio = by[a].realtime / by[b].realtime
            ratios.append({"plugin": a, "peer": b, "ratio": ratio, "target": target, "pass": None if target is None else ratio >= target})
    return {"seconds": SECONDS, "block": BLOCK, "sample_rate": SR, "rows": rows, "ratios": ratios, "scale": scale}


def markdown(res: dict) -> str:
    rows = {r["key"]: r for r in res["rows"]}
    out = [
        f"Realtime factors in one pedalboard process: {res['seconds']:.0f} s of stereo "
        f"{res['sample_rate'] // 1000} kHz music-like audio, {res['block']}-sample blocks, median of "
        f"{res['rows'][0]['rounds']} interleaved rounds (`cargo xtask bench`).",
        "",
        "| plugin | peer | realtime factor | peer's | ratio | target | |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for q in res["ratios"]:
        a, b = rows[q["plugin"]], rows[q["peer"]]
        verdict = "" if q["target"] is None else ("pass" if q["pass"] else "**FAIL**")
        target = "" if q["target"] is None else f">= {q['target']:g}x"
        out.append(
            f"| {a['label']} | {b['label']} | {a['realtime']:.0f}x | {b['realtime']:.0f}x | "
            f"{q['ratio']:.2f}x | {target} | {verdict} |"
        )
    s = res.get("scale")
    if s:
        verdict = "pass" if s["realtime"] > 1.0 else "**FAIL**"
        out.append(
            f"| {s['instances']} x Lathe Channel Strip, {s['block']}-sample blocks, one core (CLAP) | "
            f"real time | {s['realtime']:.2f}x | 1x | {s['realtime']:.2f}x | > 1x | {verdict} |"
        )
    out += ["", "| processor | settings | realtime factor | what it did |", "|---|---|---:|---|"]
    for r in res["rows"]:
        if "true_peak_dbtp" in r:
            did = f"true peak {r['true_peak_dbtp']:+.2f} dBTP (16x), {r['over_ceiling_db']:+.2f} dB vs ceiling"
        elif r["rms_change_db"] is not None:
            did = f"RMS {r['rms_change_db']:+.2f} dB"
        else:
            did = ""
        if not r["finite"]:
            did += " NON-FINITE OUTPUT"
        out.append(f"| {r['label']} | {r['settings']} | {r['realtime']:.0f}x | {did} |")
    return "\n".join(out) + "\n"


def chart(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"lathe": "#d9822b", "pedalboard": "#4a7ab7", "zam": "#7d8b99", "reference": "#c8c8c8"}
    rows = res["rows"][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(rows) + 1.2), dpi=110)
    ax.barh([r["label"] for r in rows], [r["realtime"] for r in rows], color=[colors[r["family"]] for r in rows])
    ax.set_xscale("log")
    ax.set_xlabel(f"realtime factor (log scale), pedalboard, {res['block']}-sample blocks, 48 kHz stereo")
    for i, r in enumerate(rows):
        ax.text(r["realtime"] * 1.05, i, f"{r['realtime']:.0f}x", va="center", fontsize=8)
    ax.set_title("Lathe (orange) vs pedalboard built-ins (blue) and zam-plugins (grey)")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_xlim(right=max(r["realtime"] for r in rows) * 3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundles", type=Path, required=True, help="folder with the Lathe .vst3 bundles (release)")
    ap.add_argument("--zam", type=Path, default=Path("/usr/lib/vst3"), help="zam-plugins VST3 folder")
    ap.add_argument("--no-zam", action="store_true")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True, help="folder for bench-hosts.{md,png,json}")
    ap.add_argument("--scale", type=Path, help="JSON of the 256-instance scale run, to include")
    ap.add_argument(
        "--only",
        choices=sorted({a for a, _, _ in TARGETS}),
        help="measure one Lathe plugin against its peers (and the reference) only, for quick checks while optimising",
    )
    a = ap.parse_args(argv)

    audio = music_like()
    print(f"signal: {SECONDS:.0f} s, RMS {rms_db(audio):.1f} dBFS, peak {db(float(np.max(np.abs(audio)))):.1f} dBFS")
    es = entries(a.bundles, None if a.no_zam else a.zam)
    if a.only:
        keep = {"reference", a.only} | {b for p, b, _ in TARGETS if p == a.only}
        es = [e for e in es if e.key in keep]
    for e in es:
        t0 = time.perf_counter()
        e.plugin = e.make()
        print(f"loaded {e.label} in {time.perf_counter() - t0:.1f} s")
    measure(es, audio, a.rounds)
    scale = json.loads(a.scale.read_text()) if a.scale else None
    res = results(es, audio, scale)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "bench-hosts.json").write_text(json.dumps(res, indent=1) + "\n")
    md = markdown(res)
    (a.out / "bench-hosts.md").write_text(md)
    chart(res, a.out / "bench-hosts.png")
    print(md)
    failed = [q for q in res["ratios"] if q["pass"] is False]
    if scale and scale["realtime"] <= 1.0:
        failed.append(scale)
    if failed:
        print(f"{len(failed)} target(s) missed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
