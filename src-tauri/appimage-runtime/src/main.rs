//! The executable part of Merchant Desk's AppImage (`.ci/package`): a type 2
//! AppImage is this ELF file with a SquashFS image of the app's directory
//! appended. Run, it finds the image after its own ELF sections, mounts it
//! read-only with `squashfuse` (FUSE) and starts the image's `AppRun`; where
//! FUSE or `squashfuse` is missing, or `APPIMAGE_EXTRACT_AND_RUN=1` asks for
//! it, it unpacks the image once into the user's cache instead and starts it
//! from there.
//!
//! Options, as other AppImages take them:
//! `--appimage-offset` prints where the image starts, `--appimage-extract`
//! unpacks it into `./squashfs-root`, `--appimage-help` lists these.
//!
//! Built by `.ci/package`; its test is `tests/runtime.rs`.

use backhand::{FilesystemReader, InnerNode};
use std::ffi::OsString;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const HELP: &str = "Merchant Desk AppImage\n\
  --appimage-offset   print the byte offset of the app's image in this file\n\
  --appimage-extract  unpack the app into ./squashfs-root\n\
  --appimage-help     this text\n\
Any other arguments go to the app. APPIMAGE_EXTRACT_AND_RUN=1 unpacks the app\n\
into the cache and runs it from there instead of mounting it.";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("Merchant Desk could not start: {message}");
            ExitCode::from(127)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let image = std::env::current_exe().map_err(|e| format!("cannot find its own file: {e}"))?;
    let offset = image_offset(&image)?;
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = if args.is_empty() {
        image.clone().into_os_string()
    } else {
        args.remove(0)
    };
    match args.first().and_then(|a| a.to_str()) {
        Some("--appimage-offset") => {
            println!("{offset}");
            return Ok(ExitCode::SUCCESS);
        }
        Some("--appimage-extract") => {
            let target = PathBuf::from("squashfs-root");
            extract(&image, offset, &target)?;
            println!("{}", target.display());
            return Ok(ExitCode::SUCCESS);
        }
        Some("--appimage-help") => {
            println!("{HELP}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) if other.starts_with("--appimage-") => {
            return Err(format!("unknown option {other}\n{HELP}"));
        }
        _ => {}
    }
    let extract_and_run = std::env::var_os("APPIMAGE_EXTRACT_AND_RUN").is_some_and(|v| v == "1");
    if !extract_and_run && fuse_usable() {
        match run_mounted(&image, offset, &argv0, &args) {
            Ok(code) => return Ok(code),
            Err(e) => {
                eprintln!("Merchant Desk: mounting the app failed ({e}); unpacking it instead")
            }
        }
    }
    let dir = cached_copy(&image, offset)?;
    let err = app_run(&dir, &image, &argv0, &args).exec();
    Err(format!(
        "cannot start {}: {err}",
        dir.join("AppRun").display()
    ))
}

/// The end of the ELF part, where the image starts: the section header table
/// is the last thing a linker writes. The image there must be SquashFS.
fn image_offset(path: &Path) -> Result<u64, String> {
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut header = [0u8; 64];
    f.read_exact(&mut header)
        .map_err(|e| format!("{} is too short: {e}", path.display()))?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return Err(format!(
            "{} is not a 64-bit little-endian ELF file",
            path.display()
        ));
    }
    let u64_at = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().unwrap_or_default());
    let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]) as u64;
    let offset = u64_at(0x28) + u16_at(0x3a) * u16_at(0x3c);
    let mut magic = [0u8; 4];
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.read_exact(&mut magic))
        .map_err(|_| format!("{} has no app image appended", path.display()))?;
    if &magic != b"hsqs" {
        return Err(format!("{} has no app image appended", path.display()));
    }
    Ok(offset)
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}

fn fuse_usable() -> bool {
    Path::new("/dev/fuse").exists()
        && on_path("squashfuse").is_some()
        && (on_path("fusermount3").is_some() || on_path("fusermount").is_some())
}

/// The command that starts the app from `dir`, with the environment other
/// AppImages give theirs.
fn app_run(dir: &Path, image: &Path, argv0: &OsString, args: &[OsString]) -> Command {
    let mut cmd = Command::new(dir.join("AppRun"));
    cmd.args(args)
        .env("APPIMAGE", image)
        .env("APPDIR", dir)
        .env("ARGV0", argv0);
    if let Ok(cwd) = std::env::current_dir() {
        cmd.env("OWD", cwd);
    }
    cmd
}

