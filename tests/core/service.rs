//! The application service the app and the CLI share.

use merchant_desk::import::ImportKind;
use merchant_desk::service::Desk;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

fn online_retail() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/online-retail.csv.gz"
    ))
}

/// An import writes through a connection of its own: while it runs, every
/// other command still reads the shop (here the journal and the status), and
/// a second long job is refused rather than queued behind it.
#[test]
fn reads_go_on_while_an_import_runs() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::new(dir.path().to_path_buf(), false).unwrap();
    let (started, on_start) = mpsc::channel();
    let (answered, on_answer) = mpsc::channel::<()>();
    let finished = AtomicBool::new(false);
    std::thread::scope(|s| {
        let desk = &desk;
        let finished = &finished;
        s.spawn(move || {
            let mut told = false;
            let report = desk
                .import_file(ImportKind::OnlineRetail, online_retail(), |_| {
                    if !told {
                        told = true;
                        started.send(()).unwrap();
                        // Hold the import here until the reads are answered.
                        on_answer.recv().unwrap();
                    }
                })
                .unwrap();
            finished.store(true, Ordering::SeqCst);
            assert!(report.rows_imported > 500_000);
        });
        on_start.recv().unwrap();
        assert!(!finished.load(Ordering::SeqCst));
        assert!(desk.journal(10).unwrap().is_empty());
        assert_eq!(
            desk.status().unwrap().shop,
            None,
            "the import is not committed yet"
        );
        assert_eq!(desk.sync_now(false, |_| {}).unwrap_err().code(), "busy");
        answered.send(()).unwrap();
    });
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!(desk.status().unwrap().shop.unwrap().currency, "GBP");
}
