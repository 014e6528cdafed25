"""The frozen parameter contract of the four plugins, as the hosts must see it.

Copied by hand from `plugins/*/src/params.rs` (and frozen there by `plugins/*/tests/params.rs`):
string ID, display name, value kind, plain range, default, and, for enums, the value names in
order. A host never sees the string ID directly; it sees:
- VST3: the parameter ID, nice-plug's 31-bit hash of the string ID (`vst3_param_id`), which
  Ardour writes into the session (`<Port id=...>`),
- the display name, which pedalboard turns into an attribute (`pedalboard_key`),
- the parameter's position (the order of the struct), which DawDreamer and Ardour index by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class P:
    id: str
    name: str
    kind: str  # db hz ms pct q ratio pan sec mult lufs bool enum
    min: float = 0.0
    max: float = 1.0
    default: float | str | bool = 0.0
    values: tuple[str, ...] = ()
    skew: str = "lin"  # lin | log (geometric mean at the centre) | pow4 (skew_factor(-2))
    step: float | None = None
    automatable: bool = True  # False: nice-plug's non_automatable (no VST3 kCanAutomate)

    @property
    def pedalboard_key(self) -> str:
        return pedalboard_key(self.name)

    @property
    def vst3_param_id(self) -> int:
        return vst3_param_id(self.id)

    def plain_at(self, norm: float) -> float:
        """nice-plug's FloatRange mapping from normalized 0..1 to the plain value."""
        if self.skew == "lin":
            v = self.min + norm * (self.max - self.min)
        else:
            if self.skew == "log":
                import math

                centre = math.sqrt(self.min * self.max)
                factor = math.log(0.5) / math.log((centre - self.min) / (self.max - self.min))
            else:  # pow4: FloatRange::skew_factor(-2.0) == 2^-2
                factor = 0.25
            v = self.min + (norm ** (1.0 / factor)) * (self.max - self.min)
        if self.step:
            v = round(v / self.step) * self.step
        return v

    def norm_of(self, plain) -> float:
        """The normalized (0..1) value of a plain value; enums take their value name, bools
        True/False."""
        if self.kind == "enum":
            return self.values.index(plain) / (len(self.values) - 1)
        if self.kind == "bool":
            return 1.0 if plain else 0.0
        if self.skew == "lin":
            return (plain - self.min) / (self.max - self.min)
        import math

        if self.skew == "log":
            centre = math.sqrt(self.min * self.max)
            factor = math.log(0.5) / math.log((centre - self.min) / (self.max - self.min))
        else:
            factor = 0.25
        return ((plain - self.min) / (self.max - self.min)) ** factor


def vst3_param_id(string_id: str) -> int:
    """nice-plug's `hash_param_id`: a Java-style string hash with the VST3-reserved top bit
    cleared."""
    h = 0
    for b in string_id.encode():
        h = (h * 31 + b) & 0xFFFFFFFF
    return h & 0x7FFFFFFF


def pedalboard_key(name: str) -> str:
    """pedalboard's attribute name for a parameter without a unit label (nice-plug's
    parameters carry the unit in their value strings, not in a label)."""
    s = re.sub(r"[^a-z0-9]+", "_", name.lower().strip())
    return s.strip("_")


def DB(id, name, default, lo, hi):
    return P(id, name, "db", lo, hi, default, step=0.1)


def HZ(id, name, default, lo, hi):
    return P(id, name, "hz", lo, hi, default, skew="log")


def MS(id, name, default, lo, hi):
    return P(id, name, "ms", lo, hi, default, skew="log")


def PCT(id, name, default, hi):
    return P(id, name, "pct", 0.0, hi, default, step=1.0)


def Q(id, name, default, lo, hi):
    return P(id, name, "q", lo, hi, default, skew="log")


def BOOL(id, name, default):
    return P(id, name, "bool", 0.0, 1.0, default, values=("Off", "On"))


