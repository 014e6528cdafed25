//! Each plugin crate exports its CLAP and VST3 entry points (`clap_entry`, `GetPluginFactory`...)
//! with `#[no_mangle]`; the fuzz targets link all four plugins into one binary to reach their
//! parameters, so those symbols are defined four times. The fuzzers never call them: let the
//! linker keep the first definition.
fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--allow-multiple-definition");
}
