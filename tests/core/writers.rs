//! Two writers on one shop file (the app and the CLI, a background sync and
//! an import) queue; neither fails with "database is locked".

use crate::fixtures::{online_retail, shop};
use chrono::Utc;
use merchant_desk::import::{import_file, Control, ImportKind};
use merchant_desk::store::Store;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;

#[test]
fn an_import_and_a_shop_edit_at_once_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    Store::open(&path)
        .unwrap()
        .set_shop(&shop("GBP", "Europe/London"), Utc::now())
        .unwrap();
    let file = online_retail();
    let (started, on_start) = mpsc::channel();
    std::thread::scope(|s| {
        let import = s.spawn(|| {
            let cancel = AtomicBool::new(false);
            let mut told = false;
            let mut control = Control::new(&cancel, |_| {
                if !told {
                    told = true;
                    started.send(()).unwrap();
                }
            });
            let mut store = Store::open(&path).unwrap();
            import_file(
                &mut store,
                ImportKind::OnlineRetail,
                &file,
                &mut control,
                Utc::now(),
            )
        });
        // The import is under way, inside its transaction: a second writer
        // waits for it, then writes.
        on_start.recv().unwrap();
        let mut other = Store::open(&path).unwrap();
        let mut renamed = shop("GBP", "Europe/London");
        renamed.name = "Renamed while importing".into();
        other.set_shop(&renamed, Utc::now()).unwrap();
        let report = import.join().unwrap().unwrap();
        assert!(report.rows_imported > 500_000, "{report:?}");
    });
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.shop().unwrap().unwrap().name,
        "Renamed while importing"
    );
    let orders: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap();
    assert!(orders > 20_000, "{orders} orders");
}
