"""The four plugins' VST3 builds in pedalboard (JUCE's VST3 hosting).

What this proves, per plugin: the host sees exactly the frozen parameters with the frozen
ranges and defaults; values set by attribute and by raw (normalized) value read back; the
plugin audibly does what a setting says on a music-like signal; the latency it reports is the
latency it has (pedalboard compensates it, leaving 0 samples of residual delay); its state
survives a save/restore; and the result does not depend on the host's block size.
"""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from conftest import (
    HOST_VERSIONS,
    SR,
    bundle_path,
    db,
    delay_by_xcorr,
    music,
    record,
    rms_db,
)
from lathe_params import BUSY, PLUGINS, by_id, display_tolerance, parse_display

HOST_VERSIONS["pedalboard"] = pedalboard.__version__

def load(key: str):
    """A fresh plugin instance (pedalboard loads quickly; each test gets its own so settings
    never leak between tests)."""
    return pedalboard.load_plugin(str(bundle_path(key)))


def frozen(key):
    return PLUGINS[key][1]


def set_plain(plugin, p, value):
    """Sets a parameter through its raw (normalized) value computed from the frozen range."""
    param = plugin.parameters[p.pedalboard_key]
    if p.kind == "enum":
        param.raw_value = p.values.index(value) / (len(p.values) - 1)
    elif p.kind == "bool":
        param.raw_value = 1.0 if value else 0.0
    else:
        param.raw_value = p.norm_of(value)


def configure(plugin, key, settings: dict):
    """Sets plain values, then runs one short block: the host hands parameter changes to the
    plugin with the next process call, where they are smoothed (a correct plugin glides over
    a few ms). The measured renders then start with `reset=True`, which settles every glide."""
    for sid, value in settings.items():
        set_plain(plugin, by_id(frozen(key), sid), value)
    plugin.process(np.zeros((2, 1024), dtype=np.float32), SR, buffer_size=512, reset=False)


def process(plugin, x, buffer_size=512, reset=True):
    return plugin.process(x, SR, buffer_size=buffer_size, reset=reset)


def test_load_and_exact_parameter_set(plugin_key):
    plugin = load(plugin_key)
    name, params = PLUGINS[plugin_key]
    assert plugin.name == name
    assert plugin.is_effect and not plugin.is_instrument
    shown = set(plugin.parameters.keys())
    expected = {p.pedalboard_key for p in params}
    assert len(expected) == len(params), "two frozen names map to one pedalboard attribute"
    assert shown == expected, (
        f"missing: {sorted(expected - shown)}, unexpected: {sorted(shown - expected)}"
    )
    # Display names come through unchanged (the attribute is derived from them).
    for p in params:
        assert plugin.parameters[p.pedalboard_key].name == p.name
    record(f"pedalboard {plugin_key}: {len(shown)} parameters, exactly the frozen set; "
           f"reported latency {plugin.reported_latency_samples} samples")


def test_defaults_ranges_and_value_names(plugin_key):
    """Every parameter's default, both ends of its range and its centre, read through the
    host's text for a raw value: proves the frozen ranges and mappings (linear, logarithmic,
    skewed) reach the host intact."""
    plugin = load(plugin_key)
    for p in frozen(plugin_key):
        param = plugin.parameters[p.pedalboard_key]
        text = param.string_value
        if p.kind == "bool":
            assert param.raw_value == (1.0 if p.default else 0.0), p.id
            continue
        if p.kind == "enum":
            assert text == p.default, f"{p.id}: default shows {text!r}"
            for i, v in enumerate(p.values):
                param.raw_value = i / (len(p.values) - 1)
                assert param.string_value == v, f"{p.id}[{i}] shows {param.string_value!r}"
            continue
        got = parse_display(p, text)
        assert abs(got - p.default) <= display_tolerance(p, p.default), f"{p.id}: default {text!r}"
        assert abs(param.raw_value - p.norm_of(p.default)) < 1e-4, f"{p.id}: default raw"
        for norm in (0.0, 0.5, 1.0):
            param.raw_value = norm
            want = p.plain_at(norm)
            got = parse_display(p, param.string_value)
            assert abs(got - want) <= display_tolerance(p, want), (
                f"{p.id}: raw {norm} shows {param.string_value!r}, frozen range says {want}"
            )