def ENUM(id, name, default, values):
    return P(id, name, "enum", 0.0, float(len(values) - 1), default, values=tuple(values))


SLOPES = ("6 dB/oct", "12 dB/oct", "18 dB/oct", "24 dB/oct", "36 dB/oct", "48 dB/oct")

CHANNEL_STRIP = [
    BOOL("bypass", "Bypass", False),
    DB("in_gain", "Input", 0.0, -24.0, 24.0),
    BOOL("phase", "Phase Invert", False),
    BOOL("hpf_on", "HPF", False),
    HZ("hpf_freq", "HPF Freq", 80.0, 10.0, 1000.0),
    ENUM("hpf_slope", "HPF Slope", "12 dB/oct", SLOPES),
    BOOL("lpf_on", "LPF", False),
    HZ("lpf_freq", "LPF Freq", 18000.0, 1000.0, 22000.0),
    ENUM("lpf_slope", "LPF Slope", "12 dB/oct", SLOPES),
    BOOL("eq_on", "EQ", True),
    ENUM("eq_lf_type", "LF Type", "Shelf", ("Shelf", "Bell")),
    HZ("eq_lf_freq", "LF Freq", 100.0, 20.0, 1000.0),
    DB("eq_lf_gain", "LF Gain", 0.0, -18.0, 18.0),
    Q("eq_lf_q", "LF Q", 0.71, 0.1, 10.0),
    HZ("eq_lmf_freq", "LMF Freq", 400.0, 100.0, 5000.0),
    DB("eq_lmf_gain", "LMF Gain", 0.0, -18.0, 18.0),
    Q("eq_lmf_q", "LMF Q", 1.0, 0.1, 10.0),
    HZ("eq_hmf_freq", "HMF Freq", 2500.0, 500.0, 16000.0),
    DB("eq_hmf_gain", "HMF Gain", 0.0, -18.0, 18.0),
    Q("eq_hmf_q", "HMF Q", 1.0, 0.1, 10.0),
    ENUM("eq_hf_type", "HF Type", "Shelf", ("Shelf", "Bell")),
    HZ("eq_hf_freq", "HF Freq", 8000.0, 1500.0, 22000.0),
    DB("eq_hf_gain", "HF Gain", 0.0, -18.0, 18.0),
    Q("eq_hf_q", "HF Q", 0.71, 0.1, 10.0),
    BOOL("gate_on", "Gate", False),
    DB("gate_threshold", "Gate Threshold", -50.0, -80.0, 0.0),
    DB("gate_range", "Gate Range", 40.0, 0.0, 80.0),
    MS("gate_attack", "Gate Attack", 0.5, 0.01, 100.0),
    MS("gate_hold", "Gate Hold", 50.0, 1.0, 2000.0),
    MS("gate_release", "Gate Release", 150.0, 5.0, 4000.0),
    BOOL("comp_on", "Compressor", False),
    DB("comp_threshold", "Comp Threshold", -18.0, -60.0, 0.0),
    P("comp_ratio", "Comp Ratio", "ratio", 1.0, 100.0, 3.0, skew="pow4"),
    DB("comp_knee", "Comp Knee", 6.0, 0.0, 24.0),
    MS("comp_attack", "Comp Attack", 10.0, 0.05, 200.0),
    MS("comp_release", "Comp Release", 150.0, 5.0, 3000.0),
    BOOL("comp_auto_release", "Comp Auto Release", False),
    DB("comp_makeup", "Comp Makeup", 0.0, 0.0, 24.0),
    BOOL("comp_auto_makeup", "Comp Auto Makeup", False),
    PCT("comp_mix", "Comp Mix", 100.0, 100.0),
    HZ("comp_sc_hpf", "Comp SC HPF", 20.0, 20.0, 500.0),
    BOOL("dyn_pre_eq", "Dynamics Before EQ", False),
    PCT("sat_drive", "Saturation", 0.0, 100.0),
    P("pan", "Pan", "pan", -100.0, 100.0, 0.0, step=1.0),
    PCT("width", "Width", 100.0, 200.0),
    DB("out_gain", "Output", 0.0, -24.0, 24.0),
]

