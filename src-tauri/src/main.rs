//! The desktop shell: a window around the UI, and the commands of
//! `merchant_desk::desk_commands!` as Tauri commands, each one call into the
//! service on tokio's blocking pool. Nothing here computes anything.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(feature = "startup-probe")]
mod probe;

use merchant_desk::service::watch::{self, Timing, WatchEvent};
use merchant_desk::service::Desk;
use merchant_desk::Error;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{Emitter, Manager, State};
use tauri_plugin_notification::NotificationExt;

/// Seconds between the background loop's rounds; a minute unless
/// `MERCHANT_DESK_SETTLE_SECONDS` says otherwise (the end-to-end tests turn
/// it faster so a sale's start and end happen within a test).
fn timing() -> Timing {
    let mut t = Timing::default();
    if let Some(s) = std::env::var("MERCHANT_DESK_SETTLE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
    {
        t.settle_every = std::time::Duration::from_secs(s);
    }
    t
}

/// Starts the background loop: each event goes to the window as
/// `desk-event`, and each new notification also to the desktop's
/// notifications.
fn start_background(app: &tauri::App, desk: Arc<Desk>) {
    let handle = app.handle().clone();
    let (stop, listen) = tokio::sync::watch::channel(false);
    // The loop runs as long as the app: the sender is kept with it.
    app.manage(stop);
    tauri::async_runtime::spawn(watch::run(desk, timing(), listen, move |event| {
        if let WatchEvent::Round { round } = &event {
            for n in &round.notices {
                if let Err(e) = handle
                    .notification()
                    .builder()
                    .title(&n.title)
                    .body(&n.body)
                    .show()
                {
                    tracing::warn!("the desktop did not take a notification: {e}");
                }
            }
        }
        if let Err(e) = handle.emit("desk-event", &event) {
            tracing::warn!("the window did not take a background event: {e}");
        }
    }));
}

/// One Tauri command per line of the contract. The work runs on the
/// blocking pool: rusqlite and storefront HTTP block, and a long import or
/// simulation must not hold up an async worker.
macro_rules! shell_commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty $(, progress $p:ty)? ; )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            async fn $name(
                desk: State<'_, Arc<Desk>>,
                $($arg: $ty,)*
                $(on_progress: Channel<$p>,)?
            ) -> Result<$ret, Error> {
                let desk = Arc::clone(&desk);
                tauri::async_runtime::spawn_blocking(move || {
                    desk.$name(
                        $($arg,)*
                        $(move |p: &$p| drop(on_progress.send(p.clone())),)?
                    )
                })
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
            }
        )*

        fn handlers() -> impl Fn(tauri::ipc::Invoke) -> bool {
            tauri::generate_handler![$($name,)* app_painted]
        }
    };
}

merchant_desk::desk_commands!(shell_commands);

/// The UI says its first dashboard is on screen (the start-up benchmark).
#[tauri::command]
fn app_painted(#[allow(unused_variables)] page_ms: f64, app: tauri::AppHandle) {
    #[cfg(feature = "startup-probe")]
    {
        use tauri::Manager;
        app.state::<probe::StartupProbe>().painted(page_ms);
    }
    #[cfg(not(feature = "startup-probe"))]
    let _ = (page_ms, app);
}

fn main() {
    #[cfg(feature = "startup-probe")]
    let probe = probe::StartupProbe::start();
    // A dashboard needs no GPU compositing; without it WebKitGTK starts about
    // 200 ms sooner and uses about 100 MB less on a machine without a GPU
    // (docs/benchmarks.md). An owner's own setting of the variable wins.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    // The benchmark's floor: an empty window on the same stack (probe.rs).
    #[cfg(feature = "startup-probe")]
    if std::env::var_os("MERCHANT_DESK_PROBE_EMPTY_WINDOW").is_some() {
        return probe::empty_window(probe, tauri::generate_context!());
    }
    let data_dir = std::env::var_os("MERCHANT_DESK_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(merchant_desk::store::data_dir);
    merchant_desk::logging::init(&data_dir);
    let prefer_demo = std::env::args().any(|a| a == "--demo");
    let desk = match Desk::new(data_dir, prefer_demo) {
        Ok(desk) => Arc::new(desk),
        Err(e) => {
            eprintln!("Merchant Desk cannot start: {e}");
            std::process::exit(1);
        }
    };
    let background = Arc::clone(&desk);
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(desk)
        .setup(move |app| {
            start_background(app, background);
            Ok(())
        });
    #[cfg(feature = "startup-probe")]
    let builder = builder.manage(probe);
    builder
        .invoke_handler(handlers())
        .run(tauri::generate_context!())
        .expect("the window could not be opened");
}
