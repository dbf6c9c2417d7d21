//! Generates the Tauri context (config, icons, capabilities); `ui/dist` must be built first.

fn main() {
    tauri_build::build()
}
