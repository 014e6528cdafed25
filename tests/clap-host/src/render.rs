//! Rendering: the plugin processes on a separate audio thread while the main thread keeps serving
//! the plugin's main-thread requests, as in a DAW. Parameter automation is given at absolute
//! sample positions and cut into each host block as sample-accurate CLAP events, so the same
//! automation can be rendered with any block schedule.

use crate::host::{AudioThreadGuard, Harness};
use crate::plugin::{ParamChange, Plugin};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use dsp_core::signal::Rng;
use std::time::Duration;

/// One port's audio: channels of samples.
pub type Audio = Vec<Vec<f32>>;

/// A parameter change at an absolute sample position of a render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamEvent {
    pub sample: usize,
    pub id: u32,
    pub value: f64,
}

/// How the host cuts a render into process calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocks {
    /// Every block this size (the last one shorter).
    Fixed(usize),
    /// Sizes drawn uniformly from `1..=max` with a seeded generator.
    Random { seed: u64, max: usize },
}

impl Blocks {
    pub fn sizes(&self, total: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = total;
        let mut rng = match self {
            Blocks::Random { seed, .. } => Some(Rng::new(*seed)),
            _ => None,
        };
        while left > 0 {
            let n = match self {
                Blocks::Fixed(n) => *n,
                Blocks::Random { max, .. } => rng.as_mut().unwrap().range(1, *max),
            }
            .min(left);
            out.push(n);
            left -= n;
        }
        out
    }

    /// The largest block this schedule can produce (for `activate`'s `max_frames_count`).
    pub fn max(&self) -> usize {
        match self {
            Blocks::Fixed(n) => *n,
            Blocks::Random { max, .. } => *max,
        }
    }
}

/// One thing to do within a processing session.
pub enum Step<'a> {
    /// Process `inputs` (one entry per input port; missing ports get silence) with `events`.
    Process {
        inputs: &'a [Audio],
        events: &'a [ParamEvent],
        blocks: Blocks,
    },
    /// `clap_plugin.reset` on the audio thread, between process calls.
    Reset,
}

/// Per-block host buffers for every port, reused across blocks.
pub(crate) struct BlockBuffers {
    in_ports: AudioPorts,
    out_ports: AudioPorts,
    scratch_in: Vec<Audio>,
    scratch_out: Vec<Audio>,
    events: EventBuffer,
    out_events: EventBuffer,
    pub steady_time: u64,
}

impl BlockBuffers {
    pub(crate) fn new(in_channels: &[u32], out_channels: &[u32], max_block: usize) -> Self {
        let mk = |chs: &[u32]| -> Vec<Audio> {
            chs.iter()
                .map(|&c| vec![vec![0.0f32; max_block]; c as usize])
                .collect()
        };
        Self {
            in_ports: AudioPorts::with_capacity(
                in_channels.iter().sum::<u32>() as usize,
                in_channels.len(),
            ),
            out_ports: AudioPorts::with_capacity(
                out_channels.iter().sum::<u32>() as usize,
                out_channels.len(),
            ),
            scratch_in: mk(in_channels),
            scratch_out: mk(out_channels),
            events: EventBuffer::with_capacity(256),
            out_events: EventBuffer::with_capacity(256),
            steady_time: 0,
        }
    }

    /// Processes `len` samples starting at `pos` of `inputs`, writing into `outputs` at `pos`.
    /// `events` must be sorted by sample; those in `pos..pos + len` are sent, `*next_event`
    /// advances past them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn process_block(
        &mut self,
        processor: &mut StartedPluginAudioProcessor<Harness>,
        inputs: &[Audio],
        outputs: &mut [Audio],
        pos: usize,
        len: usize,
        events: &[ParamEvent],
        next_event: &mut usize,
        initial: &[ParamChange],
    ) {
        for (p, port) in self.scratch_in.iter_mut().enumerate() {
            for (c, ch) in port.iter_mut().enumerate() {
                match inputs.get(p).and_then(|a| a.get(c)) {
                    Some(src) => ch[..len].copy_from_slice(&src[pos..pos + len]),
                    None => ch[..len].fill(0.0),
                }
            }
        }
        // Garbage in the output buffers: a plugin that leaves samples unwritten shows NaNs.
        for port in self.scratch_out.iter_mut() {
            for ch in port.iter_mut() {
                ch[..len].fill(f32::NAN);
            }
        }
        self.events.clear();
        for c in initial {
            self.events.push(&ParamValueEvent::new(
                0,
                ClapId::new(c.id),
                Pckn::match_all(),
                c.value,
            ));
        }
        while *next_event < events.len() && events[*next_event].sample < pos + len {
            let e = events[*next_event];
            assert!(e.sample >= pos, "events must be sorted by sample");
            self.events.push(&ParamValueEvent::new(
                (e.sample - pos) as u32,
                ClapId::new(e.id),
                Pckn::match_all(),
                e.value,
            ));
            *next_event += 1;
        }
        self.out_events.clear();

        let input = self
            .in_ports
            .with_input_buffers(self.scratch_in.iter_mut().map(|port| {
                AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_input_only(
                        port.iter_mut()
                            .map(|c| InputChannel::variable(&mut c[..len])),
                    ),
                }
            }));
        let mut output = self
            .out_ports
            .with_output_buffers(self.scratch_out.iter_mut().map(|port| AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    port.iter_mut().map(|c| &mut c[..len]),
                ),
            }));
        processor
            .process(
                &input,
                &mut output,
                &self.events.as_input(),
                &mut self.out_events.as_output(),
                Some(self.steady_time),
                None,
            )
            .unwrap_or_else(|e| panic!("process() failed at sample {pos} (block of {len}): {e}"));
        self.steady_time += len as u64;

        for (port, out) in self.scratch_out.iter().zip(outputs.iter_mut()) {
            for (ch, dst) in port.iter().zip(out.iter_mut()) {
                dst[pos..pos + len].copy_from_slice(&ch[..len]);
            }
        }
    }
}

