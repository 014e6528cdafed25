//! The checks every Lathe plugin must pass, each a function that panics with a precise message
//! when the plugin misbehaves. `tests/<plugin>.rs` run them through [`crate::lathe_suite!`] with
//! a [`Spec`] saying what is specific to each plugin.

use crate::analysis::*;
use crate::bundles::{hash_param_id, LathePlugin, ALL};
use crate::music;
use crate::plugin::{descriptors, ParamChange, ParamInfo, Plugin};
use crate::render::{Audio, Blocks, ParamEvent, Step};
use dsp_core::signal::Rng;

/// What the generic checks need to know about one plugin.
#[derive(Clone, Copy)]
pub struct Spec {
    pub plugin: LathePlugin,
    /// Features the descriptor must list (besides "audio-effect").
    pub features: &'static [&'static str],
    /// A gain-like parameter for the sample-accuracy check: (string ID, typed value, the level
    /// change in dB it must cause once settled, or `None` when not a plain gain).
    pub gain: (&'static str, &'static str, Option<f64>),
    /// Settings (string ID, typed text) under which the plugin passes an impulse through its
    /// direct path (for measuring latency).
    pub transparent: &'static [(&'static str, &'static str)],
    /// Settings that make the plugin work (compress, filter, reverberate) so that internal
    /// state matters in the reset and state checks.
    pub busy: &'static [(&'static str, &'static str)],
    /// Settings under which every continuous parameter is swept for clicks: dynamics and
    /// filters engaged, but no stage whose designed response to a sudden level change is itself
    /// fast (a drive stage, a gate's 0.5 ms attack) and would mask what the test looks for.
    pub sweep: &'static [(&'static str, &'static str)],
}

impl Spec {
    pub fn new_instance(&self) -> Plugin {
        Plugin::lathe(self.plugin)
    }

    /// Inputs for every input port: music on the main port, other music (a sidechain) on the
    /// others, so auxiliary ports are exercised in every check.
    pub fn inputs(&self, p: &Plugin, sample_rate: f64, seconds: f64, seed: u64) -> Vec<Audio> {
        crate::reliability::port_inputs(p, sample_rate, seconds, seed)
    }
}

fn apply(p: &mut Plugin, settings: &[(&str, &str)]) {
    for (id, text) in settings {
        p.set_text(id, text);
    }
}

/// A deterministic random value for every parameter (bypass stays off, read-only ones alone).
pub fn random_settings(p: &mut Plugin, seed: u64) -> Vec<ParamChange> {
    let mut rng = Rng::new(seed);
    p.params()
        .into_iter()
        .filter(|i| !i.is_readonly())
        .map(|i| ParamChange {
            id: i.id,
            value: if i.is_bypass() {
                i.min
            } else {
                i.at(rng.uniform())
            },
        })
        .collect()
}

// ------------------------------------------------------------------------------ descriptor

pub fn descriptor_and_ports(spec: &Spec) {
    let p = spec.plugin;
    let ds = descriptors(&p.entry());
    assert_eq!(
        ds.len(),
        1,
        "{}: the bundle should export exactly one plugin: {ds:#?}",
        p.name
    );
    let d = &ds[0];
    assert_eq!(d.id, p.clap_id);
    assert_eq!(d.name, p.name);
    assert!(!d.vendor.is_empty(), "{}: no vendor", p.name);
    assert_eq!(d.version, env!("CARGO_PKG_VERSION"), "{}: version", p.name);
    assert!(
        d.features.iter().any(|f| f == "audio-effect"),
        "{}: features {:?} lack audio-effect",
        p.name,
        d.features
    );
    for f in spec.features {
        assert!(
            d.features.iter().any(|x| x == f),
            "{}: features {:?} lack {f}",
            p.name,
            d.features
        );
    }
    let inst = spec.new_instance();
    let ports = inst.audio_ports();
    let main_in = ports.inputs.first().expect("no input port");
    let main_out = ports.outputs.first().expect("no output port");
    assert!(
        main_in.is_main && main_in.channels == 2,
        "{}: main input {main_in:?}",
        p.name
    );
    assert!(
        main_out.is_main && main_out.channels == 2,
        "{}: main output {main_out:?}",
        p.name
    );
    assert_eq!(
        ports.outputs.len(),
        1,
        "{}: outputs {:?}",
        p.name,
        ports.outputs
    );
}

// ------------------------------------------------------------------------------ parameters

