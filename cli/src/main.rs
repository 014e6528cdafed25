//! `lathe master`: offline mastering through the Lathe Maximizer chain. See `cli/README.md`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use lathe_cli::*;
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lathe", version, about = "Lathe offline mastering")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum BitsArg {
    #[value(name = "16")]
    B16,
    #[value(name = "24")]
    B24,
    #[value(name = "32f")]
    F32,
}

#[derive(Subcommand)]
enum Command {
    /// Master WAV/FLAC/AIFF files to a loudness target under a true-peak ceiling.
    Master {
        /// Input files (WAV, FLAC, AIFF; mono or stereo).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output WAV file (one input) or folder (created if missing).
        #[arg(short, long)]
        output: PathBuf,
        /// Integrated loudness target, LUFS [default: the preset's Target, else -14].
        #[arg(long, allow_negative_numbers = true)]
        target: Option<f64>,
        /// True-peak ceiling, dBTP [default: the preset's Ceiling, else -1].
        #[arg(long, allow_negative_numbers = true)]
        ceiling: Option<f64>,
        /// Output word length; 16 and 24 are TPDF-dithered.
        #[arg(long, value_enum, default_value = "24")]
        bits: BitsArg,
        /// Noise shaping of the dither: none, light, strong [default: the preset's, else none].
        #[arg(long)]
        noise_shaping: Option<String>,
        /// One gain for all files (relative levels kept), set so the album hits the target.
        #[arg(long)]
        album: bool,
        /// Maximizer preset: the plugin's saved state (JSON).
        #[arg(long)]
        preset: Option<PathBuf>,
        /// Also write the report as JSON.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lathe: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn progress(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .expect("a valid template"),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

fn run(cli: Cli) -> Result<ExitCode> {
    let Command::Master {
        inputs,
        output,
        target,
        ceiling,
        bits,
        noise_shaping,
        album,
        preset,
        report,
    } = cli.command;

    let params = preset.as_deref().map(load_preset).transpose()?;
    let mut settings = base_settings(params.as_ref());
    let target_lufs = target.unwrap_or_else(|| {
        params
            .as_ref()
            .map_or(-14.0, |p| p.target_lufs.value() as f64)
    });
    if let Some(c) = ceiling {
        if !(-12.0..=0.0).contains(&c) {
            bail!("--ceiling {c}: the Maximizer's ceiling range is -12..0 dB");
        }
        settings.ceiling_db = c;
    }
    let bits = match bits {
        BitsArg::B16 => Bits::I16,
        BitsArg::B24 => Bits::I24,
        BitsArg::F32 => Bits::F32,
    };
    settings.dither_bits = bits.dither_bits();
    if let Some(ns) = noise_shaping {
        settings.noise_shape = noise_shape(&ns)?;
    }
    let job = Job {
        target_lufs,
        settings,
        bits,
    };

    // Destinations.
    let single_file = inputs.len() == 1 && !output.is_dir() && !output.as_os_str().is_empty() && {
        output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
    };
    if inputs.len() > 1
        && !output.is_dir()
        && output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
    {
        bail!(
            "{} inputs need a folder for -o, not the file {}",
            inputs.len(),
            output.display()
        );
    }
    if !single_file {
        std::fs::create_dir_all(&output)
            .with_context(|| format!("{}: cannot create the output folder", output.display()))?;
    }
    let dests: Vec<PathBuf> = inputs
        .iter()
        .map(|i| {
            if single_file {
                output.clone()
            } else {
                let stem = i.file_stem().unwrap_or(i.as_os_str());
                output.join(Path::new(stem).with_extension("wav"))
            }
        })
        .collect();
    for (i, d) in dests.iter().enumerate() {
        if dests[..i].contains(d) {
            bail!("two inputs would both be written to {}", d.display());
        }
    }

    let pb = progress(inputs.len() as u64 * 2);
    pb.set_message("reading");
    // Read everything first: an unreadable file stops the run before anything is written.
    let decoded: Vec<Result<Audio>> = inputs
        .par_iter()
        .map(|p| {
            let r = decode(p).with_context(|| format!("{}", p.display()));
            pb.inc(1);
            r
        })
        .collect();
    let mut audio = Vec::new();
    let mut failures = Vec::new();
    for r in decoded {
        match r {
            Ok(a) => audio.push(a),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    if !failures.is_empty() {
        pb.finish_and_clear();
        for f in &failures {
            eprintln!("lathe: error: {f}");
        }
        bail!(
            "{} of {} input file(s) could not be read; nothing was written",
            failures.len(),
            inputs.len()
        );
    }

    pb.set_message("mastering");
    let (tracks, album_in, album_out) = if album {
        master_album(&inputs, &dests, &audio, &job, &pb)?
    } else {
        let tracks = inputs
            .par_iter()
            .zip(&dests)
            .zip(&audio)
            .map(|((i, d), a)| {
                let r = master_track(i, d, a, &job);
                pb.inc(1);
                r
            })
            .collect::<Result<Vec<_>>>()?;
        (tracks, None, None)
    };
    pb.finish_and_clear();

    let report_data = Report {
        mode: if album { "album" } else { "track" },
        target_lufs,
        ceiling_dbtp: job.settings.ceiling_db,
        bits,
        album_input_lufs: album_in,
        album_output_lufs: album_out,
        tracks,
    };
    print_table(&report_data);
    if let Some(path) = report {
        let json = serde_json::to_string_pretty(&report_data)?;
        std::fs::write(&path, json)
            .with_context(|| format!("{}: cannot write the report", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn master_track(input: &Path, dest: &Path, audio: &Audio, job: &Job) -> Result<TrackReport> {
    let m_in = measure(audio);
    let mut best: Option<(Measurement, Audio, GrStats)> = None;
    let target = job.target_lufs;
    let (gain, _, renders) = search_gain(m_in.integrated_lufs, target, |g| {
        let (out, gr) = render(audio, &job.with_gain(g));
        let m = measure(&out);
        let l = m.integrated_lufs;
        if best
            .as_ref()
            .is_none_or(|(bm, _, _)| (l - target).abs() < (bm.integrated_lufs - target).abs())
        {
            best = Some((m, out, gr));
        }
        l
    });
    let (m_out, out, gr) = best.expect("one render at least");
    let loudness = m_out.integrated_lufs;
    write_wav(dest, &out, job.bits).with_context(|| format!("{}", dest.display()))?;
    Ok(TrackReport {
        input_file: input.to_path_buf(),
        output_file: dest.to_path_buf(),
        input: m_in,
        output: m_out,
        gain_db: gain,
        gain_reduction: gr,
        renders,
        target_reached: (loudness - job.target_lufs).abs() <= TOLERANCE_LU,
        note: miss_note(gain, loudness, job.target_lufs, m_in.integrated_lufs),
    })
}

type AlbumResult = (Vec<TrackReport>, Option<f64>, Option<f64>);

fn master_album(
    inputs: &[PathBuf],
    dests: &[PathBuf],
    audio: &[Audio],
    job: &Job,
    pb: &ProgressBar,
) -> Result<AlbumResult> {
    let (sr, ch) = (audio[0].sample_rate, audio[0].channels.len());
    for (i, a) in inputs.iter().zip(audio) {
        if a.sample_rate != sr || a.channels.len() != ch {
            bail!(
                "{}: album mode needs one format: {} Hz/{} ch here, {} Hz/{} ch in {}",
                i.display(),
                a.sample_rate,
                a.channels.len(),
                sr,
                ch,
                inputs[0].display()
            );
        }
    }
    let m_in: Vec<Measurement> = audio.par_iter().map(measure).collect();
    let album_in = album_loudness(audio);
    let mut best: Option<(f64, Vec<(Audio, GrStats)>)> = None;
    let mut renders = 0;
    let (gain, loudness, _) = search_gain(album_in, job.target_lufs, |g| {
        renders += 1;
        pb.set_message(format!("album render {renders} at {g:.2} dB"));
        let s = job.with_gain(g);
        let outs: Vec<(Audio, GrStats)> = audio.par_iter().map(|a| render(a, &s)).collect();
        let l = album_loudness(outs.iter().map(|(a, _)| a));
        if best
            .as_ref()
            .is_none_or(|(bl, _)| (l - job.target_lufs).abs() < (bl - job.target_lufs).abs())
        {
            best = Some((l, outs));
        }
        l
    });
    let (_, outs) = best.expect("one render at least");
    let note = miss_note(gain, loudness, job.target_lufs, album_in);
    let tracks = inputs
        .par_iter()
        .zip(dests)
        .zip(outs.par_iter())
        .zip(m_in.par_iter())
        .map(|(((i, d), (out, gr)), m)| {
            write_wav(d, out, job.bits).with_context(|| format!("{}", d.display()))?;
            pb.inc(1);
            Ok(TrackReport {
                input_file: i.clone(),
                output_file: d.clone(),
                input: *m,
                output: measure(out),
                gain_db: gain,
                gain_reduction: *gr,
                renders: 0,
                target_reached: note.is_none(),
                note: note.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((tracks, Some(album_in), Some(loudness)))
}

fn print_table(r: &Report) {
    println!(
        "{:<28} {:>8} {:>6} {:>7} | {:>6} | {:>8} {:>6} {:>7} | {:>6} {:>6}",
        "file", "in LUFS", "LRA", "dBTP", "gain", "out LUFS", "LRA", "dBTP", "GR max", "GR avg"
    );
    for t in &r.tracks {
        let name = t
            .input_file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let name = if name.chars().count() > 28 {
            let tail: String = name
                .chars()
                .rev()
                .take(27)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("…{tail}")
        } else {
            name
        };
        println!(
            "{:<28} {:>8.1} {:>6.1} {:>7.2} | {:>6.2} | {:>8.1} {:>6.1} {:>7.2} | {:>6.2} {:>6.2}",
            name,
            t.input.integrated_lufs,
            t.input.lra_lu,
            t.input.true_peak_dbtp,
            t.gain_db,
            t.output.integrated_lufs,
            t.output.lra_lu,
            t.output.true_peak_dbtp,
            t.gain_reduction.max_db,
            t.gain_reduction.mean_db,
        );
    }
    if let (Some(i), Some(o)) = (r.album_input_lufs, r.album_output_lufs) {
        println!(
            "album: {i:.1} LUFS in, {o:.1} LUFS out (target {:.1})",
            r.target_lufs
        );
    }
    let mut notes: Vec<&str> = r.tracks.iter().filter_map(|t| t.note.as_deref()).collect();
    notes.dedup();
    for n in notes {
        println!("note: {n}");
    }
}
