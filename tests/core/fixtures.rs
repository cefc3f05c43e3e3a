//! Helpers: temporary stores, imports from strings, whole-store snapshots.

use chrono::{DateTime, TimeZone, Utc};
use merchant_desk::import::{import_reader, Control, ImportKind, ImportReport};
use merchant_desk::store::{Shop, Store};
use merchant_desk::Result;
use std::sync::atomic::AtomicBool;

/// The Online Retail data set, as the repository ships it.
pub fn online_retail() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/online-retail.csv.gz"
    ))
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

pub struct TempStore {
    pub store: Store,
    _dir: tempfile::TempDir,
}

pub fn temp_store() -> TempStore {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    TempStore { store, _dir: dir }
}

pub fn shop(currency: &str, zone: &str) -> Shop {
    Shop {
        name: "Test shop".into(),
        platform: "local".into(),
        currency: currency.into(),
        time_zone: zone.into(),
        demo: false,
        fixed_today: None,
    }
}

pub fn import_str(
    store: &mut Store,
    kind: ImportKind,
    name: &str,
    text: &str,
) -> Result<ImportReport> {
    let bytes = text.as_bytes().to_vec();
    import_bytes(store, kind, name, bytes)
}

/// Imports `text` as if at `at` (price changes are recorded then).
pub fn import_str_at(
    store: &mut Store,
    kind: ImportKind,
    name: &str,
    text: &str,
    at: DateTime<Utc>,
) -> Result<ImportReport> {
    import_bytes_at(store, kind, name, text.as_bytes().to_vec(), at)
}

pub fn import_bytes(
    store: &mut Store,
    kind: ImportKind,
    name: &str,
    bytes: Vec<u8>,
) -> Result<ImportReport> {
    import_bytes_at(store, kind, name, bytes, now())
}

fn import_bytes_at(
    store: &mut Store,
    kind: ImportKind,
    name: &str,
    bytes: Vec<u8>,
    at: DateTime<Utc>,
) -> Result<ImportReport> {
    let cancel = AtomicBool::new(false);
    let len = bytes.len() as u64;
    let mut control = Control::new(&cancel, |_| {});
    import_reader(
        store,
        kind,
        name,
        std::io::Cursor::new(bytes),
        len,
        &mut control,
        at,
    )
}

/// Every row of every table but `import_runs`, as text, in a stable order.
pub fn snapshot(store: &Store) -> String {
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'import_runs' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut out = String::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut line = String::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push_str(&format!("{v:?}|"));
                }
                Ok(line)
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        rows.sort();
        out.push_str(&format!("## {t} ({})\n{}\n", rows.len(), rows.join("\n")));
    }
    out
}

pub fn count(store: &Store, table: &str) -> i64 {
    store
        .conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}
