use super::push::discount_input;
use super::*;
use crate::storefront::{Discount, DiscountMethod, DiscountValue, Entity, Items, Minimum, Record};

#[test]
fn order_with_refund_maps_to_minor_units() {
    let node = json!({
        "id": "gid://shopify/Order/1", "name": "#1001", "email": "a@b.c",
        "processedAt": "2011-01-04T10:00:00Z", "updatedAt": "2011-01-05T09:00:00.5Z",
        "cancelledAt": null, "displayFinancialStatus": "PARTIALLY_REFUNDED",
        "currencyCode": "GBP", "customer": {"id": "gid://shopify/Customer/7"},
        "billingAddress": {"countryCodeV2": "GB"},
        "refunds": [{"id": "gid://shopify/Refund/3", "createdAt": "2011-01-05T09:00:00Z",
          "totalRefundedSet": {"shopMoney": {"amount": "2.55"}},
          "refundLineItems": {"nodes": [{"quantity": 1, "lineItem": {"id": "gid://shopify/LineItem/9"},
             "subtotalSet": {"shopMoney": {"amount": "2.55"}}}]}}]
    });
    let lines = vec![
        json!({"id": "gid://shopify/LineItem/9", "sku": "85123A", "title": "Heart",
        "quantity": 6, "variant": {"id": "gid://shopify/ProductVariant/2"},
        "originalUnitPriceSet": {"shopMoney": {"amount": "2.55"}},
        "__parentId": "gid://shopify/Order/1"}),
    ];
    let Record::Order(o) = record(Entity::Orders, &node, &lines, "GBP").unwrap() else {
        panic!("not an order")
    };
    assert_eq!(o.updated_at, "2011-01-05T09:00:00Z");
    assert_eq!(o.financial_status, "partially_refunded");
    assert_eq!(o.lines[0].unit_price_minor, 255);
    assert_eq!(o.lines[0].quantity, 6);
    assert_eq!(o.refunds[0].lines[0].amount_minor, 255);
    assert_eq!(o.customer.as_deref(), Some("gid://shopify/Customer/7"));
}

#[test]
fn discount_round_trips_through_its_input_shape() {
    let d = Discount {
        title: "Spring".into(),
        method: DiscountMethod::Code,
        code: Some("SPRING15".into()),
        value: DiscountValue::Percentage { basis_points: 1500 },
        minimum: Minimum::Subtotal { amount_minor: 5000 },
        items: Items::All,
        starts_at: "2026-03-01T00:00:00Z".into(),
        ends_at: None,
        usage_limit: Some(100),
        once_per_customer: false,
        customers: Vec::new(),
    };
    let input = discount_input(&d, None, "GBP");
    assert_eq!(input["customerGets"]["value"]["percentage"], json!(0.15));
    assert_eq!(
        input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"],
        json!("50.00")
    );
    assert_eq!(input["code"], json!("SPRING15"));
    let read = json!({
        "__typename": "DiscountCodeBasic", "title": "Spring", "startsAt": "2026-03-01T00:00:00Z",
        "endsAt": null, "usageLimit": 100, "codes": {"nodes": [{"code": "SPRING15"}]},
        "minimumRequirement": {"__typename": "DiscountMinimumSubtotal",
           "greaterThanOrEqualToSubtotal": {"amount": "50.0"}},
        "customerGets": {"value": {"__typename": "DiscountPercentage", "percentage": 0.15},
           "items": {"__typename": "AllDiscountItems"}}
    });
    assert_eq!(discount_from(&read, "code", "GBP").unwrap(), d);
}