fn input_len(inputs: &[Audio]) -> usize {
    inputs
        .iter()
        .flat_map(|a| a.iter())
        .map(|c| c.len())
        .max()
        .unwrap_or(0)
}

impl Plugin {
    /// One processing session (`start_processing` .. `stop_processing`) on a new audio thread,
    /// running `steps` in order; returns the outputs (one `Vec<Audio>` of output ports per
    /// `Process` step). The main thread serves `on_main_thread` requests meanwhile.
    pub fn run(&mut self, steps: &[Step]) -> Vec<Vec<Audio>> {
        self.run_with(steps, |_| {})
    }

    /// [`Plugin::run`], calling `on_main(self)` on the main thread again and again while the
    /// audio thread processes (what a DAW's GUI thread does during playback: read values, save or
    /// load state...). While processing, parameter changes are queued for the next session.
    pub fn run_with(
        &mut self,
        steps: &[Step],
        on_main: impl FnMut(&mut Plugin),
    ) -> Vec<Vec<Audio>> {
        let processor = self
            .processor
            .take()
            .expect("activate the plugin before rendering");
        let max_block = self.max_block();
        let in_ch: Vec<u32> = self.layout.inputs.iter().map(|p| p.channels).collect();
        let out_ch: Vec<u32> = self.layout.outputs.iter().map(|p| p.channels).collect();
        let mut initial = std::mem::take(&mut self.pending);
        for step in steps {
            if let Step::Process {
                inputs,
                events,
                blocks,
            } = step
            {
                assert!(
                    blocks.max() <= max_block,
                    "block size {} > max_frames_count {max_block}",
                    blocks.max()
                );
                let n = input_len(inputs);
                for i in inputs.iter() {
                    for c in i {
                        assert_eq!(c.len(), n, "all input channels must have the same length");
                    }
                }
                assert!(
                    events.windows(2).all(|w| w[0].sample <= w[1].sample),
                    "events must be sorted"
                );
                assert!(
                    events.iter().all(|e| e.sample < n.max(1)),
                    "event past the end of the render"
                );
            }
        }

        let result = std::thread::scope(|s| {
            let audio = s.spawn(move || {
                let _audio = AudioThreadGuard::enter();
                let mut started = processor
                    .start_processing()
                    .unwrap_or_else(|e| panic!("start_processing failed: {e}"));
                let mut buffers = BlockBuffers::new(&in_ch, &out_ch, max_block);
                let mut outs = Vec::new();
                for step in steps {
                    match step {
                        Step::Reset => started.reset(),
                        Step::Process {
                            inputs,
                            events,
                            blocks,
                        } => {
                            let n = input_len(inputs);
                            let mut out: Vec<Audio> = out_ch
                                .iter()
                                .map(|&c| vec![vec![0.0f32; n]; c as usize])
                                .collect();
                            let mut pos = 0;
                            let mut next = 0;
                            for len in blocks.sizes(n) {
                                let first = if pos == 0 {
                                    std::mem::take(&mut initial)
                                } else {
                                    vec![]
                                };
                                buffers.process_block(
                                    &mut started,
                                    inputs,
                                    &mut out,
                                    pos,
                                    len,
                                    events,
                                    &mut next,
                                    &first,
                                );
                                pos += len;
                            }
                            outs.push(out);
                        }
                    }
                }
                (started.stop_processing(), outs)
            });
            self.serve_main_thread(&mut [], audio, on_main)
        });
        let (processor, outs) = result;
        self.processor = Some(processor);
        self.pump();
        outs
    }

    /// What a DAW's GUI thread does while its audio thread runs `audio`: serves the
    /// `on_main_thread` requests of this plugin and of `others` and calls `on_main(self)`, again
    /// and again, at least once however fast the audio thread is (a loaded machine may not run
    /// this thread before it finishes). Returns what the audio thread returned, or resumes its
    /// panic.
    pub(crate) fn serve_main_thread<T>(
        &mut self,
        others: &mut [Plugin],
        audio: std::thread::ScopedJoinHandle<'_, T>,
        mut on_main: impl FnMut(&mut Plugin),
    ) -> T {
        loop {
            self.pump();
            for p in others.iter_mut() {
                p.pump();
            }
            on_main(self);
            if audio.is_finished() {
                break;
            }
            std::thread::park_timeout(Duration::from_millis(2));
        }
        audio
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Renders `inputs` in one session and returns the main output port's audio.
    pub fn render(&mut self, inputs: &[Audio], events: &[ParamEvent], blocks: Blocks) -> Audio {
        let mut outs = self.run(&[Step::Process {
            inputs,
            events,
            blocks,
        }]);
        outs.pop()
            .unwrap()
            .into_iter()
            .next()
            .expect("the plugin has no output port")
    }

    /// Renders the main input only (other input ports silent) in `block`-sized blocks.
    pub fn render_simple(&mut self, input: &Audio, block: usize) -> Audio {
        self.render(std::slice::from_ref(input), &[], Blocks::Fixed(block))
    }
}
