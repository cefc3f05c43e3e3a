//! The local SQLite store: opening with the right pragmas, the migration
//! runner, and the shop record. Each table group's queries live with the code
//! that owns them (importers, reports); this module owns the connection.

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub mod derived;

/// How long a writer waits for another to finish before giving up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// An open shop database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// The shop this database is a copy of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Shop {
    /// Shown in the title bar and reports.
    pub name: String,
    /// Where the shop lives: `local`, `demo`, `shopify`, ….
    pub platform: String,
    /// ISO 4217 code of the shop's money.
    pub currency: String,
    /// IANA time zone in which the shop's days start and end.
    pub time_zone: String,
    /// True for the demo shop, whose costs, stock and categories are assumptions.
    pub demo: bool,
    /// A fixed "today" (the demo's last trading day); `None` means the real today.
    pub fixed_today: Option<String>,
}

impl Shop {
    /// The shop's time zone, parsed.
    pub fn tz(&self) -> Result<chrono_tz::Tz> {
        crate::time::parse_time_zone(&self.time_zone)
    }

    /// "Today" in the shop's time zone (or the fixed day of a demo).
    pub fn today(&self, now: DateTime<Utc>) -> Result<NaiveDate> {
        if let Some(day) = &self.fixed_today {
            return NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| {
                Error::InvalidArgument(format!("bad fixed day {day:?} in the shop record"))
            });
        }
        Ok(now.with_timezone(&self.tz()?).date_naive())
    }

    /// The shop's clock: the real `now`, except for a shop with a fixed
    /// "today" (the demo), where it is that day at the real time of day in
    /// the shop's zone. Sales, their calendar, their reports and the sale
    /// editor's default window run on it.
    pub fn clock(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let (Some(_), Ok(tz)) = (&self.fixed_today, self.tz()) else {
            return now;
        };
        let Ok(day) = self.today(now) else {
            return now;
        };
        let time = now.with_timezone(&tz).time();
        crate::time::local_to_utc(tz, day.and_time(time))
    }

    /// Checks the fields a person typed.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::InvalidArgument("the shop needs a name".into()));
        }
        validate_currency(&self.currency)?;
        self.tz()?;
        Ok(())
    }
}

