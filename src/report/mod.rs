//! Reports over the store for a range of days in the shop's time zone. The
//! definitions are exact and written down in `docs/metrics.md`; the SQL here
//! and that document must say the same thing.

use crate::error::{Error, Result};
use crate::money::div_round;
use crate::store::Shop;
use crate::time::fmt_utc;
use chrono::{Datelike, Days, NaiveDate};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Days `from` to `to`, both included, in the shop's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct DateRange {
    /// First day, `YYYY-MM-DD`.
    #[cfg_attr(test, ts(type = "string"))]
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD`, included.
    #[cfg_attr(test, ts(type = "string"))]
    pub to: NaiveDate,
}

impl DateRange {
    /// A range, refusing one that ends before it starts.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<DateRange> {
        if to < from {
            return Err(Error::InvalidArgument(format!(
                "the range ends ({to}) before it starts ({from})"
            )));
        }
        Ok(DateRange { from, to })
    }

    /// The `days` days ending with `to`.
    pub fn last_days(to: NaiveDate, days: u64) -> DateRange {
        DateRange {
            from: to - Days::new(days.saturating_sub(1)),
            to,
        }
    }

    /// Number of days in the range.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The range of the same length just before this one.
    pub fn previous(&self) -> DateRange {
        let to = self.from - Days::new(1);
        DateRange {
            from: to - Days::new(self.days() as u64 - 1),
            to,
        }
    }

    /// UTC bounds `[start, end)` of the range in time zone `tz`, as stored text.
    pub fn utc_bounds(&self, tz: chrono_tz::Tz) -> (String, String) {
        let start = |d: NaiveDate| {
            let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
            // Where a clock change skips midnight, the day starts at the first instant that exists.
            fmt_utc(crate::time::local_to_utc(tz, midnight))
        };
        (start(self.from), start(self.to + Days::new(1)))
    }
}

/// The headline figures of `docs/metrics.md`. Amounts are minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Summary {
    /// The range reported.
    pub range: DateRange,
    /// The shop's currency.
    pub currency: String,
    /// Orders with at least one sale line.
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: i64,
    /// Distinct known customers among those orders.
    #[cfg_attr(test, ts(type = "number"))]
    pub customers: i64,
    /// Customers with two or more such orders.
    #[cfg_attr(test, ts(type = "number"))]
    pub repeat_customers: i64,
    /// Units over sale lines.
    #[cfg_attr(test, ts(type = "number"))]
    pub units: i64,
    /// Sum of sale line totals.
    #[cfg_attr(test, ts(type = "number"))]
    pub gross_sales: i64,
    /// Merchandise value of cancellations and refunds, positive.
    #[cfg_attr(test, ts(type = "number"))]
    pub refunds: i64,
    /// `gross_sales - refunds`.
    #[cfg_attr(test, ts(type = "number"))]
    pub net_sales: i64,
    /// `gross_sales / orders`, rounded half away from zero; 0 without orders.
    #[cfg_attr(test, ts(type = "number"))]
    pub aov: i64,
}

/// One order's sale lines, summed, as kept in `sales_by_order`.
struct OrderSales {
    day: NaiveDate,
    customer_id: Option<i64>,
    units: i64,
    gross: i64,
}

fn order_sales(conn: &Connection, shop: &Shop, range: &DateRange) -> Result<Vec<OrderSales>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, customer_id, units, gross_minor FROM sales_by_order
         WHERE day >= ?1 AND day <= ?2 AND currency = ?3",
    )?;
    let rows = stmt.query_map(
        params![
            crate::time::fmt_day(range.from),
            crate::time::fmt_day(range.to),
            shop.currency
        ],
        |r| {
            Ok(OrderSales {
                day: r.get(0)?,
                customer_id: r.get(1)?,
                units: r.get(2)?,
                gross: r.get(3)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Merchandise value of cancellation and refund lines in the range, plus
/// refunds recorded without lines, as a positive amount.
fn refunds(conn: &Connection, shop: &Shop, range: &DateRange) -> Result<i64> {
    let (start, end) = range.utc_bounds(shop.tz()?);
    let itemised: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(rl.amount_minor), 0)
             FROM refunds r
             JOIN refund_lines rl ON rl.refund_id = r.id
             JOIN variants v ON v.id = rl.variant_id
             JOIN products p ON p.id = v.product_id
             WHERE r.created_at >= ?1 AND r.created_at < ?2 AND r.currency = ?3 AND p.kind = 'merchandise'",
        )?
        .query_row(params![start, end, shop.currency], |r| r.get(0))?;
    let unitemised: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(unitemized_minor), 0) FROM refunds
             WHERE created_at >= ?1 AND created_at < ?2 AND currency = ?3",
        )?
        .query_row(params![start, end, shop.currency], |r| r.get(0))?;
    Ok(itemised + unitemised)
}

fn summarise(shop: &Shop, range: DateRange, sales: &[OrderSales], refunds: i64) -> Summary {
    let mut per_customer: HashMap<i64, u32> = HashMap::new();
    let (mut units, mut gross) = (0i64, 0i64);
    for o in sales {
        units += o.units;
        gross += o.gross;
        if let Some(c) = o.customer_id {
            *per_customer.entry(c).or_insert(0) += 1;
        }
    }
    let orders = sales.len() as i64;
    Summary {
        range,
        currency: shop.currency.clone(),
        orders,
        customers: per_customer.len() as i64,
        repeat_customers: per_customer.values().filter(|n| **n >= 2).count() as i64,
        units,
        gross_sales: gross,
        refunds,
        net_sales: gross - refunds,
        aov: div_round(gross, orders),
    }
}

/// The summary of `docs/metrics.md` for a range.
pub fn summary(conn: &Connection, shop: &Shop, range: DateRange) -> Result<Summary> {
    let sales = order_sales(conn, shop, &range)?;
    Ok(summarise(shop, range, &sales, refunds(conn, shop, &range)?))
}

/// Buckets for the sales chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One point per day.
    Day,
    /// One point per ISO week (Monday to Sunday), clipped to the range.
    Week,
}

/// Sales in one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct SeriesPoint {
    /// First day of the bucket inside the range, `YYYY-MM-DD`.
    #[cfg_attr(test, ts(type = "string"))]
    pub start: NaiveDate,
    /// Orders with a sale line.
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: i64,
    /// Units sold.
    #[cfg_attr(test, ts(type = "number"))]
    pub units: i64,
    /// Gross sales, minor units.
    #[cfg_attr(test, ts(type = "number"))]
    pub gross_sales: i64,
}

fn bucket_start(day: NaiveDate, granularity: Granularity, range: &DateRange) -> NaiveDate {
    match granularity {
        Granularity::Day => day,
        Granularity::Week => {
            (day - Days::new(day.weekday().num_days_from_monday() as u64)).max(range.from)
        }
    }
}

fn series_from(
    range: &DateRange,
    granularity: Granularity,
    sales: &[OrderSales],
) -> Vec<SeriesPoint> {
    let mut points: Vec<SeriesPoint> = Vec::new();
    let mut index: HashMap<NaiveDate, usize> = HashMap::new();
    let mut day = range.from;
    while day <= range.to {
        let start = bucket_start(day, granularity, range);
        index.entry(start).or_insert_with(|| {
            points.push(SeriesPoint {
                start,
                orders: 0,
                units: 0,
                gross_sales: 0,
            });
            points.len() - 1
        });
        day = day + Days::new(1);
    }
    for o in sales {
        if let Some(i) = index.get(&bucket_start(o.day, granularity, range)) {
            let p = &mut points[*i];
            p.orders += 1;
            p.units += o.units;
            p.gross_sales += o.gross;
        }
    }
    points
}

/// Sales per day or week over the range, with empty buckets included.
pub fn sales_series(
    conn: &Connection,
    shop: &Shop,
    range: DateRange,
    granularity: Granularity,
) -> Result<Vec<SeriesPoint>> {
    Ok(series_from(
        &range,
        granularity,
        &order_sales(conn, shop, &range)?,
    ))
}

/// What to rank products by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum RankBy {
    /// Gross sales.
    Revenue,
    /// Units sold.
    Units,
}

/// A product's sales over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct TopProduct {
    /// The variant's id in the store.
    #[cfg_attr(test, ts(type = "number"))]
    pub variant_id: i64,
    /// Its SKU.
    pub sku: Option<String>,
    /// Its title.
    pub title: String,
    /// Its category.
    pub category: Option<String>,
    /// Units sold on sale lines.
    #[cfg_attr(test, ts(type = "number"))]
    pub units: i64,
    /// Gross sales on sale lines, minor units.
    #[cfg_attr(test, ts(type = "number"))]
    pub revenue: i64,
    /// Orders it was on.
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: i64,
}

/// A range cut into whole calendar months and the days before and after them.
/// Empty parts have an empty range (`from > to`), so their queries match nothing.
#[derive(Debug, PartialEq, Eq)]
struct MonthSplit {
    /// First whole month, `YYYY-MM`.
    first_month: String,
    /// Last whole month, `YYYY-MM`.
    last_month: String,
    /// The leading days run from the range's start to this day.
    head_to: String,
    /// The trailing days run from this day to the range's end.
    tail_from: String,
}

impl MonthSplit {
    fn of(range: &DateRange) -> MonthSplit {
        let month_start = |d: NaiveDate| d.with_day(1).expect("day 1 exists");
        let first_full = if range.from.day() == 1 {
            range.from
        } else {
            month_start(range.from) + chrono::Months::new(1)
        };
        let after_to = range.to + Days::new(1);
        let end_full = month_start(after_to); // the day after the last whole month
        if first_full >= end_full {
            // No whole month: every day comes from the daily table, once.
            return MonthSplit {
                first_month: "9999-12".into(),
                last_month: "0000-01".into(),
                head_to: crate::time::fmt_day(range.to),
                tail_from: "9999-12-31".into(),
            };
        }
        let last_full = end_full - Days::new(1);
        MonthSplit {
            first_month: crate::time::fmt_day(first_full)[..7].to_string(),
            last_month: crate::time::fmt_day(last_full)[..7].to_string(),
            head_to: crate::time::fmt_day(first_full - Days::new(1)),
            tail_from: crate::time::fmt_day(end_full),
        }
    }
}

/// The best-selling variants over a range; ties go to the lower variant id.
pub fn top_products(
    conn: &Connection,
    shop: &Shop,
    range: DateRange,
    by: RankBy,
    limit: u32,
) -> Result<Vec<TopProduct>> {
    let order = match by {
        RankBy::Revenue => "revenue DESC, units DESC",
        RankBy::Units => "units DESC, revenue DESC",
    };
    let sql = format!(
        "SELECT v.id, v.sku, v.title, p.category, a.units, a.revenue, a.orders
         FROM (SELECT variant_id, sum(units) AS units, sum(gross_minor) AS revenue, sum(orders) AS orders
               FROM (SELECT variant_id, units, gross_minor, orders FROM sales_by_variant_month
                     WHERE currency = ?3 AND month >= ?5 AND month <= ?6
                     UNION ALL
                     SELECT variant_id, units, gross_minor, orders FROM sales_by_variant_day
                     WHERE currency = ?3 AND day >= ?1 AND day <= ?7
                     UNION ALL
                     SELECT variant_id, units, gross_minor, orders FROM sales_by_variant_day
                     WHERE currency = ?3 AND day >= ?8 AND day <= ?2)
               GROUP BY variant_id) a
         JOIN variants v ON v.id = a.variant_id
         JOIN products p ON p.id = v.product_id
         ORDER BY {order}, v.id LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let split = MonthSplit::of(&range);
    let rows = stmt.query_map(
        params![
            crate::time::fmt_day(range.from),
            crate::time::fmt_day(range.to),
            shop.currency,
            limit,
            split.first_month,
            split.last_month,
            split.head_to,
            split.tail_from
        ],
        |r| {
            Ok(TopProduct {
                variant_id: r.get(0)?,
                sku: r.get(1)?,
                title: r.get(2)?,
                category: r.get(3)?,
                units: r.get(4)?,
                revenue: r.get(5)?,
                orders: r.get(6)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What the dashboard shows for a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Dashboard {
    /// The shop.
    pub shop: Shop,
    /// The range's figures.
    pub summary: Summary,
    /// The same figures for the period of equal length just before.
    pub previous: Summary,
    /// Sales per bucket over the range.
    pub series: Vec<SeriesPoint>,
    /// The chart's buckets.
    pub granularity: Granularity,
    /// Best sellers by revenue.
    pub top_products: Vec<TopProduct>,
    /// The first and last day with any order, for the range picker.
    pub data_span: Option<DateRange>,
    /// What the catalog holds and lacks.
    pub catalog: Catalog,
}

/// The products on sale and the ones the margin checks cannot see into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Catalog {
    /// Active merchandise variants.
    #[cfg_attr(test, ts(type = "number"))]
    pub variants: u64,
    /// Of those, the ones with no unit cost: no margin can be checked on them.
    #[cfg_attr(test, ts(type = "number"))]
    pub missing_cost: u64,
    /// Orders in the shop, at any date.
    #[cfg_attr(test, ts(type = "number"))]
    pub orders: u64,
}

/// Counts the catalog and its missing costs.
pub fn catalog(conn: &Connection) -> Result<Catalog> {
    Ok(conn.query_row(
        "SELECT count(*), count(*) FILTER (WHERE v.cost_minor IS NULL), (SELECT count(*) FROM orders)
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE v.active = 1 AND p.active = 1 AND p.kind = 'merchandise'",
        [],
        |r| {
            Ok(Catalog {
                variants: r.get::<_, i64>(0)? as u64,
                missing_cost: r.get::<_, i64>(1)? as u64,
                orders: r.get::<_, i64>(2)? as u64,
            })
        },
    )?)
}

/// Everything the dashboard needs, in one call.
pub fn dashboard(
    conn: &Connection,
    shop: &Shop,
    range: DateRange,
    granularity: Granularity,
    top: u32,
) -> Result<Dashboard> {
    let previous = summary(conn, shop, range.previous())?;
    let sales = order_sales(conn, shop, &range)?;
    let summary = summarise(shop, range, &sales, refunds(conn, shop, &range)?);
    let series = series_from(&range, granularity, &sales);
    Ok(Dashboard {
        shop: shop.clone(),
        summary,
        previous,
        series,
        granularity,
        top_products: top_products(conn, shop, range, RankBy::Revenue, top)?,
        data_span: data_span(conn, shop)?,
        catalog: catalog(conn)?,
    })
}

/// First and last local day with an order.
pub fn data_span(conn: &Connection, shop: &Shop) -> Result<Option<DateRange>> {
    let (first, last): (Option<String>, Option<String>) = conn.query_row(
        "SELECT min(placed_at), max(placed_at) FROM orders",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let tz = shop.tz()?;
    let day = |t: Option<String>| {
        t.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&tz).date_naive())
    };
    Ok(match (day(first), day(last)) {
        (Some(from), Some(to)) => Some(DateRange { from, to }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_day;

    #[test]
    fn ranges_have_local_utc_bounds() {
        let d = |s| parse_day(s).unwrap();
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        let summer = DateRange::new(d("2011-07-01"), d("2011-07-01")).unwrap();
        assert_eq!(
            summer.utc_bounds(london),
            ("2011-06-30T23:00:00Z".into(), "2011-07-01T23:00:00Z".into())
        );
        let winter = DateRange::new(d("2011-12-01"), d("2011-12-09")).unwrap();
        assert_eq!(winter.utc_bounds(london).1, "2011-12-10T00:00:00Z");
        assert_eq!(winter.days(), 9);
        assert_eq!(
            winter.previous(),
            DateRange::new(d("2011-11-22"), d("2011-11-30")).unwrap()
        );
        assert!(DateRange::new(d("2011-12-02"), d("2011-12-01")).is_err());
        assert_eq!(
            DateRange::last_days(d("2011-12-09"), 30).from,
            d("2011-11-10")
        );
    }

    #[test]
    fn ranges_split_into_whole_months_and_loose_days() {
        let split = |a, b| {
            MonthSplit::of(&DateRange::new(parse_day(a).unwrap(), parse_day(b).unwrap()).unwrap())
        };
        let s = split("2010-12-01", "2011-12-09");
        assert_eq!(
            (s.first_month.as_str(), s.last_month.as_str()),
            ("2010-12", "2011-11")
        );
        assert_eq!(
            (s.head_to.as_str(), s.tail_from.as_str()),
            ("2010-11-30", "2011-12-01")
        );
        let s = split("2011-02-15", "2011-05-31");
        assert_eq!(
            (s.first_month.as_str(), s.last_month.as_str()),
            ("2011-03", "2011-05")
        );
        assert_eq!(
            (s.head_to.as_str(), s.tail_from.as_str()),
            ("2011-02-28", "2011-06-01")
        );
        // No whole month inside: all days, and the month part matches nothing.
        let s = split("2011-11-10", "2011-12-09");
        assert!(s.first_month > s.last_month);
        assert_eq!(s.head_to, "2011-12-09");
        let s = split("2012-02-01", "2012-02-29");
        assert_eq!(
            (s.first_month.as_str(), s.last_month.as_str()),
            ("2012-02", "2012-02")
        );
    }

    #[test]
    fn weeks_start_on_monday_and_clip_to_the_range() {
        let d = |s| parse_day(s).unwrap();
        let range = DateRange::new(d("2011-12-01"), d("2011-12-09")).unwrap();
        // 2011-12-01 was a Thursday; the next Monday is 2011-12-05.
        assert_eq!(
            bucket_start(d("2011-12-02"), Granularity::Week, &range),
            d("2011-12-01")
        );
        assert_eq!(
            bucket_start(d("2011-12-08"), Granularity::Week, &range),
            d("2011-12-05")
        );
        assert_eq!(
            bucket_start(d("2011-12-08"), Granularity::Day, &range),
            d("2011-12-08")
        );
    }
}
