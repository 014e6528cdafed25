"""The four plugins' VST3 builds in a headless Ardour 7 session (ardour7-lua, Dummy backend).

One session, one stereo track per plugin, each with the plugin inserted, one parameter
automated, rendered with Track:bounce_range. Ardour silently substitutes a do-nothing stub for
a plugin it cannot load and still renders with exit code 0, so every check is on the audio: the
output must differ from the input in the way the setting predicts.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import ardour_host as ah
from conftest import HOST_VERSIONS, SR, bundle_path, delay_by_xcorr, envelope_db, music, record, rms_db, sine
from lathe_params import PLUGINS, by_id

SECONDS = 3.0
N = int(SECONDS * SR)
RAMP = (int(0.5 * SR), int(2.5 * SR))  # automation ramps between these samples


def _require_ardour():
    if ah.ardour_lua() is None or ah.scanner() is None:
        msg = "Ardour 7 (Debian package `ardour`) is not installed: ardour7-lua is missing"
        if os.environ.get("LATHE_REQUIRE_HOSTS") == "1" or os.environ.get("CI") in ("true", "1"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg + " (cargo xtask test installs it when run as root)")


# Ardour 7.3 bounces in chunks of 8192 samples and hands a plugin one automation value per
# chunk: the automation's value at the chunk's END (measured: a -12 -> +6 dB ramp on Bus Glue's
# Output gives, chunk by chunk, exactly the ramp's value at the end of the chunk, quantized to
# the parameter's 0.1 dB step). Points in between do not split the chunk. So the expected level
# is that staircase, and it is compared where the plugin's smoothing has settled.
ARDOUR_CHUNK = 8192
SETTLE = 1500  # samples after a chunk boundary before the plugin's ~20 ms glide is complete


def ramp_points(lo, hi):
    return [(0, lo), (RAMP[0], lo), (RAMP[1], hi), (N, hi)]


def automation_at(t, lo, hi):
    return np.interp(t, [0, RAMP[0], RAMP[1], N], [lo, lo, hi, hi])


def settled_chunks(lo, hi, step=None):
    """(first sample, end sample, value the plugin runs with) for each bounce chunk, the part
    after the plugin's glide."""
    out = []
    for start in range(0, N, ARDOUR_CHUNK):
        end = min(start + ARDOUR_CHUNK, N)
        v = float(automation_at(end, lo, hi))
        if step:
            v = round(v / step) * step
        if end - start > 2 * SETTLE:
            out.append((start + SETTLE, end, v))
    return out


def level_errors(session, track, lo, hi, step):
    """Per settled chunk: measured output/input level (dB) minus the value Ardour sent."""
    r = session[track]
    x = session["_sources"][track]
    errs = []
    for a, b, v in settled_chunks(lo, hi, step):
        got = rms_db(r.audio[:, a:b]) - rms_db(x[:, a:b])
        errs.append((a, got - v))
    return np.array(errs)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    _require_ardour()
    HOST_VERSIONS["ardour"] = ah.ardour_version()
    bundles = [bundle_path(k) for k in PLUGINS]
    names = ah.plugin_names(tmp_path_factory.mktemp("scan"), bundles)
    tone = sine(SECONDS, 1000.0, -18.0)
    mix = music(SECONDS, level_db=-20.0)
    jobs = [
        # Channel Strip: the output gain ramps -24 -> +6 dB on a steady sine.
        ah.Job("cs", names["Lathe Channel Strip"], source=tone,
               automate=("Output", ramp_points(-24.0, 6.0))),
        # Bus Glue: compressing hard (threshold -40 dB, 4:1), output ramps -12 -> +6 dB.
        ah.Job("bg", names["Lathe Bus Glue"], source=tone,
               set=[("Threshold", -40.0), ("Ratio", 2.0)],
               automate=("Output", ramp_points(-12.0, 6.0))),
        # Maximizer: gain ramps 0 -> +12 dB on music peaking at -20 dBFS (stays under the
        # ceiling), true peak on: Ardour must compensate the latency in the bounce.
        # (Lookahead stays at its 2 ms default: Ardour does not expose non-automatable
        # parameters, so it cannot be set from a session.)
        ah.Job("mx", names["Lathe Maximizer"], source=mix,
               automate=("Gain", ramp_points(0.0, 12.0))),
        # Reverb: mix ramps 0 -> 100 %.
        ah.Job("rv", names["Lathe Reverb"], source=mix, automate=("Mix", ramp_points(0.0, 100.0))),
    ]
    res = ah.render(tmp_path_factory.mktemp("ardour"), bundles, jobs)
    res["_sources"] = {"cs": tone, "bg": tone, "mx": mix, "rv": mix}
    return res


