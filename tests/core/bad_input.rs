//! Malformed files fail with the file, line and column, and change nothing.

use crate::fixtures::*;
use merchant_desk::import::{import_reader, Control, ImportKind};
use std::sync::atomic::AtomicBool;

const HEADER: &str =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
const GOOD: &str = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom\n";

fn seeded() -> TempStore {
    let mut t = temp_store();
    import_str(
        &mut t.store,
        ImportKind::OnlineRetail,
        "seed.csv",
        &format!("{HEADER}{GOOD}"),
    )
    .unwrap();
    t
}

fn assert_refused(bytes: Vec<u8>, kind: ImportKind, expect: &[&str]) {
    let mut t = seeded();
    let before = snapshot(&t.store);
    let runs = count(&t.store, "import_runs");
    let err =
        import_bytes(&mut t.store, kind, "bad.csv", bytes).expect_err("malformed input must fail");
    assert_eq!(err.code(), "bad_input", "{err}");
    let text = err.to_string();
    assert!(text.starts_with("bad.csv: "), "names the file: {text}");
    for e in expect {
        assert!(text.contains(e), "{text:?} should mention {e:?}");
    }
    assert_eq!(snapshot(&t.store), before, "the store changed");
    assert_eq!(count(&t.store, "import_runs"), runs);
}

#[test]
fn missing_column() {
    let text = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID,Country\n1,A,x,1,2010-12-01 08:26,1,UK\n";
    assert_refused(
        text.into(),
        ImportKind::OnlineRetail,
        &["line 1", "column UnitPrice", "missing"],
    );
}

#[test]
fn bad_number() {
    let text = format!(
        "{HEADER}{GOOD}536366,22633,HAND WARMER,six,2010-12-01 08:28,1.85,17850,United Kingdom\n"
    );
    assert_refused(
        text.into(),
        ImportKind::OnlineRetail,
        &["line 3", "column Quantity", "\"six\""],
    );
    let text = format!("{HEADER}{GOOD}{GOOD}536366,22633,HAND WARMER,6,2010-12-01 08:28,£1.85,17850,United Kingdom\n");
    assert_refused(
        text.into(),
        ImportKind::OnlineRetail,
        &["line 4", "column UnitPrice"],
    );
}

#[test]
fn bad_date() {
    let text = format!(
        "{HEADER}{GOOD}536366,22633,HAND WARMER,6,12/01/2010 08:28,1.85,17850,United Kingdom\n"
    );
    assert_refused(
        text.into(),
        ImportKind::OnlineRetail,
        &["line 3", "column InvoiceDate"],
    );
    let orders = "order_id,ordered_at,sku,title,quantity,unit_price,currency\nA1,yesterday,S1,Soap,1,2.00,GBP\n";
    assert_refused(
        orders.into(),
        ImportKind::Orders,
        &["line 2", "column ordered_at", "ISO 8601"],
    );
}

#[test]
fn wrong_encoding() {
    // "CAFÉ" in Latin-1: 0xC9 is not UTF-8.
    let mut bytes = format!("{HEADER}{GOOD}").into_bytes();
    bytes.extend_from_slice(
        b"536366,22633,CAF\xc9 MUG,6,2010-12-01 08:28,1.85,17850,United Kingdom\n",
    );
    assert_refused(
        bytes,
        ImportKind::OnlineRetail,
        &["line 3", "column Description", "UTF-8"],
    );
    let mut utf16 = vec![0xff, 0xfe];
    for c in HEADER.encode_utf16() {
        utf16.extend_from_slice(&c.to_le_bytes());
    }
    assert_refused(utf16, ImportKind::OnlineRetail, &["line 1", "UTF-16"]);
}

#[test]
fn empty_file_and_header_only() {
    assert_refused(Vec::new(), ImportKind::OnlineRetail, &["line 1", "empty"]);
    assert_refused(
        HEADER.into(),
        ImportKind::OnlineRetail,
        &["line 2", "no data rows"],
    );
}

#[test]
fn ragged_row() {
    let text = format!("{HEADER}{GOOD}536366,22633,HAND WARMER,6\n");
    assert_refused(text.into(), ImportKind::OnlineRetail, &["line 3", "fields"]);
}

#[test]
fn damaged_gzip() {
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
        enc.write_all(format!("{HEADER}{GOOD}{GOOD}{GOOD}").as_bytes())
            .unwrap();
        enc.finish().unwrap();
    }
    let cut = gz.len() - 12;
    gz.truncate(cut);
    let mut t = seeded();
    let before = snapshot(&t.store);
    let err = import_bytes(&mut t.store, ImportKind::OnlineRetail, "bad.csv.gz", gz).unwrap_err();
    assert!(matches!(err.code().as_str(), "bad_input" | "io"), "{err}");
    assert_eq!(snapshot(&t.store), before);
}

#[test]
fn cancel_rolls_back() {
    let mut t = seeded();
    let before = snapshot(&t.store);
    let cancel = AtomicBool::new(false);
    let mut body = String::from(HEADER);
    for i in 0..10_000 {
        body.push_str(&format!(
            "{},22633,HAND WARMER,6,2010-12-01 08:28,1.85,17850,United Kingdom\n",
            600_000 + i
        ));
    }
    let len = body.len() as u64;
    let mut ticks = 0;
    let mut control = Control::new(&cancel, |_| {
        ticks += 1;
        if ticks == 2 {
            cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let err = import_reader(
        &mut t.store,
        ImportKind::OnlineRetail,
        "big.csv",
        std::io::Cursor::new(body.into_bytes()),
        len,
        &mut control,
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "cancelled");
    assert_eq!(snapshot(&t.store), before);
}

#[test]
fn products_need_a_shop_first() {
    let mut t = temp_store();
    let err = import_str(
        &mut t.store,
        ImportKind::Products,
        "p.csv",
        "sku,title,price\nS1,Soap,2.00\n",
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("set up the shop first"), "{err}");
    assert_eq!(count(&t.store, "variants"), 0);
}