/// Accepts a real ISO 4217 currency of money (GBP, USD, EUR, JPY, …).
pub fn validate_currency(code: &str) -> Result<()> {
    if crate::money::money_currency(code).is_some() {
        Ok(())
    } else {
        Err(Error::field(
            "Currency",
            format!("{code:?} is not an ISO 4217 currency code (for example GBP, USD, EUR)"),
        ))
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date. A file from a newer build is refused untouched.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
            }
        }
        let conn = Connection::open(path)?;
        Self::prepare(conn, path.to_path_buf())
    }

    /// An in-memory store, for tests and scratch work.
    pub fn open_in_memory() -> Result<Store> {
        Self::prepare(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn prepare(mut conn: Connection, path: PathBuf) -> Result<Store> {
        // The app, a background sync and the CLI may write one file at once.
        // Every transaction takes the write lock when it begins (IMMEDIATE),
        // so a second writer waits its turn at BEGIN instead of failing
        // half-way with "database is locked" when it tries to upgrade a read;
        // the wait is long enough to queue behind a whole import.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // Check the version before anything writes to the file.
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > latest_version() {
            return Err(Error::SchemaTooNew {
                found,
                known: latest_version(),
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 32 MiB of page cache (the default is 2): a year of a small shop's
        // derived sales tables stays in memory between report runs.
        conn.pragma_update(None, "cache_size", -32 * 1024)?;
        migrate(&mut conn)?;
        Ok(Store { conn, path })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for the modules that own the queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Mutable access, for transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The shop record, if one is set up.
    pub fn shop(&self) -> Result<Option<Shop>> {
        read_shop(&self.conn)
    }

    /// The shop record, or [`Error::NoShop`].
    pub fn require_shop(&self) -> Result<Shop> {
        self.shop()?.ok_or(Error::NoShop)
    }

    /// Creates or replaces the shop record. A new time zone moves orders
    /// between days, so the daily sales figures are rebuilt with it.
    pub fn set_shop(&mut self, shop: &Shop, now: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        let old_zone = read_shop(&tx)?.map(|s| s.time_zone);
        write_shop(&tx, shop, now)?;
        if old_zone.as_deref() != Some(shop.time_zone.as_str()) {
            crate::store::derived::refresh_sales(&tx)?;
        }
        tx.commit()?;
        Ok(())
    }
}

pub(crate) fn read_shop(conn: &Connection) -> Result<Option<Shop>> {
    Ok(conn
        .query_row(
            "SELECT name, platform, currency, time_zone, demo, fixed_today FROM shop WHERE id = 1",
            [],
            |r| {
                Ok(Shop {
                    name: r.get(0)?,
                    platform: r.get(1)?,
                    currency: r.get(2)?,
                    time_zone: r.get(3)?,
                    demo: r.get(4)?,
                    fixed_today: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Minutes between background syncs while the app or `watch` runs; 0: never
/// (always so for the demo, which has no storefront).
pub fn sync_every_minutes(conn: &Connection) -> Result<u32> {
    Ok(conn
        .query_row(
            "SELECT CASE WHEN demo = 1 THEN 0 ELSE sync_every_minutes END FROM shop WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// The shop's own money pattern (Shopify's money format), if its storefront
/// gave one; `None` writes money the currency's default way.
pub fn money_format(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT money_format FROM shop WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten())
}

/// How the shop writes money, ready to use: its pattern or the default.
pub fn shop_money_format(conn: &Connection, currency: &str) -> Result<crate::money::MoneyFormat> {
    Ok(crate::money::MoneyFormat::for_shop(
        currency,
        money_format(conn)?.as_deref(),
    ))
}

/// The pattern the shop writes money with: its own when usable, else its
/// currency's default (`£{{amount}}`).
pub fn money_pattern(conn: &Connection, currency: &str) -> Result<String> {
    Ok(money_format(conn)?
        .filter(|p| crate::money::MoneyFormat::parse(p).is_some())
        .unwrap_or_else(|| crate::money::MoneyFormat::default_pattern(currency)))
}

/// Keeps the storefront's money pattern (`None` clears it).
pub fn set_money_format(conn: &Connection, pattern: Option<&str>) -> Result<()> {
    conn.execute("UPDATE shop SET money_format = ?1 WHERE id = 1", [pattern])?;
    Ok(())
}

/// The longest wait between background syncs: a day.
pub const MAX_SYNC_EVERY_MINUTES: u32 = 1440;

/// Sets the minutes between background syncs (0: never).
pub fn set_sync_every_minutes(conn: &Connection, minutes: u32) -> Result<()> {
    if minutes > MAX_SYNC_EVERY_MINUTES {
        return Err(Error::field(
            "Sync every",
            format!(
                "at most {MAX_SYNC_EVERY_MINUTES} minutes (a day); 0 turns background sync off"
            ),
        ));
    }
    if conn.execute(
        "UPDATE shop SET sync_every_minutes = ?1 WHERE id = 1",
        [minutes],
    )? == 0
    {
        return Err(Error::NoShop);
    }
    Ok(())
}

pub(crate) fn write_shop(conn: &Connection, shop: &Shop, now: DateTime<Utc>) -> Result<()> {
    shop.validate()?;
    conn.execute(
        "INSERT INTO shop (id, name, platform, currency, time_zone, demo, fixed_today, created_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, platform = excluded.platform,
           currency = excluded.currency, time_zone = excluded.time_zone, demo = excluded.demo,
           fixed_today = excluded.fixed_today",
        params![
            shop.name,
            shop.platform,
            shop.currency,
            shop.time_zone,
            shop.demo,
            shop.fixed_today,
            crate::time::fmt_utc(now)
        ],
    )?;
    Ok(())
}

/// Applies every migration newer than the file's `user_version`, each in one
/// transaction together with its version bump.
fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (version, _name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        // PRAGMA takes no bound parameters; the version is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        tx.commit()?;
    }
    Ok(())
}

/// The default database of the app and the CLI: `<data dir>/merchant-desk/shop.sqlite`.
pub fn default_db_path() -> PathBuf {
    data_dir().join("shop.sqlite")
}

/// The app's own data folder (`$XDG_DATA_HOME/merchant-desk` on Linux).
pub fn data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("merchant-desk")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_and_applied() {
        let store = Store::open_in_memory().unwrap();
        let v: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, latest_version());
        assert!(latest_version() >= 1);
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn shop_round_trips_and_validates() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(store.shop().unwrap().is_none());
        let mut shop = Shop {
            name: "Tea & Cake".into(),
            platform: "local".into(),
            currency: "GBP".into(),
            time_zone: "Europe/London".into(),
            demo: false,
            fixed_today: None,
        };
        store.set_shop(&shop, Utc::now()).unwrap();
        assert_eq!(store.shop().unwrap(), Some(shop.clone()));
        shop.currency = "gbp".into();
        assert_eq!(
            store.set_shop(&shop, Utc::now()).unwrap_err().code(),
            "invalid_input"
        );
        shop.currency = "GBP".into();
        shop.time_zone = "Mars/Olympus".into();
        assert!(store
            .set_shop(&shop, Utc::now())
            .unwrap_err()
            .to_string()
            .contains("IANA"));
    }
}