/// Mounts the image with `squashfuse` in the foreground, runs `AppRun` from
/// it, and unmounts when the app ends. Both children are told to stop if this
/// process dies first, so no mount is left behind.
fn run_mounted(
    image: &Path,
    offset: u64,
    argv0: &OsString,
    args: &[OsString],
) -> Result<ExitCode, String> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let mount = base.join(format!(".mount_merchant-desk-{}", std::process::id()));
    std::fs::create_dir_all(&mount)
        .map_err(|e| format!("cannot create {}: {e}", mount.display()))?;
    let mut fuse = Command::new("squashfuse");
    fuse.arg("-f")
        .arg("-o")
        .arg(format!("ro,offset={offset}"))
        .arg(image)
        .arg(&mount)
        .stdin(Stdio::null());
    die_with_parent(&mut fuse);
    let mut fuse = fuse.spawn().map_err(|e| format!("squashfuse: {e}"))?;
    let started = Instant::now();
    while !mount.join("AppRun").exists() {
        if let Ok(Some(status)) = fuse.try_wait() {
            let _ = std::fs::remove_dir(&mount);
            return Err(format!("squashfuse ended with {status}"));
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = fuse.kill();
            let _ = fuse.wait();
            let _ = std::fs::remove_dir(&mount);
            return Err("the image was not mounted within 10 seconds".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut app = app_run(&mount, image, argv0, args);
    die_with_parent(&mut app);
    let status = app.spawn().and_then(|mut child| {
        forward_signals_to(child.id());
        child.wait()
    });
    let unmount = on_path("fusermount3").map_or("fusermount", |_| "fusermount3");
    let unmounted = Command::new(unmount)
        .arg("-u")
        .arg(&mount)
        .status()
        .is_ok_and(|s| s.success());
    if !unmounted {
        let _ = fuse.kill();
    }
    let _ = fuse.wait();
    let _ = std::fs::remove_dir(&mount);
    let status = status.map_err(|e| format!("cannot start the app: {e}"))?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(code.clamp(0, 255) as u8),
        None => ExitCode::from(128 + status.signal().unwrap_or(0).clamp(0, 127) as u8),
    })
}

static APP_PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn forward(signal: libc::c_int) {
    let pid = APP_PID.load(std::sync::atomic::Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

/// A stop asked of this process (the session ending, Ctrl-C, `kill`) goes to
/// the app, and this process stays to unmount the image once the app ends.
fn forward_signals_to(pid: u32) {
    APP_PID.store(pid as i32, std::sync::atomic::Ordering::Relaxed);
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only reads an atomic and calls kill.
        unsafe { libc::signal(signal, forward as *const () as libc::sighandler_t) };
    }
}

/// Asks the kernel to send the child SIGTERM when this process ends.
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

/// The unpacked app in the user's cache, unpacked on first use: one folder
/// per image, named after the image's size and SquashFS superblock (which
/// holds its build time), written under a temporary name and renamed when
/// complete so a half-unpacked copy is never run.
fn cached_copy(image: &Path, offset: u64) -> Result<PathBuf, String> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("merchant-desk")
        .join("appimage");
    let mut superblock = [0u8; 96];
    let mut f =
        std::fs::File::open(image).map_err(|e| format!("cannot read {}: {e}", image.display()))?;
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.read_exact(&mut superblock))
        .map_err(|e| format!("cannot read the app image: {e}"))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let key = superblock
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64 ^ len, |h, b| {
            (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3)
        });
    let dir = cache.join(format!("{key:016x}"));
    if dir.join("AppRun").exists() {
        return Ok(dir);
    }
    let partial = cache.join(format!("{key:016x}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    extract(image, offset, &partial)?;
    match std::fs::rename(&partial, &dir) {
        Ok(()) => Ok(dir),
        // Another start unpacked it at the same time: use that copy.
        Err(_) if dir.join("AppRun").exists() => {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(dir)
        }
        Err(e) => Err(format!("cannot write {}: {e}", dir.display())),
    }
}

/// Unpacks the image into `target`: folders, files with their permissions,
/// and symbolic links.
fn extract(image: &Path, offset: u64, target: &Path) -> Result<(), String> {
    let file =
        std::fs::File::open(image).map_err(|e| format!("cannot read {}: {e}", image.display()))?;
    let fs = FilesystemReader::from_reader_with_offset(BufReader::new(file), offset)
        .map_err(|e| format!("the app image is damaged: {e}"))?;
    let write_err = |p: &Path, e: std::io::Error| format!("cannot write {}: {e}", p.display());
    std::fs::create_dir_all(target).map_err(|e| write_err(target, e))?;
    for node in fs.files() {
        let relative = node.fullpath.strip_prefix("/").unwrap_or(&node.fullpath);
        if relative.as_os_str().is_empty() {
            continue;
        }
        let path = target.join(relative);
        let mode = (node.header.permissions & 0o7777) as u32;
        match &node.inner {
            InnerNode::Dir(_) => {
                std::fs::create_dir_all(&path).map_err(|e| write_err(&path, e))?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode | 0o700))
                    .map_err(|e| write_err(&path, e))?;
            }
            InnerNode::File(f) => {
                let mut out = std::fs::File::create(&path).map_err(|e| write_err(&path, e))?;
                std::io::copy(&mut fs.file(f).reader(), &mut out)
                    .map_err(|e| write_err(&path, e))?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                    .map_err(|e| write_err(&path, e))?;
            }
            InnerNode::Symlink(link) => {
                symlink(&link.link, &path).map_err(|e| write_err(&path, e))?;
            }
            // An app folder holds no devices, pipes or sockets.
            _ => {}
        }
    }
    Ok(())
}