# (parameter ID, value set by attribute, raw value set, plain value that raw value means)
ATTRIBUTE_CASES = {
    "channel_strip": [("out_gain", -6.0, 0.75, 12.0), ("hpf_freq", 100.0, 0.0, 10.0),
                      ("comp_on", True, 0.0, False), ("hpf_slope", "24 dB/oct", 1.0, "48 dB/oct")],
    "bus_glue": [("threshold", -20.0, 0.25, -30.0), ("ratio", "10:1", 0.0, "1.5:1"),
                 ("mix", 50.0, 1.0, 100.0)],
    "maximizer": [("gain", 6.0, 0.5, 12.0), ("ceiling", -0.3, 0.0, -12.0),
                  ("true_peak", False, 1.0, True), ("style", "Aggressive", 0.5, "Punchy")],
    "reverb": [("mix", 60.0, 0.0, 0.0), ("mode", "Room", 1.0, "Plate"),
               ("freeze", True, 0.0, False), ("size", 80.0, 0.5, 50.0)],
}


def test_set_by_attribute_and_by_raw_value(plugin_key):
    plugin = load(plugin_key)
    for sid, attr_value, raw, raw_means in ATTRIBUTE_CASES[plugin_key]:
        p = by_id(frozen(plugin_key), sid)
        key = p.pedalboard_key
        param = plugin.parameters[key]
        setattr(plugin, key, attr_value)
        got = getattr(plugin, key)
        if p.kind in ("enum", "bool"):
            assert got == attr_value, f"{sid}: set {attr_value!r}, read {got!r}"
            expected_raw = (p.values.index(attr_value) / (len(p.values) - 1)
                            if p.kind == "enum" else float(attr_value))
        else:
            assert abs(float(got) - attr_value) <= display_tolerance(p, attr_value), (sid, got)
            expected_raw = p.norm_of(attr_value)
        assert abs(param.raw_value - expected_raw) < 2e-3, (sid, param.raw_value, expected_raw)
        param.raw_value = raw
        got = getattr(plugin, key)
        if p.kind in ("enum", "bool"):
            assert got == raw_means, f"{sid}: raw {raw} reads {got!r}"
        else:
            assert abs(float(got) - raw_means) <= display_tolerance(p, raw_means), (sid, got)


def test_every_attribute_accepts_its_own_value(plugin_key):
    """Reading an attribute and writing the value back works for every enum, bool and numeric
    parameter pedalboard exposes as a number. pedalboard types an attribute by parsing the
    value strings: where it cannot (for example "2.00 s", "4:1", "L50", "-14.0 LUFS") the
    attribute is string-valued, accepts only the ~1000 texts it sampled (its own default can be
    missing), and must be set through `raw_value`; those are listed in the summary."""
    plugin = load(plugin_key)
    strings = []
    for p in frozen(plugin_key):
        key = p.pedalboard_key
        value = getattr(plugin, key)
        text = plugin.parameters[key].string_value
        if p.kind not in ("enum", "bool") and isinstance(value, str):
            strings.append(f"{key}={text!r}")
            continue
        setattr(plugin, key, value)
        after = plugin.parameters[key].string_value
        if p.kind in ("enum", "bool"):
            assert after == text, (key, value)
        else:
            # pedalboard's float setter picks the nearest of the values it sampled from the
            # plugin's value strings: close, not always exact.
            want, got = parse_display(p, text), parse_display(p, after)
            tol = max(display_tolerance(p, want), 0.005 * abs(want))
            assert abs(got - want) <= tol, (key, text, after)
    record(f"pedalboard {plugin_key}: numeric parameters pedalboard exposes as strings: "
           f"{', '.join(strings) or 'none'}")


def _residual_delay(x, y):
    return delay_by_xcorr(x, y, max_lag=2048)


def test_channel_strip_processes(request):
    x = music(4.0, level_db=-12.0)
    plugin = load("channel_strip")
    neutral = process(plugin, x)
    err = rms_db(neutral - x) - rms_db(x)
    record(f"pedalboard channel_strip: default settings, output vs input error {err:.1f} dB")
    assert err < -60, "the default Channel Strip is not transparent"
    configure(plugin, "channel_strip", {"out_gain": 6.0})
    y = process(plugin, x)
    gain = rms_db(y) - rms_db(x)
    record(f"pedalboard channel_strip: Output +6 dB measured {gain:+.3f} dB; "
           f"residual delay {_residual_delay(x, y)} samples")
    assert abs(gain - 6.0) < 0.05
    assert _residual_delay(x, y) == 0
    configure(plugin, "channel_strip", {"out_gain": 0.0, "comp_on": True,
                                        "comp_threshold": -40.0, "comp_ratio": 10.0})
    y = process(plugin, x)
    gr = rms_db(y) - rms_db(x)
    record(f"pedalboard channel_strip: compressor -40 dB 10:1 changes RMS by {gr:+.2f} dB")
    assert gr < -6.0


