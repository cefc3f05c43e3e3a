//! The application service the app and the CLI share.

use crate::fixtures::online_retail;
use merchant_desk::import::ImportKind;
use merchant_desk::service::Desk;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

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

/// What a form should have caught is still refused by the service with the
/// field's label, as `invalid_input`.
#[test]
fn the_service_names_the_field_of_a_value_it_refuses() {
    use merchant_desk::promotions::tiers::TierFile;
    use merchant_desk::service::{CompareRequest, NamedSource, ScenarioSource, TiersRequest};
    use merchant_desk::store::Shop;
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::new(dir.path().to_path_buf(), false).unwrap();
    desk.save_shop(Shop {
        name: "Corner Shop".into(),
        platform: "local".into(),
        currency: "GBP".into(),
        time_zone: "Europe/London".into(),
        demo: false,
        fixed_today: None,
    })
    .unwrap();
    let compare = |days, paths| {
        desk.compare_scenarios(
            CompareRequest {
                scenarios: vec![NamedSource {
                    name: "Current prices".into(),
                    source: ScenarioSource::Current,
                }],
                days,
                paths,
                seed: 1,
            },
            |_| {},
        )
        .unwrap_err()
    };
    let err = compare(0, 10);
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(err.to_string(), "Days: give a whole number from 1 to 365.");
    assert_eq!(
        compare(30, 10_001).to_string(),
        "Paths: give a whole number from 0 to 10000."
    );
    let tiers = TierFile::parse(
        "name = \"Bulk\"\nkind = \"volume\"\ntargets = { all = true }\n[[tier]]\nmin_quantity = 3\npercent = 5\n",
    )
    .unwrap();
    let err = desk
        .check_tiers(TiersRequest {
            file: tiers.clone(),
            cart: vec![("22423".into(), 0)],
            lookback_days: None,
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Units of 22423: give a whole number 1 or more."
    );
    let err = desk
        .check_tiers(TiersRequest {
            file: tiers,
            cart: Vec::new(),
            lookback_days: Some(0),
        })
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().starts_with("Look back (days):"), "{err}");
}