BUS_GLUE = [
    BOOL("bypass", "Bypass", False),
    DB("threshold", "Threshold", -10.0, -40.0, 0.0),
    ENUM("ratio", "Ratio", "2:1", ("1.5:1", "2:1", "4:1", "10:1")),
    ENUM("attack", "Attack", "10 ms", ("0.1 ms", "0.3 ms", "1 ms", "3 ms", "10 ms", "30 ms")),
    ENUM("release", "Release", "Auto", ("0.1 s", "0.3 s", "0.6 s", "1.2 s", "Auto")),
    DB("makeup", "Makeup", 0.0, 0.0, 24.0),
    DB("range", "Range", 40.0, 1.0, 40.0),
    PCT("mix", "Mix", 100.0, 100.0),
    HZ("sc_hpf", "Sidechain HPF", 20.0, 20.0, 500.0),
    BOOL("sc_external", "External Sidechain", False),
    DB("out_gain", "Output", 0.0, -24.0, 24.0),
    BOOL("sc_listen", "Sidechain Listen", False),
]

MAXIMIZER = [
    BOOL("bypass", "Bypass", False),
    DB("gain", "Gain", 0.0, 0.0, 24.0),
    DB("ceiling", "Ceiling", -1.0, -12.0, 0.0),
    MS("release", "Release", 100.0, 1.0, 1000.0),
    BOOL("auto_release", "Auto Release", True),
    P("lookahead", "Lookahead", "ms", 0.5, 10.0, 2.0, skew="log", automatable=False),
    BOOL("true_peak", "True Peak", True),
    ENUM("style", "Style", "Transparent", ("Transparent", "Punchy", "Aggressive")),
    PCT("link", "Stereo Link", 100.0, 100.0),
    HZ("eq_low_freq", "Low Freq", 100.0, 20.0, 1000.0),
    DB("eq_low_gain", "Low Gain", 0.0, -12.0, 12.0),
    HZ("eq_mid_freq", "Mid Freq", 1000.0, 100.0, 10000.0),
    DB("eq_mid_gain", "Mid Gain", 0.0, -12.0, 12.0),
    Q("eq_mid_q", "Mid Q", 0.7, 0.1, 10.0),
    HZ("eq_high_freq", "High Freq", 8000.0, 1000.0, 20000.0),
    DB("eq_high_gain", "High Gain", 0.0, -12.0, 12.0),
    PCT("width", "Width", 100.0, 200.0),
    BOOL("mono_bass_on", "Mono Bass", False),
    HZ("mono_bass_freq", "Mono Bass Freq", 120.0, 20.0, 500.0),
    P("target_lufs", "Target", "lufs", -24.0, -6.0, -14.0, step=0.1),
    ENUM("dither_bits", "Dither", "Off", ("Off", "24 bit", "20 bit", "16 bit")),
    ENUM("noise_shaping", "Noise Shaping", "None", ("None", "Light", "Strong")),
    BOOL("unity_monitor", "Unity Gain Monitor", False),
]

REVERB = [
    BOOL("bypass", "Bypass", False),
    ENUM("mode", "Mode", "Hall", ("Room", "Hall", "Plate")),
    PCT("mix", "Mix", 25.0, 100.0),
    P("predelay", "Pre-Delay", "ms", 0.0, 250.0, 10.0, step=0.1),
    P("decay", "Decay", "sec", 0.1, 20.0, 2.0, skew="pow4"),
    PCT("size", "Size", 50.0, 100.0),
    PCT("diffusion", "Diffusion", 70.0, 100.0),
    HZ("hf_damp", "HF Damping", 8000.0, 1000.0, 20000.0),
    P("bass_mult", "Bass Multiplier", "mult", 0.5, 2.0, 1.0, step=0.01),
    HZ("low_cut", "Low Cut", 80.0, 20.0, 1000.0),
    HZ("high_cut", "High Cut", 16000.0, 1000.0, 20000.0),
    PCT("mod_depth", "Modulation", 30.0, 100.0),
    PCT("width", "Width", 100.0, 200.0),
    BOOL("freeze", "Freeze", False),
]

