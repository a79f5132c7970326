//! `countersign-app [--workspace DIR]`: open a workspace in the desktop app. With no workspace
//! named, the demo workspace in the user's data directory is opened (built on first start).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: countersign-app [--workspace DIR]

Opens the Countersign workspace in DIR. Without --workspace it opens the demo workspace in your
data directory, building it on first start (every demo identity's passphrase is `demo`).";

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    if countersign_app::should_disable_dmabuf_renderer() {
        // Start again, same process and arguments, with that renderer off (see the function's
        // docs); `exec` returns only if it failed, and then the app runs as it is.
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            let e = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env(countersign_app::DMABUF_RENDERER_VAR, "1")
                .exec();
            eprintln!(
                "countersign-app: could not restart with the DMA-BUF renderer off ({e}); going on"
            );
        }
    }
    let mut args = std::env::args_os().skip(1);
    let mut workspace: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--workspace" || text == "-w" {
            match args.next() {
                Some(dir) => workspace = Some(PathBuf::from(dir)),
                None => return usage_error("--workspace needs a directory"),
            }
        } else if let Some(dir) = text.strip_prefix("--workspace=") {
            workspace = Some(PathBuf::from(dir));
        } else if text == "--help" || text == "-h" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        } else {
            return usage_error(&format!("unexpected argument `{text}`"));
        }
    }
    let (dir, demo) = match workspace {
        Some(dir) => (dir, false),
        None => (countersign_app::default_workspace_dir(), true),
    };
    if demo && !dir.join("countersign.db").exists() {
        eprintln!(
            "countersign-app: building the demo workspace in {}",
            dir.display()
        );
    }
    let ws = match countersign_app::open_workspace(&dir, demo) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!(
                "countersign-app: cannot open the workspace {}: {e}",
                dir.display()
            );
            return ExitCode::from(2);
        }
    };
    eprintln!("countersign-app: workspace {}", dir.display());
    match countersign_app::run(ws) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("countersign-app: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage_error(what: &str) -> ExitCode {
    eprintln!("countersign-app: {what}\n\n{USAGE}");
    ExitCode::from(2)
}
