"""Drives headless Ardour 7 (ardour7-lua on the Dummy backend) for the session tests.

Ardour's headless tools cannot import audio, set the session range or scan plugins, so this
module does those parts itself: it indexes the bundles with Ardour's VST3 scanner (into a
private HOME), creates the session with tests/ardour/create_session.lua, adds the source files,
regions and session range to the session XML, and renders with tests/ardour/render.lua
(Track:bounce_range).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

LUA_DIR = Path(__file__).resolve().parent.parent / "ardour"
SR = 48000
SUPERCLOCK = 282240000  # Ardour 7 superclock ticks per second
SC_PER_SAMPLE = SUPERCLOCK // SR


def ardour_lua() -> str | None:
    for name in ("ardour7-lua", "ardour8-lua", "ardour-lua"):
        p = shutil.which(name)
        if p:
            return p
    return None


def scanner() -> str | None:
    for d in ("/usr/lib/ardour7", "/usr/lib/ardour8"):
        p = Path(d) / "ardour-vst3-scanner"
        if p.exists():
            return str(p)
    return None


def ardour_version() -> str:
    exe = ardour_lua()
    if not exe:
        return "not installed"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    text = (out.stdout + out.stderr).strip().splitlines()
    version = text[0] if text else "unknown"
    pkg = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "ardour"], capture_output=True, text=True)
    if pkg.returncode == 0 and pkg.stdout:
        version += f" (Debian package ardour {pkg.stdout})"
    return version


@dataclass
class Job:
    track: str
    plugin: str  # the name Ardour knows the plugin by
    set: list[tuple[str, float]] = field(default_factory=list)
    automate: tuple[str, list[tuple[int, float]]] | None = None  # (label, [(sample, value)])
    source: np.ndarray | None = None  # (2, n) float32: what the track plays


@dataclass
class Result:
    plugin_name: str
    unique_id: str
    latency: int
    params: list[tuple[int, int, str]]  # (index, parameter number, label)
    automated_points: int | None
    audio: np.ndarray  # (2, n) float32


def _lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run(args: list[str], env: dict, timeout: int, log: Path) -> str:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    log.write_text(f"$ {' '.join(args)}\nrc={proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    if proc.returncode != 0 or "LATHE-OK" not in proc.stdout:
        raise RuntimeError(
            f"{' '.join(args)} failed (rc={proc.returncode}); log in {log}\n"
            + proc.stdout[-3000:] + proc.stderr[-3000:]
        )
    return proc.stdout


def _patch_session(xml_path: Path, audio_dir: Path, jobs: list[Job]):
    """Adds one mono source file per channel of every job's input, one region per track that
    plays them from sample 0, and the session range (Ardour 7 positions are superclock times:
    a<ticks>, lengths a<ticks>@a0)."""
    audio_dir.mkdir(parents=True, exist_ok=True)
    xml = xml_path.read_text()
    m = re.search(r'id-counter="(\d+)"', xml)
    next_id = int(m.group(1)) + 1000
    sources, n_max = [], 0
    for k, job in enumerate(jobs):
        x = job.source
        n = x.shape[1]
        n_max = max(n_max, n)
        src_ids = [next_id + 4 * k, next_id + 4 * k + 1]
        for c in range(2):
            f = f"input-{job.track}-{c}.wav"
            sf.write(audio_dir / f, x[c].astype(np.float32), SR, subtype="FLOAT")
            sources.append(
                f'    <Source name="{f}" type="audio" flags="" id="{src_ids[c]}" captured-for="" '
                f'take-id="" channel="0" origin=""/>\n'
            )
        length = f"a{n * SC_PER_SAMPLE}@a0"
        rid = next_id + 4 * k + 2
        region = (
            f'<Region name="input-{job.track}" muted="0" opaque="1" locked="0" video-locked="0" '
            f'automatic="0" whole-file="0" import="0" external="0" sync-marked="0" '
            f'left-of-split="0" right-of-split="0" hidden="0" position-locked="0" '
            f'valid-transients="0" start="a0" length="{length}" position="a0" '
            f'beat="0" sync-position="a0" ancestral-start="a0" ancestral-length="{length}" '
            f'stretch="1" shift="1" layering-index="0" tags="" envelope-active="0" '
            f'default-fade-in="0" default-fade-out="0" fade-in-active="0" fade-out-active="0" '
            f'scale-amplitude="1" id="{rid}" type="audio" first-edit="nothing" '
            f'source-0="{src_ids[0]}" source-1="{src_ids[1]}" master-source-0="{src_ids[0]}" '
            f'master-source-1="{src_ids[1]}" channels="2"/>'
        )
        pat = re.compile(r'(<Playlist id="\d+" name="' + re.escape(job.track) + r'" type="audio"[^>]*?)/>')
        xml, count = pat.subn(lambda mm: mm.group(1) + ">\n      " + region + "\n    </Playlist>", xml, count=1)
        if count != 1:
            raise RuntimeError(f"no playlist for track {job.track} in {xml_path}")
    xml = xml.replace("<Sources/>", "<Sources>\n" + "".join(sources) + "  </Sources>", 1)
    last = next_id + 4 * len(jobs) + 10
    xml = xml.replace(
        "<Locations/>",
        f'<Locations>\n    <Location id="{last}" name="session" start="a0" '
        f'end="a{n_max * SC_PER_SAMPLE}" flags="IsSessionRange" locked="0" timestamp="0" '
        f'cue="0"/>\n  </Locations>',
        1,
    )
    xml = xml.replace('session-range-is-free="1"', 'session-range-is-free="0"')
    xml = re.sub(r'id-counter="\d+"', f'id-counter="{last + 100}"', xml, count=1)
    xml_path.write_text(xml)
    return n_max


def _scan(home: Path, bundles: list[Path]) -> dict[str, str]:
    """Indexes the bundles into Ardour's scan cache under `home`; returns bundle file name ->
    the plugin name Ardour will know it by."""
    scan = scanner()
    env = dict(os.environ, HOME=str(home), LD_LIBRARY_PATH=str(Path(scan).parent))
    names = {}
    for b in bundles:
        before = set((home / ".cache").rglob("*.v3i")) if (home / ".cache").exists() else set()
        subprocess.run([scan, "-q", "-f", str(b)], env=env, capture_output=True, timeout=120, check=True)
        found = None
        for f in (home / ".cache").rglob("*.v3i"):
            text = f.read_text(errors="replace")
            if f'bundle="{b}"' in text or f'bundle="{b.resolve()}"' in text:
                found = text
        if found is None:
            raise RuntimeError(f"Ardour's VST3 scanner did not index {b}")
        m = re.search(r'<VST3Info [^>]*name="([^"]*)"', found)
        if not m:
            raise RuntimeError(f"Ardour's VST3 scanner found no plugin in {b}:\n{found}")
        names[b.name] = m.group(1)
    return names


def plugin_names(home: Path, bundles: list[Path]) -> dict[str, str]:
    """Bundle stem ("Lathe Reverb") -> the name Ardour's scanner reports for it."""
    home.mkdir(parents=True, exist_ok=True)
    return {Path(k).stem: v for k, v in _scan(home, bundles).items()}