PLUGINS = {
    "channel_strip": ("Lathe Channel Strip", CHANNEL_STRIP),
    "bus_glue": ("Lathe Bus Glue", BUS_GLUE),
    "maximizer": ("Lathe Maximizer", MAXIMIZER),
    "reverb": ("Lathe Reverb", REVERB),
}


# Settings that make each plugin do real work (used for state and block-size tests).
BUSY = {
    "channel_strip": {"in_gain": 3.0, "hpf_on": True, "hpf_freq": 60.0, "eq_lmf_gain": -4.0,
                      "eq_hf_gain": 3.0, "comp_on": True, "comp_threshold": -30.0,
                      "comp_ratio": 4.0, "sat_drive": 30.0, "pan": -20.0, "width": 140.0,
                      "out_gain": -2.0},
    "bus_glue": {"threshold": -30.0, "ratio": "4:1", "attack": "1 ms", "release": "0.3 s",
                 "makeup": 6.0, "mix": 80.0, "sc_hpf": 90.0},
    "maximizer": {"gain": 14.0, "ceiling": -1.0, "lookahead": 5.0, "style": "Punchy",
                  "eq_low_gain": 2.0, "width": 120.0, "mono_bass_on": True},
    "reverb": {"mode": "Plate", "mix": 40.0, "predelay": 20.0, "decay": 3.0, "size": 70.0,
               "mod_depth": 50.0},
}


def by_id(params: list[P], string_id: str) -> P:
    for p in params:
        if p.id == string_id:
            return p
    raise KeyError(string_id)


_NUM = r"[-+]?\d+(?:\.\d+)?"


def parse_display(p: P, text: str) -> float | str:
    """The plain value a display string shows, in the parameter's own unit (ms for "1.20 s" on a
    ms parameter); enum and bool texts are returned as they are."""
    t = text.strip()
    if p.kind in ("enum", "bool"):
        return t
    if p.kind == "pan":
        if t.upper() == "C":
            return 0.0
        m = re.fullmatch(r"([LR])\s*(" + _NUM + ")", t, re.I)
        if m:
            v = float(m.group(2))
            return -v if m.group(1).upper() == "L" else v
        return float(t)
    if p.kind == "hz":
        m = re.fullmatch(r"(" + _NUM + r")\s*(k?)hz", t, re.I)
        assert m, f"{p.id}: unexpected display {text!r}"
        return float(m.group(1)) * (1000.0 if m.group(2) else 1.0)
    if p.kind == "ms":
        m = re.fullmatch(r"(" + _NUM + r")\s*(ms|s)", t, re.I)
        assert m, f"{p.id}: unexpected display {text!r}"
        return float(m.group(1)) * (1.0 if m.group(2).lower() == "ms" else 1000.0)
    units = {"db": "dB", "pct": "%", "ratio": ":1", "sec": "s", "mult": "x", "lufs": "LUFS", "q": ""}
    u = units[p.kind]
    m = re.fullmatch(r"(" + _NUM + r")\s*" + re.escape(u), t, re.I)
    assert m, f"{p.id}: unexpected display {text!r} (unit {u!r})"
    return float(m.group(1))


def display_tolerance(p: P, value: float) -> float:
    """What the rounding of the display string can hide."""
    if p.kind == "hz":
        return 0.5 if value < 999.5 else 5.0
    if p.kind == "ms":
        return 0.005 if value < 10 else (0.05 if value < 999.5 else 5.0)
    return {"db": 0.05, "pct": 0.5, "q": 0.005, "ratio": 0.05, "pan": 0.5, "sec": 0.005,
            "mult": 0.005, "lufs": 0.05}[p.kind] + 1e-6
