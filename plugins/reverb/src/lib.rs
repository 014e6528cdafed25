pub const CLAP_ID: &str = "audio.lathe.reverb";
pub mod params;
