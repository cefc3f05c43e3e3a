//! Rule sets saved by name.

use crate::error::{Error, Result};
use crate::pricing::rules::RuleSet;
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

/// A saved rule set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SavedRules {
    #[cfg_attr(test, ts(type = "number"))]
    pub id: i64,
    pub rules: RuleSet,
    pub updated_at: String,
}

/// Saves a rule set under its name (replacing one of the same name) after
/// checking it against the shop's currency.
pub fn save_rules(
    conn: &Connection,
    rules: &RuleSet,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<SavedRules> {
    rules.checked(currency)?;
    let definition = serde_json::to_string(rules).expect("rule sets serialise");
    let stamp = fmt_utc(now);
    conn.execute(
        "INSERT INTO price_rule_sets (name, definition, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
        params![rules.name.trim(), definition, stamp],
    )?;
    let id = conn.query_row(
        "SELECT id FROM price_rule_sets WHERE name = ?1",
        [rules.name.trim()],
        |r| r.get(0),
    )?;
    Ok(SavedRules {
        id,
        rules: rules.clone(),
        updated_at: stamp,
    })
}

/// Every saved rule set, by name; the starter set when none is saved yet.
pub fn saved_rules(conn: &Connection) -> Result<Vec<SavedRules>> {
    let mut stmt =
        conn.prepare("SELECT id, definition, updated_at FROM price_rule_sets ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, def, updated_at) = row?;
        let rules: RuleSet = serde_json::from_str(&def).map_err(|e| {
            Error::InvalidArgument(format!("saved rule set {id} is unreadable: {e}"))
        })?;
        out.push(SavedRules {
            id,
            rules,
            updated_at,
        });
    }
    Ok(out)
}

/// Deletes a saved rule set.
pub fn delete_rules(conn: &Connection, id: i64) -> Result<()> {
    if conn.execute("DELETE FROM price_rule_sets WHERE id = ?1", [id])? == 0 {
        return Err(Error::InvalidArgument(format!("there is no rule set {id}")));
    }
    Ok(())
}
