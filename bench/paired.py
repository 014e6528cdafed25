"""Two builds of one plugin side by side: `bench/hosts.py`'s entry `KEY` loaded from bundle
directory A and from B, each in a fresh pedalboard process, alternating A B A B, timed in CPU
time (`time.process_time`), so a change's own speed-up can be read apart from the machine's
drifting state (README, Speed). Pin it to one core for steadier pairs:

    taskset -c 1 .venv/bin/python bench/paired.py OLD_BUNDLES NEW_BUNDLES maximizer --pairs 5

Prints ns per stereo sample for each run and each pair's ratio A / B (above 1: B is faster).
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hosts  # noqa: E402


def one_run(bundles: Path, key: str, seconds: float, reps: int) -> float:
    """ns per stereo sample of `reps` passes over `seconds` of the bench's audio, after one
    warm-up pass (the entry's own drive applies, as in `hosts.measure`)."""
    entry = next(e for e in hosts.entries(bundles, None) if e.key == key)
    plugin = entry.make()
    x = hosts.music_like(seconds)
    if entry.limiter:
        x = (x * 10 ** (hosts.LIMITER_DRIVE_DB / 20)).astype(np.float32)
    plugin(x, hosts.SR, buffer_size=hosts.BLOCK, reset=True)
    t = time.process_time()
    for _ in range(reps):
        plugin(x, hosts.SR, buffer_size=hosts.BLOCK, reset=True)
    return (time.process_time() - t) / reps / (seconds * hosts.SR) * 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path, help="bundle directory of the first build")
    ap.add_argument("b", type=Path, help="bundle directory of the second build")
    ap.add_argument("key", help="entry key in bench/hosts.py, e.g. maximizer")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--one", nargs=1, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(one_run(args.one[0], args.key, args.seconds, args.reps))
        return
    ratios = []
    for p in range(args.pairs):
        ns = []
        for bundles in (args.a, args.b):
            # A fresh process a run: both builds define the same plugin, and no run inherits
            # the other's caches or allocations.
            cmd = [sys.executable, __file__, str(args.a), str(args.b), args.key, "--one", str(bundles)]
            cmd += ["--seconds", str(args.seconds), "--reps", str(args.reps)]
            ns.append(float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()[-1]))
        ratios.append(ns[0] / ns[1])
        print(f"pair {p + 1}: A {ns[0]:.2f} ns, B {ns[1]:.2f} ns, A / B {ratios[-1]:.3f}")
    print(f"A / B: {min(ratios):.3f}-{max(ratios):.3f}, median {float(np.median(ratios)):.3f}")


if __name__ == "__main__":
    main()
