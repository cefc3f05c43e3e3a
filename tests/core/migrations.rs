use crate::fixtures::*;
use merchant_desk::store::{latest_version, Store};

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE t (x); PRAGMA user_version = {};",
            latest_version() + 1
        ))
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert_eq!(err.code(), "schema_too_new");
    assert!(
        err.to_string()
            .contains(&format!("version {}", latest_version() + 1)),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file was changed"
    );
    assert!(!dir.path().join("future.sqlite-wal").exists());
}

#[test]
fn reopening_keeps_data_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    {
        let mut store = Store::open(&path).unwrap();
        store
            .set_shop(&shop("GBP", "Europe/London"), now())
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.require_shop().unwrap().currency, "GBP");
    let v: i64 = store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, latest_version());
    let mode: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn migration_files_are_never_edited_once_landed() {
    // The first migration's text is pinned: change it and this fails. New
    // schema goes into a new numbered file.
    let sql = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/0001_init.sql"
    ))
    .unwrap();
    let digest = sql.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    assert_eq!(
        format!("{digest:016x}"),
        include_str!("../../migrations/0001_init.sql.fnv").trim()
    );
}
