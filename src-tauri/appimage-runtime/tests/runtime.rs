//! The AppImage runtime on a small app folder packed the way `.ci/package`
//! packs the real one (mksquashfs, gzip, appended to the runtime, the type 2
//! magic at byte 8): it mounts the image with FUSE and runs `AppRun` with the
//! owner's arguments, unpacks it into the cache when asked or when FUSE is
//! missing, and passes the app's exit code on. Needs `mksquashfs`,
//! `squashfuse` and `/dev/fuse` (`.ci/setup` installs the first two).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const RUNTIME: &str = env!("CARGO_BIN_EXE_merchant-desk-appimage-runtime");

/// An AppImage whose AppRun writes where it runs from, its arguments and the
/// AppImage variables into `$REPORT`, reads a data file through a symbolic
/// link, and exits with the code in its first argument.
fn build_image(dir: &Path) -> PathBuf {
    let app = dir.join("AppDir");
    std::fs::create_dir_all(app.join("usr/share/data")).unwrap();
    std::fs::write(app.join("usr/share/data/price.txt"), "10.49\n").unwrap();
    std::os::unix::fs::symlink("usr/share/data/price.txt", app.join("price.txt")).unwrap();
    let app_run = app.join("AppRun");
    std::fs::write(
        &app_run,
        "#!/bin/sh\nHERE=\"$(dirname \"$(readlink -f \"$0\")\")\"\n\
         { echo \"here=$HERE\"; echo \"appdir=$APPDIR\"; echo \"appimage=$APPIMAGE\"; \
         echo \"args=$*\"; echo \"price=$(cat \"$HERE/price.txt\")\"; } > \"$REPORT\"\n\
         exit \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&app_run, std::fs::Permissions::from_mode(0o755)).unwrap();
    let squashfs = dir.join("app.squashfs");
    let status = Command::new("mksquashfs")
        .arg(&app)
        .arg(&squashfs)
        .args([
            "-root-owned",
            "-noappend",
            "-comp",
            "gzip",
            "-quiet",
            "-no-progress",
        ])
        .status()
        .expect("mksquashfs (squashfs-tools) is needed");
    assert!(status.success());
    let mut bytes = std::fs::read(RUNTIME).unwrap();
    bytes[8..11].copy_from_slice(b"AI\x02");
    bytes.extend(std::fs::read(&squashfs).unwrap());
    let image = dir.join("Merchant Desk test.AppImage");
    std::fs::write(&image, bytes).unwrap();
    std::fs::set_permissions(&image, std::fs::Permissions::from_mode(0o755)).unwrap();
    image
}

fn report(path: &Path) -> std::collections::HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn offset_is_where_the_runtime_ends() {
    let dir = tempfile::tempdir().unwrap();
    let image = build_image(dir.path());
    let out = Command::new(&image)
        .arg("--appimage-offset")
        .output()
        .unwrap();
    assert!(out.status.success());
    let offset: u64 = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(offset, std::fs::metadata(RUNTIME).unwrap().len());
}

#[test]
fn mounts_the_image_runs_app_run_and_unmounts() {
    assert!(Path::new("/dev/fuse").exists(), "this test needs FUSE");
    let dir = tempfile::tempdir().unwrap();
    let image = build_image(dir.path());
    let report_file = dir.path().join("report");
    let runtime_dir = dir.path().join("run");
    std::fs::create_dir(&runtime_dir).unwrap();
    let status = Command::new(&image)
        .args(["3", "a shop name with spaces"])
        .env("REPORT", &report_file)
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3), "the app's exit code comes back");
    let r = report(&report_file);
    assert!(
        r["here"].starts_with(runtime_dir.join(".mount_merchant-desk-").to_str().unwrap()),
        "{r:?}"
    );
    assert_eq!(r["appdir"], r["here"]);
    assert_eq!(r["appimage"], image.to_str().unwrap());
    assert_eq!(r["args"], "3 a shop name with spaces");
    assert_eq!(r["price"], "10.49");
    // Unmounted and removed once the app ended; nothing unpacked.
    assert_eq!(std::fs::read_dir(&runtime_dir).unwrap().count(), 0);
    assert!(!dir.path().join("cache").exists());
}

#[test]
fn unpacks_into_the_cache_once_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let image = build_image(dir.path());
    let report_file = dir.path().join("report");
    let cache = dir.path().join("cache");
    let run = || {
        Command::new(&image)
            .arg("0")
            .env("REPORT", &report_file)
            .env("APPIMAGE_EXTRACT_AND_RUN", "1")
            .env("XDG_CACHE_HOME", &cache)
            .status()
            .unwrap()
    };
    assert!(run().success());
    let r = report(&report_file);
    let copies: Vec<_> = std::fs::read_dir(cache.join("merchant-desk/appimage"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(Path::new(&r["here"]), copies[0]);
    assert_eq!(r["price"], "10.49", "the symbolic link survives unpacking");
    let mode = std::fs::metadata(copies[0].join("AppRun"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    // A second start uses the same copy.
    std::fs::remove_file(&report_file).unwrap();
    assert!(run().success());
    assert_eq!(report(&report_file)["here"], r["here"]);
    assert_eq!(
        std::fs::read_dir(cache.join("merchant-desk/appimage"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn extract_writes_squashfs_root() {
    let dir = tempfile::tempdir().unwrap();
    let image = build_image(dir.path());
    let out = Command::new(&image)
        .arg("--appimage-extract")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = dir.path().join("squashfs-root");
    assert_eq!(
        std::fs::read_to_string(root.join("usr/share/data/price.txt")).unwrap(),
        "10.49\n"
    );
    assert_eq!(
        std::fs::read_link(root.join("price.txt")).unwrap(),
        Path::new("usr/share/data/price.txt")
    );
}

#[test]
fn a_runtime_without_an_image_says_so() {
    let out = Command::new(RUNTIME).output().unwrap();
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("has no app image appended"), "{err}");
}