TRACK = {"channel_strip": "cs", "bus_glue": "bg", "maximizer": "mx", "reverb": "rv"}


def test_plugin_loaded_with_frozen_parameters_and_ids(session, plugin_key):
    """Ardour sees the plugin (not a stub), its parameters in the frozen order, and saves them
    under the VST3 IDs nice-plug derives from the frozen string IDs: what session recall and
    automation lanes depend on."""
    name, params = PLUGINS[plugin_key]
    r = session[TRACK[plugin_key]]
    assert r.plugin_name == name
    # Ardour 7 lists (and lets sessions set and automate) only the automatable parameters.
    shown = [p for p in params if p.automatable]
    labels = [label for _, _, label in r.params]
    assert labels == [p.name for p in shown]
    xml = session["_session_xml"]
    m = re.search(r'<Processor [^>]*name="' + re.escape(name) + r'"[^>]*type="vst3".*?</Processor>', xml, re.S)
    assert m, f"{name} is not a VST3 processor in the saved session"
    ids = {int(v) for v in re.findall(r'<Port id="(\d+)"', m.group(0))}
    assert ids == {p.vst3_param_id for p in shown}, (
        f"unexpected: {sorted(ids - {p.vst3_param_id for p in shown})}, "
        f"missing: {sorted({p.vst3_param_id for p in shown} - ids)}"
    )
    hidden = [p.id for p in params if not p.automatable]
    record(f"ardour {plugin_key}: loaded as {r.plugin_name!r} ({r.unique_id}), "
           f"{len(labels)} parameters in order, VST3 IDs = hashes of the frozen string IDs, "
           f"latency {r.latency}" + (f"; not exposed by Ardour: {hidden}" if hidden else ""))


def test_channel_strip_follows_output_automation(session):
    errs = level_errors(session, "cs", -24.0, 6.0, 0.1)
    e = np.abs(errs[:, 1])
    record(f"ardour channel_strip: Output automation -24 -> +6 dB: every 8192-sample chunk's "
           f"level within {e.max():.3f} dB of the value Ardour sent ({len(e)} chunks)")
    assert e.max() < 0.05


def test_bus_glue_compresses_and_follows_automation(session):
    errs = level_errors(session, "bg", -12.0, 6.0, 0.1)
    # The first chunk holds the compressor's attack from rest (a sine starting at full level).
    errs = errs[errs[:, 0] >= ARDOUR_CHUNK]
    # What remains is the compressor's gain reduction: large (a stub would leave 0 dB) and
    # constant (the Output gain sits after the detector, so automating it changes nothing else).
    reduction = errs[:, 1]
    spread = np.abs(reduction - np.median(reduction))
    record(f"ardour bus_glue: gain reduction {np.median(reduction):.2f} dB (threshold -40 dB, "
           f"4:1 on a -18 dBFS sine); Output automation followed within {spread.max():.3f} dB")
    assert np.median(reduction) < -6.0
    assert spread.max() < 0.05


def test_maximizer_follows_gain_automation_with_latency_compensated(session):
    r = session["mx"]
    x = session["_sources"]["mx"]
    residual = delay_by_xcorr(x, r.audio, max_lag=4096)
    errs = level_errors(session, "mx", 0.0, 12.0, 0.1)
    e = np.abs(errs[:, 1])
    peak = 20 * np.log10(np.max(np.abs(r.audio)))
    record(f"ardour maximizer: latency {r.latency} samples (lookahead 2 ms), residual delay "
           f"after Ardour's compensation {residual} samples; Gain automation 0 -> +12 dB "
           f"followed within {e.max():.3f} dB per chunk; peak {peak:.2f} dBFS")
    assert r.latency >= 96
    assert residual == 0
    assert e.max() < 0.05
    assert peak <= -1.0 + 0.01


def test_reverb_follows_mix_automation(session):
    r = session["rv"]
    x = session["_sources"]["rv"]
    # The chunks before the ramp run at mix 0 (the chunk that contains the ramp's start already
    # gets the value at its end); the last ones at 100 %.
    dry = slice(int(0.05 * SR), 2 * ARDOUR_CHUNK)
    wet = slice(int(2.6 * SR), N)
    dry_err = rms_db(r.audio[:, dry] - x[:, dry]) - rms_db(x[:, dry])
    wet_err = rms_db(r.audio[:, wet] - x[:, wet]) - rms_db(x[:, wet])
    wet_level = rms_db(r.audio[:, wet]) - rms_db(x[:, wet])
    record(f"ardour reverb: mix 0 %: output vs input {dry_err:.1f} dB; mix 100 %: difference "
           f"{wet_err:+.1f} dB, level {wet_level:+.1f} dB re input (the dry signal is gone)")
    assert dry_err < -60
    assert wet_err > -3