def test_bus_glue_processes():
    x = music(4.0, level_db=-6.0)
    plugin = load("bus_glue")
    configure(plugin, "bus_glue", {"threshold": -30.0, "ratio": "4:1"})
    y = process(plugin, x)
    gr = rms_db(y) - rms_db(x)
    record(f"pedalboard bus_glue: threshold -30 dB 4:1 changes RMS by {gr:+.2f} dB; "
           f"residual delay {_residual_delay(x, y)} samples")
    assert gr < -4.0
    assert _residual_delay(x, y) == 0
    # Mix 0 % is the dry signal: the compressor must vanish from the output.
    configure(plugin, "bus_glue", {"mix": 0.0})
    y = process(plugin, x)
    err = rms_db(y - x) - rms_db(x)
    record(f"pedalboard bus_glue: mix 0 %, output vs input error {err:.1f} dB")
    assert err < -60


def true_peak_db(y, factor=8):
    """Peak of the band-limited signal, by FFT interpolation, edges skipped (circular)."""
    n = y.shape[1]
    up = np.fft.irfft(np.fft.rfft(y.astype(np.float64), axis=1), n * factor, axis=1) * factor
    edge = 2048 * factor
    return db(np.max(np.abs(up[:, edge:-edge])))


def test_maximizer_gain_and_ceiling():
    x = music(4.0, level_db=-20.0)
    plugin = load("maximizer")
    configure(plugin, "maximizer", {"gain": 6.0, "ceiling": -1.0})
    y = process(plugin, x)
    gain = rms_db(y) - rms_db(x)
    record(f"pedalboard maximizer: Gain +6 dB below the ceiling measured {gain:+.3f} dB")
    assert abs(gain - 6.0) < 0.1
    configure(plugin, "maximizer", {"gain": 24.0, "ceiling": -1.0})
    y = process(plugin, x)
    peak = db(np.max(np.abs(y)))
    gain = rms_db(y) - rms_db(x)
    tp = true_peak_db(y)
    record(f"pedalboard maximizer: Gain +24 dB, ceiling -1 dBFS, true peak on: sample peak "
           f"{peak:.3f} dBFS, true peak (8x FFT) {tp:.3f} dBTP, RMS {gain:+.2f} dB")
    assert peak <= -1.0 + 0.01
    assert tp <= -1.0 + 0.1
    assert gain > 8.0


@pytest.mark.parametrize("sr", [44100, 48000, 96000])
@pytest.mark.parametrize("lookahead_ms", [2.0, 10.0])
def test_maximizer_latency_is_compensated(lookahead_ms, sr):
    """True peak on, lookahead 2 and 10 ms, at three sample rates: the latency the plugin
    reports must equal the one it has, or pedalboard's compensation leaves a residual delay."""
    x = music(3.0, sr=sr, level_db=-20.0)
    plugin = load("maximizer")
    for sid, value in {"lookahead": lookahead_ms, "true_peak": True, "gain": 0.0}.items():
        set_plain(plugin, by_id(frozen("maximizer"), sid), value)
    # The first process call at this rate applies the new lookahead (and reports its latency).
    plugin.process(np.zeros((2, 1024), dtype=np.float32), sr, buffer_size=512, reset=False)
    y = plugin.process(x, sr, buffer_size=512)
    latency = plugin.reported_latency_samples
    residual = _residual_delay(x, y)
    err = rms_db(y - x) - rms_db(x)
    record(f"pedalboard maximizer: {sr} Hz, lookahead {lookahead_ms} ms, true peak: reported "
           f"latency {latency} samples, residual delay {residual} samples, output vs input "
           f"{err:.1f} dB")
    assert latency >= int(lookahead_ms * sr / 1000)
    assert residual == 0
    assert err < -30, "below the ceiling the maximizer should pass the signal (nearly) unchanged"


