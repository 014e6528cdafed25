pub const CLAP_ID: &str = "audio.lathe.maximizer";
pub mod params;
