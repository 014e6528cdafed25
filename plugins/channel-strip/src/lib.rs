pub const CLAP_ID: &str = "audio.lathe.channel-strip";
pub mod params;