def test_reverb_processes():
    plugin = load("reverb")
    x = music(3.0, level_db=-12.0)
    configure(plugin, "reverb", {"mix": 0.0})
    y = process(plugin, x)
    err = rms_db(y - x) - rms_db(x)
    record(f"pedalboard reverb: mix 0 %, output vs input error {err:.1f} dB; "
           f"residual delay {_residual_delay(x, y)} samples")
    assert err < -60
    assert _residual_delay(x, y) == 0
    # An impulse: the tail's energy and length follow Decay.
    imp = np.zeros((2, 5 * SR), dtype=np.float32)
    imp[:, 100] = 0.5
    tails = {}
    for decay in (0.5, 4.0):
        configure(plugin, "reverb", {"mix": 100.0, "decay": decay, "predelay": 0.0})
        y = process(plugin, imp)
        tails[decay] = rms_db(y[:, int(1.5 * SR):int(2.5 * SR)])
    record(f"pedalboard reverb: tail level 1.5-2.5 s after an impulse: decay 0.5 s "
           f"{tails[0.5]:.1f} dB, decay 4 s {tails[4.0]:.1f} dB")
    assert tails[4.0] > -100
    assert tails[4.0] - tails[0.5] > 20


def test_state_round_trip(plugin_key):
    x = music(2.0, level_db=-12.0)
    plugin = load(plugin_key)
    configure(plugin, plugin_key, BUSY[plugin_key])
    process(plugin, x[:, :1024])  # let the plugin apply the values before saving
    state = plugin.raw_state
    raws = {k: v.raw_value for k, v in plugin.parameters.items()}
    a = process(plugin, x)
    # Change everything that was set, then restore.
    for k, v in plugin.parameters.items():
        v.raw_value = 1.0 - v.raw_value if v.raw_value not in (0.5,) else 0.0
    process(plugin, x[:, :1024])
    assert any(abs(plugin.parameters[k].raw_value - raws[k]) > 1e-3 for k in raws)
    plugin.raw_state = state
    process(plugin, x[:, :1024])
    after = {k: v.raw_value for k, v in plugin.parameters.items()}
    changed = {k: (raws[k], after[k]) for k in raws if abs(raws[k] - after[k]) > 1e-6}
    assert not changed, f"parameters not restored: {changed}"
    b = process(plugin, x)
    assert np.array_equal(a, b), f"render after restore differs by {np.max(np.abs(a - b))}"
    # A second instance restored from the same state renders the same audio.
    other = load(plugin_key)
    other.raw_state = state
    process(other, x[:, :1024])
    c = process(other, x)
    assert np.array_equal(a, c), f"a fresh instance from the state differs by {np.max(np.abs(a - c))}"
    record(f"pedalboard {plugin_key}: state ({len(state)} bytes) restores all parameters; "
           f"renders bit-identical")


def test_block_size_invariance(plugin_key):
    """The same input and settings through pedalboard with 64-, 512- and 4096-sample blocks
    (and an odd 1000) give bit-identical output."""
    x = music(3.0, level_db=-6.0)
    outs = {}
    for bs in (64, 512, 1000, 4096):
        plugin = load(plugin_key)
        configure(plugin, plugin_key, BUSY[plugin_key])
        process(plugin, x[:, :4096])
        outs[bs] = process(plugin, x, buffer_size=bs)
    ref = outs[512]
    for bs, y in outs.items():
        assert y.shape == ref.shape
        diff = float(np.max(np.abs(y - ref)))
        assert diff == 0.0, f"{plugin_key}: block {bs} differs from block 512 by {db(diff):.1f} dBFS"
    record(f"pedalboard {plugin_key}: blocks 64/512/1000/4096 bit-identical")


@pytest.mark.parametrize("key", ["channel_strip", "maximizer"])
def test_mono_layout(key):
    """Channel Strip and Maximizer also run on mono tracks: JUCE picks their 1-in/1-out layout
    for a one-channel signal, and default settings pass a sine through at its level (the
    Maximizer delays it by its latency, which pedalboard compensates)."""
    plugin = load(key)
    t = np.arange(SR) / SR
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
    y = process(plugin, x)
    assert y.shape == x.shape
    assert np.isfinite(y).all()
    level = 20 * np.log10(np.sqrt(np.mean(y[:, SR // 4:] ** 2)) / np.sqrt(np.mean(x[:, SR // 4:] ** 2)))
    assert abs(level) < 0.01, level
