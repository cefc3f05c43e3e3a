//! Members' points and tiers on the storefront: two customer metafields
//! (`loyalty.points`, `loyalty.tier`) for the theme, and a tier tag
//! (`tier:gold`) for segments and email tools. Only what the store does not
//! hold already is sent, journaled like every push.

use super::store;
use crate::error::Result;
use crate::journal::{self, Change, Why};
use crate::store::Shop;
use crate::storefront::{Metafield, Storefront, Target, Value};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

/// The metafields' namespace.
pub const NAMESPACE: &str = "loyalty";
/// The tier tags' prefix.
pub const TAG_PREFIX: &str = "tier:";

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, rename = "LoyaltyPush"))]
pub struct Pushed {
    pub programme: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub members: usize,
    /// Values the store already held, left alone.
    #[cfg_attr(test, ts(type = "number"))]
    pub unchanged: usize,
    #[cfg_attr(test, ts(type = "number"))]
    pub confirmed: usize,
    #[cfg_attr(test, ts(type = "number"))]
    pub failed: usize,
    /// The first refusals, as the store gave them.
    pub errors: Vec<String>,
    /// The journal batch (none when nothing changed).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub batch: Option<i64>,
}

/// A tier's tag: `tier:` and the name in lower case, spaces as hyphens.
pub fn tier_tag(tier: &str) -> String {
    crate::storefront::name_tag(TAG_PREFIX, tier)
}

/// Pushes every member's balance and tier of the live programme (as of
/// the end of the shop's today) to `storefront`.
pub fn push(
    conn: &Connection,
    shop: &Shop,
    storefront: &mut dyn Storefront,
    now: DateTime<Utc>,
) -> Result<Pushed> {
    let members = store::members(conn, shop, now)?;
    let mut metafields = Vec::with_capacity(members.members.len() * 2);
    for m in &members.members {
        for (key, r#type, value) in [
            ("points", "number_integer", m.balance.to_string()),
            ("tier", "single_line_text_field", m.tier.clone()),
        ] {
            metafields.push(Change {
                target: Target::Metafield {
                    owner: m.customer.clone(),
                    namespace: NAMESPACE.into(),
                    key: key.into(),
                },
                label: format!("{key} of {}", m.customer),
                value: Value::Metafield(Some(Metafield {
                    r#type: r#type.into(),
                    value,
                })),
            });
        }
    }
    // Tags: the store's own set, its tier tag replaced (read from the
    // store, so a tag added there since the last sync stays).
    let targets: Vec<Target> = members
        .members
        .iter()
        .map(|m| Target::CustomerTags {
            customer: m.customer.clone(),
        })
        .collect();
    let current = storefront.read(&targets)?;
    let mut changes = metafields;
    for ((m, target), now_tags) in members.members.iter().zip(targets).zip(current) {
        let Value::Tags(mut tags) = now_tags else {
            continue;
        };
        tags.retain(|t| !t.starts_with(TAG_PREFIX));
        tags.push(tier_tag(&m.tier));
        changes.push(Change {
            target,
            label: format!("tier tag of {}", m.customer),
            value: Value::Tags(tags),
        });
    }
    let t = journal::push_counted(
        conn,
        storefront,
        changes,
        &Why {
            playbook: "loyalty".into(),
            reason: format!("{}: members' points and tiers", members.programme),
        },
        now,
    )?;
    Ok(Pushed {
        programme: members.programme,
        members: members.members.len(),
        unchanged: t.unchanged,
        confirmed: t.confirmed,
        failed: t.failed,
        errors: t.errors,
        batch: t.batch,
    })
}

/// A theme snippet (Liquid) that shows a logged-in customer their points
/// and tier from the metafields [`push`] sets.
pub fn theme_snippet(programme: &str) -> String {
    let name = programme.replace(['<', '>', '&', '"'], "");
    format!(
        r#"{{% comment %}} {name}: a logged-in customer's points and tier, set by Merchant Desk. {{% endcomment %}}
{{% if customer %}}
  {{% assign loyalty_points = customer.metafields.{NAMESPACE}.points.value | default: 0 %}}
  {{% assign loyalty_tier = customer.metafields.{NAMESPACE}.tier.value %}}
  <div class="loyalty-standing" style="padding:.5em 1em;border:1px solid currentColor;border-radius:4px">
    <strong>{name}</strong>:
    {{{{ loyalty_points }}}} points
    {{% if loyalty_tier != blank %}} &middot; {{{{ loyalty_tier }}}} member{{% endif %}}
  </div>
{{% endif %}}
"#
    )
}