def render(work: Path, bundles: list[Path], jobs: list[Job], timeout: int = 240) -> dict:
    """Renders every job's source through its plugin on its own track; returns the bounced
    audio per track name, and the saved session XML under "_session_xml"."""
    exe = ardour_lua()
    scan = scanner()
    if not exe or not scan:
        raise RuntimeError("Ardour (ardour7-lua and ardour-vst3-scanner) is not installed")
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    env["HOME"] = str(home)
    env["VST3_PATH"] = ":".join(sorted({str(b.parent) for b in bundles}))
    _scan(home, bundles)

    name = "lathe"
    sess_dir = work / name  # Ardour names the interchange folder after the session folder
    tracks = [j.track for j in jobs]
    env.update(LATHE_SESSION_DIR=str(sess_dir), LATHE_SESSION_NAME=name, LATHE_TRACKS=",".join(tracks))
    _run([exe, str(LUA_DIR / "create_session.lua")], env, timeout, work / "create.log")
    n = _patch_session(sess_dir / f"{name}.ardour", sess_dir / "interchange" / name / "audiofiles", jobs)

    lines = [
        f"SESSION_DIR = {_lua_str(str(sess_dir))}",
        f"SESSION_NAME = {_lua_str(name)}",
        f"RANGE_END = {n}",
        "JOBS = {",
    ]
    for j in jobs:
        sets = ", ".join(f"{{{_lua_str(k)}, {float(v)!r}}}" for k, v in j.set)
        auto = "nil"
        if j.automate:
            pts = ", ".join(f"{{{int(s)}, {float(v)!r}}}" for s, v in j.automate[1])
            auto = f"{{ label = {_lua_str(j.automate[0])}, points = {{ {pts} }} }}"
        lines.append(
            f"  {{ track = {_lua_str(j.track)}, plugin = {_lua_str(j.plugin)}, "
            f"bounce = {_lua_str('bounce-' + j.track)}, set = {{ {sets} }}, automate = {auto} }},"
        )
    lines.append("}")
    jobs_file = work / "jobs.lua"
    jobs_file.write_text("\n".join(lines) + "\n")
    env["LATHE_JOBS"] = str(jobs_file)
    out = _run([exe, str(LUA_DIR / "render.lua")], env, timeout, work / "render.log")

    results: dict[str, Result] = {}
    info: dict[str, dict] = {t: {"params": [], "files": {}, "auto": None} for t in tracks}
    for line in out.splitlines():
        if line.startswith("LATHE-PLUGIN "):
            t, pname, uid, lat = line[len("LATHE-PLUGIN "):].split("|")
            info[t].update(name=pname, uid=uid, latency=int(lat))
        elif line.startswith("LATHE-PARAM "):
            t, j, n, label = line[len("LATHE-PARAM "):].split("|", 3)
            info[t]["params"].append((int(j), int(n), label))
        elif line.startswith("LATHE-AUTOMATED "):
            t, _, count = line[len("LATHE-AUTOMATED "):].split("|")
            info[t]["auto"] = int(count)
        elif line.startswith("LATHE-BOUNCE "):
            t, c, path = line[len("LATHE-BOUNCE "):].split("|", 2)
            info[t]["files"][int(c)] = path
    for t in tracks:
        d = info[t]
        if len(d["files"]) != 2:
            raise RuntimeError(f"track {t}: expected 2 bounced channels, got {d['files']}")
        chans = [sf.read(d["files"][c], dtype="float32")[0] for c in range(2)]
        results[t] = Result(d["name"], d["uid"], d["latency"], d["params"], d["auto"], np.stack(chans))
    results["_session_xml"] = (sess_dir / f"{name}.ardour").read_text()
    return results
