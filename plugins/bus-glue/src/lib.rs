pub const CLAP_ID: &str = "audio.lathe.bus-glue";
pub mod params;