/// The CLAP parameters are exactly the frozen contract: every frozen string ID maps (through
/// nice-plug's hash) to a CLAP ID that exists, no other parameter exists, names match, and the
/// displayed min/max/default match the contract.
pub fn parameters_match_frozen_contract(spec: &Spec) {
    let frozen = spec.plugin.frozen_params();
    let mut p = spec.new_instance();
    let params = p.params();
    let mut ids: Vec<u32> = params.iter().map(|i| i.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), params.len(), "duplicate CLAP parameter IDs");

    let mut problems = Vec::new();
    for f in &frozen {
        let id = hash_param_id(&f.id);
        let Some(info) = params.iter().find(|i| i.id == id) else {
            problems.push(format!("frozen ID {:?} (CLAP id {id}) is missing", f.id));
            continue;
        };
        if info.name != f.name {
            problems.push(format!(
                "{}: name {:?}, frozen {:?}",
                f.id, info.name, f.name
            ));
        }
        let text = |p: &mut Plugin, v| p.value_to_text(id, v).unwrap_or_else(|| "<none>".into());
        for (what, v, want) in [
            ("min", info.min, &f.min_text),
            ("max", info.max, &f.max_text),
            ("default", info.default, &f.default_text),
        ] {
            let got = text(&mut p, v);
            if &got != want {
                problems.push(format!(
                    "{}: {what} displays {got:?}, frozen {want:?}",
                    f.id
                ));
            }
        }
        let now = p.get_value(id).unwrap();
        if now != info.default {
            problems.push(format!(
                "{}: a fresh instance has value {now}, default {}",
                f.id, info.default
            ));
        }
        if info.is_hidden() {
            problems.push(format!("{}: hidden", f.id));
        }
        if (f.id == "bypass") != info.is_bypass() {
            problems.push(format!(
                "{}: CLAP_PARAM_IS_BYPASS flag is {}",
                f.id,
                info.is_bypass()
            ));
        }
    }
    for info in &params {
        if !frozen.iter().any(|f| hash_param_id(&f.id) == info.id) {
            problems.push(format!("extra parameter not in the frozen list: {info:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        spec.plugin.name,
        problems.join("\n")
    );
}

/// Forms a user may type for a displayed value ("-3.0 dB" -> "-3", "1.50 kHz" -> "1.5k").
pub fn typed_forms(display: &str) -> Vec<String> {
    fn num(s: &str) -> String {
        let v: f64 = s.trim().parse().unwrap();
        let mut t = format!("{v}");
        if t == "-0" {
            t = "0".into();
        }
        t
    }
    let d = display.trim();
    let mut out = Vec::new();
    if let Some(n) = d.strip_suffix(" dB") {
        out.extend([num(n), format!("{}dB", num(n)), format!("{} db", num(n))]);
    } else if let Some(n) = d.strip_suffix(" kHz") {
        let v: f64 = n.parse().unwrap();
        out.extend([
            format!("{}k", num(n)),
            format!("{}", (v * 1000.0).round()),
            format!("{} kHz", num(n)),
        ]);
    } else if let Some(n) = d.strip_suffix(" Hz") {
        out.extend([num(n), format!("{}hz", num(n))]);
    } else if let Some(n) = d.strip_suffix(" ms") {
        let v: f64 = n.parse().unwrap();
        out.extend([num(n), format!("{}ms", num(n)), format!("{} s", v / 1000.0)]);
    } else if let Some(n) = d.strip_suffix(" s") {
        let v: f64 = n.parse().unwrap();
        out.extend([
            format!("{}s", num(n)),
            format!("{} ms", (v * 1000.0).round()),
        ]);
    } else if let Some(n) = d.strip_suffix(" %") {
        out.extend([num(n), format!("{}%", num(n))]);
    } else if let Some(n) = d.strip_suffix(":1") {
        out.push(num(n));
    } else if let Some(n) = d.strip_suffix(" LUFS") {
        out.push(num(n));
    } else if let Some(n) = d.strip_suffix('x') {
        if n.parse::<f64>().is_ok() {
            out.push(num(n));
        }
    } else if d == "C" {
        out.extend(["0".to_string(), "c".to_string()]);
    } else if let Some(n) = d.strip_prefix('L').filter(|n| n.parse::<f64>().is_ok()) {
        out.extend([format!("-{n}"), format!("l{n}")]);
    } else if let Some(n) = d.strip_prefix('R').filter(|n| n.parse::<f64>().is_ok()) {
        out.extend([n.to_string(), format!("r{n}")]);
    }
    out
}

/// For every parameter and many values: value -> text -> value lands on the same display and
/// within 2 % of knob travel (stepped: exactly); the forms a user types parse to the same
/// value; garbage is rejected by continuous parameters.
pub fn value_text_round_trips(spec: &Spec) {
    let mut p = spec.new_instance();
    let mut problems = Vec::new();
    let mut coarse = Vec::new();
    let mut checked = 0;
    for info in p.params() {
        let positions: Vec<f64> = match info.steps() {
            Some(s) => (0..=s).map(|k| k as f64 / s.max(1) as f64).collect(),
            None => vec![
                0.0,
                0.01,
                0.1,
                0.25,
                1.0 / 3.0,
                0.5,
                0.66,
                0.75,
                0.9,
                0.99,
                1.0,
            ],
        };
        for n in positions {
            let v = info.at(n);
            let Some(text) = p.value_to_text(info.id, v) else {
                problems.push(format!("{}: value_to_text({v}) failed", info.name));
                continue;
            };
            let Some(back) = p.text_to_value(info.id, &text) else {
                problems.push(format!(
                    "{}: text_to_value({text:?}) failed (from {v})",
                    info.name
                ));
                continue;
            };
            let again = p.value_to_text(info.id, back).unwrap_or_default();
            if again != text {
                problems.push(format!(
                    "{}: {v} -> {text:?} -> {back} -> {again:?}",
                    info.name
                ));
            }
            let err = (info.position(back) - info.position(v)).abs();
            // Stepped values travel through nice-plug as f32 normalized values times the step
            // count, so they come back within f32 precision of the step. Continuous values come
            // back to the same display (checked above); how far the knob moves is bounded by the
            // display's resolution where the range mapping is steep (coarse displays show up in
            // `coarse`, printed; only a gross jump fails).
            let tol = if info.is_stepped() { 1e-5 } else { 0.2 };
            if err > tol {
                problems.push(format!(
                    "{}: {v} -> {text:?} -> {back}: off by {:.4} of the knob's travel",
                    info.name, err
                ));
            } else if err > 0.02 {
                coarse.push(format!(
                    "{}: knob {:.2} shows {text:?}, which reads back as knob {:.2}",
                    info.name,
                    info.position(v),
                    info.position(back)
                ));
            }
            // Stepped parameters (enums, switches) accept their displayed names; the typed
            // shorthands are for continuous values.
            let typed_forms = if info.is_stepped() {
                vec![]
            } else {
                typed_forms(&text)
            };
            for typed in typed_forms {
                match p.text_to_value(info.id, &typed) {
                    None => problems.push(format!(
                        "{}: typed {typed:?} (for {text:?}) is rejected",
                        info.name
                    )),
                    Some(t) => {
                        let shown = p.value_to_text(info.id, t).unwrap_or_default();
                        if shown != text {
                            problems.push(format!(
                                "{}: typed {typed:?} gives {shown:?}, expected {text:?}",
                                info.name
                            ));
                        }
                    }
                }
            }
            checked += 1;
        }
        if !info.is_stepped() {
            for garbage in ["abc", "", "nan", "inf", "--3"] {
                if let Some(v) = p.text_to_value(info.id, garbage) {
                    problems.push(format!(
                        "{}: garbage {garbage:?} was accepted as {v}",
                        info.name
                    ));
                }
            }
        }
    }
    assert!(checked > 0);
    if !coarse.is_empty() {
        println!(
            "{}: coarse display resolution (typing the shown value moves the knob > 2 %):\n{}",
            spec.plugin.name,
            coarse.join("\n")
        );
    }
    assert!(
        problems.is_empty(),
        "{}: {} problems:\n{}",
        spec.plugin.name,
        problems.len(),
        problems.join("\n")
    );
}

/// On/Off switches read typed text correctly: "On"/"off" in any case, "1"/"0" as On/Off (or
/// rejected), and garbage rejected rather than silently read as Off.
pub fn switches_read_typed_text(spec: &Spec) {
    let mut p = spec.new_instance();
    let mut problems = Vec::new();
    for info in p.params().into_iter().filter(|i| i.steps() == Some(1)) {
        let (off, on) = (info.min, info.max);
        if p.value_to_text(info.id, off).as_deref() != Some("Off")
            || p.value_to_text(info.id, on).as_deref() != Some("On")
        {
            continue; // a two-choice enum, not a switch
        }
        let id = info.id;
        for (typed, want) in [("On", Some(on)), ("off", Some(off)), ("ON", Some(on))] {
            if p.text_to_value(id, typed) != want {
                problems.push(format!(
                    "{}: {typed:?} -> {:?}",
                    info.name,
                    p.text_to_value(id, typed)
                ));
            }
        }
        for (typed, wrong) in [("1", Some(off)), ("0", Some(on))] {
            if p.text_to_value(id, typed) == wrong {
                problems.push(format!(
                    "{}: typed {typed:?} is read as {}",
                    info.name,
                    if wrong == Some(off) { "Off" } else { "On" }
                ));
            }
        }
        for garbage in ["abc", "maybe"] {
            if let Some(v) = p.text_to_value(id, garbage) {
                problems.push(format!(
                    "{}: garbage {garbage:?} is accepted as {}",
                    info.name,
                    if v == on { "On" } else { "Off" }
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}: switches misread typed text:\n{}",
        spec.plugin.name,
        problems.join("\n")
    );
}

// ------------------------------------------------------------------------------ processing

pub const SAMPLE_RATES: [f64; 4] = [44_100.0, 48_000.0, 96_000.0, 192_000.0];

pub fn block_schedules() -> Vec<Blocks> {
    vec![
        Blocks::Fixed(1),
        Blocks::Fixed(32),
        Blocks::Fixed(512),
        Blocks::Fixed(4096),
        Blocks::Random {
            seed: 99,
            max: 4096,
        },
    ]
}

/// At 44.1/48/96/192 kHz and blocks of 1, 32, 512, 4096 and random 1..4096: output finite, not
/// silent, not exploding; and (no automation) the same for every block schedule, bit for bit.
pub fn processes_at_all_rates_and_block_sizes(spec: &Spec, seconds: f64) {
    for sr in SAMPLE_RATES {
        let mut reference: Option<(Blocks, Audio)> = None;
        for blocks in block_schedules() {
            let mut p = spec.new_instance();
            apply(&mut p, spec.busy);
            p.activate(sr, blocks.max());
            let inputs = spec.inputs(&p, sr, seconds, 5);
            let out = p.render(&inputs, &[], blocks.clone());
            let what = format!("{} at {sr} Hz, {blocks:?}", spec.plugin.name);
            if let Some((s, c, v)) = first_non_finite(&out) {
                panic!("{what}: non-finite output {v} at sample {s} channel {c}");
            }
            let (pk, level, in_level) = (peak(&out), rms(&out), rms(&inputs[0]));
            assert!(
                pk < 8.0,
                "{what}: output peak {pk} (+{:.1} dBFS)",
                db(pk as f64)
            );
            assert!(
                level > in_level * 0.01,
                "{what}: output level {:.1} dB vs input {:.1} dB: (nearly) silent",
                db(level),
                db(in_level)
            );
            match &reference {
                None => reference = Some((blocks, out)),
                Some((rb, r)) => assert!(
                    first_difference(r, &out).is_none(),
                    "{what}: output differs from {rb:?}: {}",
                    describe_difference(r, &out)
                ),
            }
        }
    }
}

/// A parameter change at sample `at` inside a block takes effect at `at`: the output is
/// bit-identical to a render without the change before `at`, and differs by `at + latency`.
/// Returns the first differing sample.
pub fn sample_accurate_change(spec: &Spec, block: usize, at: usize) -> usize {
    let sr = 48_000.0;
    let (sid, text, want_db) = spec.gain;
    let render = |event: bool| -> (Audio, u32) {
        let mut p = spec.new_instance();
        p.activate(sr, block);
        let latency = p.latency();
        let id = hash_param_id(sid);
        let value = p.text_to_value(id, text).expect("gain text");
        let inputs = spec.inputs(&p, sr, 0.4, 21);
        let events = if event {
            vec![ParamEvent {
                sample: at,
                id,
                value,
            }]
        } else {
            vec![]
        };
        (p.render(&inputs, &events, Blocks::Fixed(block)), latency)
    };
    let (reference, latency) = render(false);
    let (changed, _) = render(true);
    let what = format!(
        "{}: {sid} = {text} at sample {at} (blocks of {block}, latency {latency})",
        spec.plugin.name
    );
    let Some((first, _)) = first_difference(&reference, &changed) else {
        panic!("{what}: the change had no effect at all");
    };
    assert!(
        first >= at,
        "{what}: the output changed at sample {first}, before the event (block start {}): not sample-accurate",
        at / block * block
    );
    assert!(
        first <= at + latency as usize,
        "{what}: the output changed only at sample {first}, later than {at} + latency {latency}"
    );
    if let Some(want) = want_db {
        let settle = at + latency as usize + (0.05 * sr) as usize;
        let n = reference[0].len();
        let got = db(rms(&slice(&changed, settle..n))) - db(rms(&slice(&reference, settle..n)));
        assert!(
            (got - want).abs() < 0.3,
            "{what}: level changed by {got:.2} dB, expected {want} dB"
        );
    }
    first
}

/// Automation at fixed sample positions (every automatable parameter, several times) gives
/// bit-identical output whatever the host's block sizes (1, 64, 512, random) and
/// `max_frames_count`.
pub fn block_size_invariance(spec: &Spec, seconds: f64) {
    let sr = 48_000.0;
    let mut probe = spec.new_instance();
    let params = probe.params();
    let n = (sr * seconds) as usize;
    let mut rng = Rng::new(0xB10C);
    let mut events = Vec::new();
    for info in params
        .iter()
        .filter(|i| i.is_automatable() && !i.is_readonly())
    {
        for _ in 0..3 {
            events.push(ParamEvent {
                sample: rng.range(0, n - 1),
                id: info.id,
                value: if info.is_bypass() {
                    info.min
                } else {
                    info.at(rng.uniform())
                },
            });
        }
    }
    // A bypass toggle and back, and a gain ramp in single-sample steps across a block edge.
    if let Some(b) = params.iter().find(|i| i.is_bypass()) {
        events.push(ParamEvent {
            sample: n / 3,
            id: b.id,
            value: b.max,
        });
        events.push(ParamEvent {
            sample: n / 3 + 3000,
            id: b.id,
            value: b.min,
        });
    }
    let gain = hash_param_id(spec.gain.0);
    let gi = params.iter().find(|i| i.id == gain).unwrap();
    for k in 0..20 {
        events.push(ParamEvent {
            sample: 1000 + k,
            id: gain,
            value: gi.at(0.3 + 0.01 * k as f64),
        });
    }
    events.sort_by_key(|e| e.sample);
    let inputs = spec.inputs(&probe, sr, seconds, 33);
    drop(probe);

    let mut reference: Option<(Blocks, Audio)> = None;
    for blocks in [
        Blocks::Fixed(512),
        Blocks::Fixed(1),
        Blocks::Fixed(64),
        Blocks::Random { seed: 7, max: 4096 },
        Blocks::Random { seed: 8, max: 300 },
    ] {
        let mut p = spec.new_instance();
        apply(&mut p, spec.busy);
        p.activate(sr, blocks.max());
        let out = p.render(&inputs, &events, blocks.clone());
        if let Some((s, c, v)) = first_non_finite(&out) {
            panic!(
                "{} {blocks:?}: non-finite output {v} at sample {s} channel {c}",
                spec.plugin.name
            );
        }
        match &reference {
            None => reference = Some((blocks, out)),
            Some((rb, r)) => {
                if first_difference(r, &out).is_some() {
                    // Find which parameters' automation breaks it, one at a time.
                    let render_one = |b: &Blocks, evs: &[ParamEvent]| {
                        let mut p = spec.new_instance();
                        apply(&mut p, spec.busy);
                        p.activate(sr, b.max());
                        p.render(&inputs, evs, b.clone())
                    };
                    let culprits: Vec<String> = params
                        .iter()
                        .filter(|i| events.iter().any(|e| e.id == i.id))
                        .filter(|i| {
                            let evs: Vec<ParamEvent> =
                                events.iter().copied().filter(|e| e.id == i.id).collect();
                            first_difference(&render_one(rb, &evs), &render_one(&blocks, &evs))
                                .is_some()
                        })
                        .map(|i| i.name.clone())
                        .collect();
                    panic!(
                        "{}: with the same automation, {blocks:?} differs from {rb:?}: {}; \
                         automating only one of these parameters is enough to break it: {culprits:?}",
                        spec.plugin.name,
                        describe_difference(r, &out)
                    );
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------ reset

/// After processing other audio, deactivate+activate (or `reset()` alone, or a detour through
/// another sample rate) leaves the plugin exactly as a fresh instance: bit-identical output.
pub fn reset_and_reactivate_match_fresh_instance(spec: &Spec) {
    let sr = 48_000.0;
    let block = 512;
    let seconds = 0.3;
    let configure = |p: &mut Plugin| apply(p, spec.busy);
    let mut fresh = spec.new_instance();
    configure(&mut fresh);
    fresh.activate(sr, block);
    let x = spec.inputs(&fresh, sr, seconds, 11);
    let x: Vec<Audio> = x.iter().map(|a| scaled(a, 2.0)).collect();
    let y = spec.inputs(&fresh, sr, seconds, 12);
    let reference = fresh.render(&y, &[], Blocks::Fixed(block));
    let name = spec.plugin.name;

    let check = |what: &str, out: &Audio| {
        assert!(
            first_difference(&reference, out).is_none(),
            "{name}: {what}: output differs from a fresh instance's: {}",
            describe_difference(&reference, out)
        );
    };

    // Control: without a reset, X's traces are in Y's output (else this test proves nothing).
    let mut p = spec.new_instance();
    configure(&mut p);
    p.activate(sr, block);
    let outs = p.run(&[
        Step::Process {
            inputs: &x,
            events: &[],
            blocks: Blocks::Fixed(block),
        },
        Step::Process {
            inputs: &y,
            events: &[],
            blocks: Blocks::Fixed(block),
        },
    ]);
    assert!(
        first_difference(&reference, &outs[1][0]).is_some(),
        "{name}: control failed: processing X first left no trace in Y's output"
    );

    // reset() alone, within one processing session.
    let mut p = spec.new_instance();
    configure(&mut p);
    p.activate(sr, block);
    let outs = p.run(&[
        Step::Process {
            inputs: &x,
            events: &[],
            blocks: Blocks::Fixed(block),
        },
        Step::Reset,
        Step::Process {
            inputs: &y,
            events: &[],
            blocks: Blocks::Fixed(block),
        },
    ]);
    check("after reset()", &outs[1][0]);

    // deactivate + activate (+ the reset that start_processing implies, and an explicit one).
    let mut p = spec.new_instance();
    configure(&mut p);
    p.activate(sr, block);
    p.render(&x, &[], Blocks::Fixed(block));
    p.deactivate();
    p.activate(sr, block);
    let outs = p.run(&[
        Step::Reset,
        Step::Process {
            inputs: &y,
            events: &[],
            blocks: Blocks::Fixed(block),
        },
    ]);
    check("after deactivate + activate + reset", &outs[0][0]);

    // Reactivated via another sample rate and block size.
    let mut p = spec.new_instance();
    configure(&mut p);
    p.activate(96_000.0, 4096);
    let x96 = spec.inputs(&p, 96_000.0, seconds, 13);
    p.render(&x96, &[], Blocks::Fixed(4096));
    p.deactivate();
    p.activate(sr, block);
    let out = p.render(&y, &[], Blocks::Fixed(block));
    check("after running at 96 kHz and reactivating at 48 kHz", &out);
}

// ------------------------------------------------------------------------------ state

fn render_fresh(p: &mut Plugin, spec: &Spec, seed: u64) -> Audio {
    p.activate(48_000.0, 512);
    let inputs = spec.inputs(p, 48_000.0, 0.3, seed);
    let out = p.render(&inputs, &[], Blocks::Fixed(512));
    p.deactivate();
    out
}

/// Saved state loaded into a fresh instance reproduces every parameter value exactly and the
/// same output bit for bit; a state saved while active and processing (after automation)
/// carries the automated values.
pub fn state_round_trip(spec: &Spec) {
    let name = spec.plugin.name;
    let mut a = spec.new_instance();
    let settings = random_settings(&mut a, 0x57A7E);
    a.set_params(&settings);
    let blob = a.save_state();
    let mut b = spec.new_instance();
    assert!(
        b.load_state(&blob),
        "{name}: state.load rejected a state it saved"
    );
    assert_eq!(
        a.values(),
        b.values(),
        "{name}: parameter values differ after a state round trip"
    );
    let out_a = render_fresh(&mut a, spec, 3);
    let out_b = render_fresh(&mut b, spec, 3);
    assert!(
        first_difference(&out_a, &out_b).is_none(),
        "{name}: output after a state round trip differs: {}",
        describe_difference(&out_a, &out_b)
    );
    let mut d = spec.new_instance();
    let out_default = render_fresh(&mut d, spec, 3);
    assert!(
        first_difference(&out_a, &out_default).is_some(),
        "{name}: control failed: the random settings sound like the defaults"
    );

    // Saved while active, after automation moved parameters during processing.
    let mut c = spec.new_instance();
    c.activate(48_000.0, 512);
    let params = c.params();
    let inputs = spec.inputs(&c, 48_000.0, 0.2, 4);
    let mut rng = Rng::new(44);
    let mut events: Vec<ParamEvent> = params
        .iter()
        .filter(|i| i.is_automatable() && !i.is_bypass())
        .map(|i| ParamEvent {
            sample: rng.range(0, 9000),
            id: i.id,
            value: i.at(rng.uniform()),
        })
        .collect();
    events.sort_by_key(|e| e.sample);
    c.render(&inputs, &events, Blocks::Fixed(512));
    let live = c.values();
    let blob = c.save_state();
    let mut e = spec.new_instance();
    assert!(
        e.load_state(&blob),
        "{name}: state.load rejected a state saved while active"
    );
    assert_eq!(
        live,
        e.values(),
        "{name}: a state saved while active lost automated values"
    );
    assert_ne!(
        live,
        d.values(),
        "{name}: control failed: automation changed nothing"
    );
}

/// Garbage, truncated, headerless, future-version and other plugins' states leave the settings
/// (every parameter value) and the output exactly as they were.
pub fn invalid_state_is_rejected(spec: &Spec) {
    let name = spec.plugin.name;
    let configure = |p: &mut Plugin| {
        let s = random_settings(p, 0xBAD);
        p.set_params(&s);
    };
    let mut r = spec.new_instance();
    configure(&mut r);
    let ref_values = r.values();
    let ref_out = render_fresh(&mut r, spec, 8);

    let mut other = spec.new_instance();
    let s = random_settings(&mut other, 0x0DD);
    other.set_params(&s);
    let good = other.save_state();
    assert!(good.len() > 8);
    let json = String::from_utf8(good[8..].to_vec()).expect("nice-plug state is JSON");
    let with_prefix = |j: &str| -> Vec<u8> {
        let mut v = (j.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(j.as_bytes());
        v
    };
    let edited = |from: &str, to: &str| -> Vec<u8> {
        assert!(
            json.contains(from),
            "{name}: the state JSON has no {from:?}: {json}"
        );
        with_prefix(&json.replacen(from, to, 1))
    };

    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("4 bytes".into(), good[..4].to_vec()),
        ("only the length".into(), good[..8].to_vec()),
        ("truncated to half".into(), good[..good.len() / 2].to_vec()),
        ("last byte missing".into(), good[..good.len() - 1].to_vec()),
        ("garbage body".into(), {
            let mut v = good[..8].to_vec();
            v.extend(
                dsp_core::signal::white_noise(good.len() - 8, 1.0, 5)
                    .iter()
                    .map(|x| (x * 127.0) as i8 as u8),
            );
            v
        }),
        ("huge length".into(), {
            let mut v = u64::MAX.to_le_bytes().to_vec();
            v.extend_from_slice(&good[8..]);
            v
        }),
        ("empty JSON object".into(), with_prefix("{}")),
        ("not JSON".into(), with_prefix("lathe lathe lathe")),
        (
            "no Lathe header".into(),
            edited("\"lathe\":", "\"not_lathe\":"),
        ),
        (
            "future layout version".into(),
            edited("\\\"version\\\":1", "\\\"version\\\":999"),
        ),
    ];
    for o in ALL.iter().filter(|o| o.clap_id != spec.plugin.clap_id) {
        let mut op = Plugin::lathe(*o);
        let s = random_settings(&mut op, 0xF0E);
        op.set_params(&s);
        cases.push((format!("{}'s state", o.name), op.save_state()));
    }

    let mut problems = Vec::new();
    let mut verdicts = Vec::new();
    for (what, blob) in &cases {
        let mut p = spec.new_instance();
        configure(&mut p);
        let accepted = p.load_state(blob);
        verdicts.push(format!(
            "{what}: load {}",
            if accepted {
                "returned true"
            } else {
                "returned false"
            }
        ));
        let values = p.values();
        if values != ref_values {
            let changed: Vec<String> = p
                .params()
                .iter()
                .zip(values.iter().zip(&ref_values))
                .filter(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| format!("{} {} -> {}", i.name, b.1, a.1))
                .collect();
            problems.push(format!(
                "{what} (load returned {accepted}): changed {}",
                changed.join(", ")
            ));
            continue;
        }
        let out = render_fresh(&mut p, spec, 8);
        if first_difference(&ref_out, &out).is_some() {
            problems.push(format!(
                "{what} (load returned {accepted}): values kept but output changed: {}",
                describe_difference(&ref_out, &out)
            ));
        }
    }
    println!("{name}: {}", verdicts.join("; "));
    // Control: a valid state does change the settings.
    let mut p = spec.new_instance();
    configure(&mut p);
    assert!(p.load_state(&good));
    assert_ne!(
        p.values(),
        ref_values,
        "{name}: control failed: a valid state changed nothing"
    );
    assert!(
        problems.is_empty(),
        "{name}: invalid states changed the plugin:\n{}",
        problems.join("\n")
    );
}

// ------------------------------------------------------------------------------ latency

/// Measures the delay of the direct path with an impulse and with programme material.
/// Returns (reported, impulse delay, correlation lag).
pub fn measure_latency(p: &mut Plugin, spec: &Spec) -> (u32, usize, usize) {
    let sr = p.sample_rate();
    let reported = p.latency();
    let at = 4000;
    let len = at + reported as usize + 8000;
    let mut inputs = spec.inputs(p, sr, len as f64 / sr, 1);
    for port in inputs.iter_mut() {
        for c in port.iter_mut() {
            c.fill(0.0);
        }
    }
    inputs[0] = impulse(2, len, at, 0.25);
    let out = p.render(&inputs, &[], Blocks::Fixed(256));
    let peak_at = argmax_abs(&out);
    let amp = out[0][peak_at].abs().max(out[1][peak_at].abs());
    assert!(
        (0.0625..=1.0).contains(&amp),
        "{}: the impulse's direct path is not dominant (peak {amp} at {peak_at})",
        spec.plugin.name
    );
    let impulse_delay = peak_at.saturating_sub(at);

    let m = spec.inputs(p, sr, 0.25, 2);
    let out = p.render(&m, &[], Blocks::Fixed(256));
    let skip = (0.05 * sr) as usize;
    let (lag, r) = best_lag(
        &slice(&m[0], skip..m[0][0].len()),
        &slice(&out, skip..out[0].len()),
        reported as usize + 64,
    );
    assert!(
        r > 0.5,
        "{}: output barely correlates with input (r = {r:.2})",
        spec.plugin.name
    );
    (reported, impulse_delay, lag)
}

/// The latency reported through the CLAP latency extension equals the delay measured with an
/// impulse and with music, at 48 and 96 kHz.
pub fn reported_latency_matches_measured(spec: &Spec) -> Vec<(f64, u32, usize, usize)> {
    let mut figures = Vec::new();
    for sr in [48_000.0, 96_000.0] {
        let mut p = spec.new_instance();
        apply(&mut p, spec.transparent);
        p.activate(sr, 512);
        let (reported, delay, lag) = measure_latency(&mut p, spec);
        assert_eq!(
            (delay, lag),
            (reported as usize, reported as usize),
            "{} at {sr} Hz: reported latency {reported}, measured {delay} (impulse) / {lag} (music)",
            spec.plugin.name
        );
        figures.push((sr, reported, delay, lag));
    }
    figures
}

// ------------------------------------------------------------------------------ bypass

/// With the host bypass parameter (CLAP_PARAM_IS_BYPASS) on, the output is the input delayed by
/// the reported latency, so a DAW's delay compensation stays aligned when bypassing.
pub fn bypass_is_input_delayed_by_latency(spec: &Spec) {
    let name = spec.plugin.name;
    for sr in [48_000.0, 96_000.0] {
        let mut p = spec.new_instance();
        apply(&mut p, spec.busy);
        let bypass = p
            .params()
            .into_iter()
            .find(|i| i.is_bypass())
            .expect("no bypass parameter");
        p.set_param(bypass.id, bypass.max);
        p.activate(sr, 512);
        let latency = p.latency() as usize;
        let inputs = spec.inputs(&p, sr, 0.3, 6);
        let out = p.render(&inputs, &[], Blocks::Fixed(512));
        let n = out[0].len();
        let x = &inputs[0];
        let mut worst = (0.0f32, 0usize);
        for c in 0..2 {
            for i in 0..n {
                let want = if i >= latency { x[c][i - latency] } else { 0.0 };
                let d = (out[c][i] - want).abs();
                if d > worst.0 {
                    worst = (d, i);
                }
            }
        }
        assert!(
            worst.0 <= 1e-6,
            "{name} at {sr} Hz, bypassed: output is not the input delayed by the reported {latency} \
             samples: off by {} at sample {} (best alignment with the input: lag {})",
            worst.0,
            worst.1,
            best_lag(x, &out, latency + 512).0
        );

        // Engaged during playback (automation): once its crossfade is over (100 ms), the same.
        let mut p = spec.new_instance();
        apply(&mut p, spec.busy);
        p.activate(sr, 512);
        let at = (0.05 * sr) as usize + 77;
        let ev = [ParamEvent {
            sample: at,
            id: bypass.id,
            value: bypass.max,
        }];
        let out = p.render(&inputs, &ev, Blocks::Fixed(512));
        let from = at + latency + (0.1 * sr) as usize;
        for c in 0..2 {
            for i in from..n {
                let d = (out[c][i] - x[c][i - latency]).abs();
                assert!(
                    d <= 1e-6,
                    "{name} at {sr} Hz: bypass engaged at sample {at}: at sample {i} the output is \
                     {} away from the input delayed by {latency}",
                    d
                );
            }
        }
    }
}

// ------------------------------------------------------------------------------ threads

/// Main-thread-only calls come from the main thread while an audio thread processes (state
/// save/load, values, text, latency during playback); the plugin's host callbacks arrive on
/// the right threads; the host's thread-check answers the plugin's questions.
pub fn thread_model_is_kept(spec: &Spec) {
    let name = spec.plugin.name;
    let mut p = spec.new_instance();
    let main = std::thread::current().id();
    p.activate(48_000.0, 64);
    let inputs = spec.inputs(&p, 48_000.0, 1.0, 9);
    let blob = p.save_state();
    let ids: Vec<u32> = p.params().iter().map(|i| i.id).collect();
    let mut rounds = 0;
    let outs = p.run_with(
        &[Step::Process {
            inputs: &inputs,
            events: &[],
            blocks: Blocks::Fixed(64),
        }],
        |p| {
            assert_eq!(std::thread::current().id(), main);
            let _ = p.save_state();
            assert!(
                p.load_state(&blob),
                "{name}: state.load during processing failed"
            );
            for id in &ids {
                let v = p.get_value(*id).unwrap();
                p.value_to_text(*id, v).unwrap();
            }
            p.latency();
            rounds += 1;
        },
    );
    assert!(first_non_finite(&outs[0][0]).is_none());
    p.deactivate();
    assert!(rounds > 0, "the main thread never ran during processing");
    let (rescans, main_q) = p.with_record(|r| {
        (
            r.rescans.load(std::sync::atomic::Ordering::SeqCst),
            r.is_main_thread_queries
                .load(std::sync::atomic::Ordering::SeqCst),
        )
    });
    let v = p.violations();
    assert!(
        v.is_empty(),
        "{name}: thread rule violations:\n{}",
        v.join("\n")
    );
    assert!(
        rescans > 0,
        "{name}: loading state never made the plugin ask the host to rescan values"
    );
    assert!(
        main_q > 0,
        "{name}: the plugin never used the host's thread-check extension"
    );
}

// ------------------------------------------------------------------------------ NaN / Inf

/// Finite but hostile input (silence, DC, Nyquist, full-scale noise, +40 dBFS music,
/// denormals, impulses, clipped drums) under default, minimum, maximum and random settings
/// never produces NaN or Inf.
pub fn finite_output_for_finite_input(spec: &Spec) {
    let sr = 48_000.0;
    let n = 9600;
    let probe = spec.new_instance();
    let ports: Vec<usize> = probe
        .audio_ports()
        .inputs
        .iter()
        .map(|p| p.channels as usize)
        .collect();
    drop(probe);
    let stereo =
        |f: &dyn Fn(usize) -> f32| -> Audio { (0..2).map(|_| (0..n).map(f).collect()).collect() };
    let noise = dsp_core::signal::white_noise(n, 1.0, 77);
    let drums = dsp_core::signal::clipped_drums(sr, n as f64 / sr, 3);
    let loud = scaled(&music(sr, n as f64 / sr, 4), 100.0);
    let signals: Vec<(&str, Audio)> = vec![
        ("silence", stereo(&|_| 0.0)),
        ("DC +1", stereo(&|_| 1.0)),
        ("DC -1", stereo(&|_| -1.0)),
        (
            "Nyquist full scale",
            stereo(&|i| if i % 2 == 0 { 1.0 } else { -1.0 }),
        ),
        ("white noise full scale", stereo(&|i| noise[i])),
        ("music at +40 dBFS", loud),
        (
            "denormals",
            stereo(&|i| if i % 2 == 0 { 1e-40 } else { -3e-39 }),
        ),
        (
            "impulses",
            stereo(&|i| if i % 1000 == 0 { 1.0 } else { 0.0 }),
        ),
        ("clipped drums", vec![drums[0].clone(), drums[1].clone()]),
        ("silence after", stereo(&|_| 0.0)),
    ];
    let per_port: Vec<Vec<Audio>> = signals
        .iter()
        .map(|(_, s)| {
            ports
                .iter()
                .map(|&c| (0..c).map(|k| s[k % 2].clone()).collect())
                .collect()
        })
        .collect();
    for setting in ["default", "minimum", "maximum", "random 1", "random 2"] {
        let mut p = spec.new_instance();
        let params: Vec<ParamInfo> = p
            .params()
            .into_iter()
            .filter(|i| !i.is_readonly() && !i.is_bypass())
            .collect();
        let changes: Vec<ParamChange> = match setting {
            "default" => vec![],
            "minimum" => params
                .iter()
                .map(|i| ParamChange {
                    id: i.id,
                    value: i.min,
                })
                .collect(),
            "maximum" => params
                .iter()
                .map(|i| ParamChange {
                    id: i.id,
                    value: i.max,
                })
                .collect(),
            _ => random_settings(
                &mut p,
                setting.len() as u64 * 1234 + setting.as_bytes()[7] as u64,
            ),
        };
        p.set_params(&changes);
        p.activate(sr, 512);
        let steps: Vec<Step> = per_port
            .iter()
            .map(|inputs| Step::Process {
                inputs,
                events: &[],
                blocks: Blocks::Fixed(512),
            })
            .collect();
        let outs = p.run(&steps);
        for ((what, _), out) in signals.iter().zip(&outs) {
            if let Some((s, c, v)) = first_non_finite(&out[0]) {
                panic!(
                    "{}: {setting} settings, input {what}: {v} at sample {s} channel {c}",
                    spec.plugin.name
                );
            }
        }
    }
}

/// Generates the standard test functions for one plugin.
/// Sweeping any continuous parameter end to end in 10 ms under a sine produces no click: the
/// output's content above 5 kHz (a 1 kHz sine has none but its harmonics) during and after the
/// sweep stays within 12 dB of its steady-state level before and after the sweep (or under
/// -80 dBFS). A parameter applied without smoothing puts a step into the waveform, whose
/// broadband energy this catches. Runs with the spec's sweep settings. Returns the worst sweep-to-steady margin in dB and the parameter.
pub fn sweeps_are_click_free(spec: &Spec) -> (f64, String) {
    use dsp_core::filter::{BiquadCoeffs, BiquadState};
    let sr = 48_000.0;
    let (len, start, sweep) = (
        (1.2 * sr) as usize,
        (0.6 * sr) as usize,
        (0.01 * sr) as usize,
    );
    let tone = dsp_core::signal::sine(1000.0, sr, len, 0.25, 0.0);
    let hp = BiquadCoeffs::rbj_highpass(sr, 5000.0, std::f64::consts::FRAC_1_SQRT_2);
    let hf_peak = |a: &Audio, range: std::ops::Range<usize>| -> f64 {
        a.iter()
            .map(|ch| {
                let (mut s1, mut s2) = (BiquadState::default(), BiquadState::default());
                ch.iter()
                    .map(|&x| s2.tick(&hp, s1.tick(&hp, x as f64)))
                    .enumerate()
                    .filter(|(i, _)| range.contains(i))
                    .fold(0.0f64, |m, (_, y)| m.max(y.abs()))
            })
            .fold(0.0, f64::max)
    };
    let mut worst = (f64::NEG_INFINITY, String::new());
    let params = spec.new_instance().params();
    for info in params
        .iter()
        .filter(|i| i.is_automatable() && !i.is_stepped() && !i.is_bypass())
    {
        for (from, to) in [(0.0, 1.0), (1.0, 0.0)] {
            let mut p = spec.new_instance();
            for (id, text) in spec.sweep {
                p.set_text(id, text);
            }
            p.set_param(info.id, info.at(from));
            p.activate(sr, 512);
            let latency = p.latency() as usize;
            let events: Vec<ParamEvent> = (0..=sweep)
                .map(|k| ParamEvent {
                    sample: start + k,
                    id: info.id,
                    value: info.at(from + (to - from) * k as f64 / sweep as f64),
                })
                .collect();
            let inputs: Vec<Audio> = p
                .audio_ports()
                .inputs
                .iter()
                .enumerate()
                .map(|(i, port)| {
                    let x = if i == 0 { tone.clone() } else { vec![0.0; len] };
                    vec![x; port.channels as usize]
                })
                .collect();
            let out = p.render(&inputs, &events, Blocks::Fixed(512));
            let settle = (0.25 * sr) as usize;
            let before = hf_peak(&out, start + latency - settle..start + latency);
            let after = hf_peak(&out, len - settle..len);
            let during = hf_peak(&out, start + latency..start + latency + sweep + settle);
            let reference = db(before.max(after)).max(-92.0);
            let margin = db(during) - reference;
            let what = format!("{} {} {from}->{to}", spec.plugin.name, info.name);
            assert!(
                margin <= 12.0,
                "{what}: {:.1} dBFS above 5 kHz during the 10 ms sweep against {:.1} dBFS steady: a click",
                db(during),
                reference
            );
            if margin > worst.0 {
                worst = (margin, what);
            }
        }
    }
    worst
}

#[macro_export]
macro_rules! lathe_suite {
    ($spec:expr) => {
        use $crate::suite;

        #[test]
        fn descriptor_and_ports() {
            suite::descriptor_and_ports(&$spec);
        }
        #[test]
        fn parameters_match_frozen_contract() {
            suite::parameters_match_frozen_contract(&$spec);
        }
        #[test]
        fn value_text_round_trips() {
            suite::value_text_round_trips(&$spec);
        }
        #[test]
        fn switches_read_typed_text() {
            suite::switches_read_typed_text(&$spec);
        }
        #[test]
        fn processes_at_all_rates_and_block_sizes() {
            suite::processes_at_all_rates_and_block_sizes(&$spec, 0.5);
        }
        #[test]
        fn parameter_change_mid_block_is_sample_accurate() {
            let a = suite::sample_accurate_change(&$spec, 512, 2 * 512 + 200);
            let b = suite::sample_accurate_change(&$spec, 4096, 3001);
            println!("first changed samples: {a} (event at 1224), {b} (event at 3001)");
        }
        #[test]
        fn sweeps_are_click_free() {
            let (margin, what) = suite::sweeps_are_click_free(&$spec);
            println!("worst sweep: {what}, {margin:+.1} dB against steady state");
        }
        #[test]
        fn block_size_invariance() {
            suite::block_size_invariance(&$spec, 0.8);
        }
        #[test]
        fn reset_and_reactivate_match_fresh_instance() {
            suite::reset_and_reactivate_match_fresh_instance(&$spec);
        }
        #[test]
        fn state_round_trip() {
            suite::state_round_trip(&$spec);
        }
        #[test]
        fn invalid_state_is_rejected() {
            suite::invalid_state_is_rejected(&$spec);
        }
        #[test]
        fn reported_latency_matches_measured() {
            let f = suite::reported_latency_matches_measured(&$spec);
            println!("(sample rate, reported, impulse delay, music lag): {f:?}");
        }
        #[test]
        fn bypass_is_input_delayed_by_latency() {
            suite::bypass_is_input_delayed_by_latency(&$spec);
        }
        #[test]
        fn thread_model_is_kept() {
            suite::thread_model_is_kept(&$spec);
        }
        #[test]
        fn finite_output_for_finite_input() {
            suite::finite_output_for_finite_input(&$spec);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::typed_forms;

    #[test]
    fn typed_forms_follow_the_display() {
        assert_eq!(typed_forms("-3.0 dB"), ["-3", "-3dB", "-3 db"]);
        assert_eq!(typed_forms("1.50 kHz"), ["1.5k", "1500", "1.5 kHz"]);
        assert_eq!(typed_forms("1.20 s"), ["1.2s", "1200 ms"]);
        assert_eq!(typed_forms("L50"), ["-50", "l50"]);
        assert!(typed_forms("Hall").is_empty());
    }
}
