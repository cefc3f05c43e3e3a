-- Schema v7: how the shop writes its money, as its storefront gives it
-- (Shopify's money format, such as '£{{amount}}' or
-- '{{amount_with_comma_separator}} €'). NULL: the currency's default.
ALTER TABLE shop ADD COLUMN money_format TEXT;
