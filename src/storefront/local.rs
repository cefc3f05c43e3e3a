//! The storefront that is the local store itself: for the demo shop and for
//! shops with no connection, a push changes only the local copy, journaled
//! and revertible like any other. A connected shop also mirrors each
//! confirmed push here, so the app shows it before the next pull.

use super::{
    Applied, Checkpoint, Discount, Entity, Metafield, OtherDiscount, Price, PulledDiscount,
    ShopInfo, Sink, Storefront, Target, Value,
};
use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// The local store as a storefront.
pub struct Local<'c> {
    conn: &'c Connection,
    now: String,
}

impl<'c> Local<'c> {
    /// Applies to `conn`, stamping changes with `now` (UTC text).
    pub fn new(conn: &'c Connection, now: String) -> Local<'c> {
        Local { conn, now }
    }

    fn variant(&self, external_id: &str) -> Result<(i64, Price)> {
        self.conn
            .prepare_cached(
                "SELECT id, price_minor, compare_at_minor FROM variants WHERE external_id = ?1 ORDER BY id LIMIT 1",
            )?
            .query_row([external_id], |r| {
                Ok((
                    r.get(0)?,
                    Price {
                        price_minor: r.get(1)?,
                        compare_at_minor: r.get(2)?,
                    },
                ))
            })
            .optional()?
            .ok_or_else(|| Error::InvalidArgument(format!("no variant {external_id} in this shop")))
    }

    fn customer_tags(&self, external_id: &str) -> Result<(i64, Vec<String>)> {
        let (id, tags): (i64, String) = self
            .conn
            .prepare_cached(
                "SELECT id, tags FROM customers WHERE external_id = ?1 ORDER BY id LIMIT 1",
            )?
            .query_row([external_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| {
                Error::InvalidArgument(format!("no customer {external_id} in this shop"))
            })?;
        Ok((id, serde_json::from_str(&tags).unwrap_or_default()))
    }

    fn discount(&self, id: &str) -> Result<Option<Discount>> {
        let def: Option<String> = self
            .conn
            .prepare_cached("SELECT definition FROM discounts WHERE external_id = ?1 LIMIT 1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(def.and_then(|d| serde_json::from_str(&d).ok()))
    }

    fn set(&self, target: &Target, value: &Value) -> Result<Applied> {
        match (target, value) {
            (Target::VariantPrice { variant, .. }, Value::Price(p)) => {
                let (id, old) = self.variant(variant)?;
                if old != *p {
                    self.conn.execute(
                        "UPDATE variants SET price_minor = ?2, compare_at_minor = ?3, updated_at = ?4 WHERE id = ?1",
                        params![id, p.price_minor, p.compare_at_minor, self.now],
                    )?;
                    self.conn.execute(
                        "INSERT INTO price_history (variant_id, changed_at, price_minor, compare_at_minor, previous_price_minor, reason)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'push')",
                        params![id, self.now, p.price_minor, p.compare_at_minor, old.price_minor],
                    )?;
                }
            }
            (Target::CustomerTags { customer }, Value::Tags(tags)) => {
                let (id, _) = self.customer_tags(customer)?;
                let Value::Tags(tags) = Value::Tags(tags.clone()).normalized() else {
                    unreachable!("tags stay tags")
                };
                self.conn.execute(
                    "UPDATE customers SET tags = ?2 WHERE id = ?1",
                    params![id, serde_json::to_string(&tags).expect("strings serialize")],
                )?;
            }
            (
                Target::Metafield {
                    owner,
                    namespace,
                    key,
                },
                Value::Metafield(m),
            ) => match m {
                Some(m) => {
                    self.conn.execute(
                        "INSERT INTO metafields (owner, namespace, key, type, value, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (owner, namespace, key) DO UPDATE SET type = excluded.type, value = excluded.value, updated_at = excluded.updated_at",
                        params![owner, namespace, key, m.r#type, m.value, self.now],
                    )?;
                }
                None => {
                    self.conn.execute(
                        "DELETE FROM metafields WHERE owner = ?1 AND namespace = ?2 AND key = ?3",
                        params![owner, namespace, key],
                    )?;
                }
            },
            (Target::Discount { id }, Value::Discount(d)) => {
                let id = match (id, d) {
                    (Some(id), None) => {
                        self.conn
                            .execute("DELETE FROM discounts WHERE external_id = ?1", [id])?;
                        Some(id.clone())
                    }
                    (None, None) => None,
                    (id, Some(d)) => {
                        let id = match id {
                            Some(id) => id.clone(),
                            None => {
                                let n: i64 = self.conn.query_row(
                                    "SELECT coalesce(max(id), 0) + 1 FROM discounts",
                                    [],
                                    |r| r.get(0),
                                )?;
                                format!("local-discount-{n}")
                            }
                        };
                        let def = serde_json::to_string(d).expect("discounts serialize");
                        // A discount mirrored from a storefront keeps its source.
                        let updated = self.conn.execute(
                            "UPDATE discounts SET definition = ?2, updated_at = ?3 WHERE external_id = ?1",
                            params![id, def, self.now],
                        )?;
                        if updated == 0 {
                            self.conn.execute(
                                "INSERT INTO discounts (source, external_id, definition, updated_at) VALUES (?1, ?2, ?3, ?4)",
                                params![if id.starts_with("local-") { "local" } else { "storefront" }, id, def, self.now],
                            )?;
                        }
                        Some(id)
                    }
                };
                return Ok(Applied {
                    target: Target::Discount { id },
                    value: value.clone(),
                });
            }
            (
                Target::Renewal {
                    subscription,
                    cycle,
                    attempt,
                },
                Value::Renewal(true),
            ) => {
                crate::subscriptions::renew::local_order(
                    self.conn,
                    subscription,
                    cycle,
                    *attempt,
                    &self.now,
                )?;
            }
            _ => {
                return Err(Error::InvalidArgument(
                    "the value does not fit the target".into(),
                ))
            }
        }
        Ok(Applied {
            target: target.clone(),
            value: self.read(std::slice::from_ref(target))?.remove(0),
        })
    }

    fn read(&self, targets: &[Target]) -> Result<Vec<Value>> {
        targets
            .iter()
            .map(|t| {
                Ok(match t {
                    Target::VariantPrice { variant, .. } => Value::Price(self.variant(variant)?.1),
                    Target::CustomerTags { customer } => {
                        Value::Tags(self.customer_tags(customer)?.1).normalized()
                    }
                    Target::Metafield {
                        owner,
                        namespace,
                        key,
                    } => Value::Metafield(
                        self.conn
                            .prepare_cached(
                                "SELECT type, value FROM metafields WHERE owner = ?1 AND namespace = ?2 AND key = ?3",
                            )?
                            .query_row(params![owner, namespace, key], |r| {
                                Ok(Metafield {
                                    r#type: r.get(0)?,
                                    value: r.get(1)?,
                                })
                            })
                            .optional()?,
                    ),
                    Target::Renewal {
                        subscription,
                        cycle,
                        attempt,
                    } => Value::Renewal(
                        crate::subscriptions::renew::local_order_ref(
                            self.conn,
                            subscription,
                            cycle,
                            *attempt,
                        )?
                        .is_some(),
                    ),
                    Target::Discount { id: None } => Value::Discount(None),
                    Target::Discount { id: Some(id) } => Value::Discount(self.discount(id)?),
                    Target::Contract { .. } | Target::BillingCycle { .. } => {
                        return Err(Error::InvalidArgument(
                            "subscription contracts live on the platform, not in the local store"
                                .into(),
                        ))
                    }
                })
            })
            .collect()
    }

    /// Mirrors a value confirmed by another storefront into the local copy;
    /// a target the local copy does not have yet is left to the next pull.
    pub fn mirror(&self, applied: &Applied) -> Result<()> {
        // A renewal billed elsewhere comes with its order at the next pull;
        // a contract's own changes are the book's, written by the service.
        if matches!(
            applied.target,
            Target::Renewal { .. } | Target::Contract { .. } | Target::BillingCycle { .. }
        ) {
            return Ok(());
        }
        match self.set(&applied.target, &applied.value) {
            Ok(_) | Err(Error::InvalidArgument(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// How a discount the app does not edit is kept in `discounts.definition`.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredOther {
    other: OtherDiscount,
}

/// The `definition` text of a pulled discount.
pub fn definition(d: &PulledDiscount) -> String {
    match d {
        PulledDiscount::Basic(d) => serde_json::to_string(d),
        PulledDiscount::Other(o) => serde_json::to_string(&StoredOther { other: o.clone() }),
    }
    .expect("discounts serialize")
}

/// Every discount in the local copy whose window overlaps `[from, until)`
/// (UTC text, compared as text); one that cannot be read is skipped.
fn pulled_overlapping(conn: &Connection, from: &str, until: &str) -> Result<Vec<PulledDiscount>> {
    let mut stmt = conn.prepare("SELECT definition FROM discounts")?;
    let defs: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let overlaps =
        |starts: &str, ends: Option<&str>| starts < until && ends.is_none_or(|e| e > from);
    Ok(defs
        .iter()
        .filter_map(|text| {
            serde_json::from_str::<Discount>(text)
                .map(PulledDiscount::Basic)
                .or_else(|_| {
                    serde_json::from_str::<StoredOther>(text)
                        .map(|o| PulledDiscount::Other(o.other))
                })
                .ok()
        })
        .filter(|d| match d {
            PulledDiscount::Basic(d) => overlaps(&d.starts_at, d.ends_at.as_deref()),
            PulledDiscount::Other(o) => overlaps(&o.starts_at, o.ends_at.as_deref()),
        })
        .collect())
}

/// The discounts Merchant Desk can read in full whose window overlaps
/// `[from, until)`.
pub fn discounts_overlapping(conn: &Connection, from: &str, until: &str) -> Result<Vec<Discount>> {
    Ok(pulled_overlapping(conn, from, until)?
        .into_iter()
        .filter_map(|d| match d {
            PulledDiscount::Basic(d) => Some(d),
            PulledDiscount::Other(_) => None,
        })
        .collect())
}

/// The discounts of other kinds (pulled from the storefront) whose window
/// overlaps `[from, until)`.
pub fn other_discounts_overlapping(
    conn: &Connection,
    from: &str,
    until: &str,
) -> Result<Vec<OtherDiscount>> {
    Ok(pulled_overlapping(conn, from, until)?
        .into_iter()
        .filter_map(|d| match d {
            PulledDiscount::Other(o) => Some(o),
            PulledDiscount::Basic(_) => None,
        })
        .collect())
}

impl Storefront for Local<'_> {
    fn platform(&self) -> &'static str {
        "local"
    }

    fn shop_info(&mut self) -> Result<ShopInfo> {
        let shop = crate::store::read_shop(self.conn)?.ok_or(Error::NoShop)?;
        Ok(ShopInfo {
            name: shop.name,
            currency: shop.currency,
            time_zone: shop.time_zone,
            money_format: crate::store::money_format(self.conn)?,
        })
    }

    fn pull(&mut self, _entity: Entity, from: &Checkpoint, sink: &mut Sink) -> Result<()> {
        // The local store is the source of truth: there is nothing to pull.
        let mut cp = from.clone();
        cp.done = true;
        cp.full = false;
        sink(Vec::new(), &cp, Default::default())
    }

    fn read(&mut self, targets: &[Target]) -> Result<Vec<Value>> {
        Local::read(self, targets)
    }

    fn apply(&mut self, changes: &[(Target, Value)]) -> Result<Vec<Result<Applied>>> {
        Ok(changes.iter().map(|(t, v)| self.set(t, v)).collect())
    }

    /// A renewal in the local store is its order: made, or not.
    fn renewal_outcome(&mut self, target: &Target) -> Result<super::RenewalOutcome> {
        let r = target.as_renewal()?;
        Ok(
            match crate::subscriptions::renew::local_order_ref(
                self.conn,
                r.subscription,
                r.cycle,
                r.attempt,
            )? {
                Some(order) => super::RenewalOutcome::Billed { order },
                None => super::RenewalOutcome::Missing,
            },
        )
    }
}
