//! The loopback Shopify fake as a process, for the end-to-end test (and for
//! trying the app by hand): it prints its address and the access token it
//! accepts on one line, then serves until its standard input closes, so it
//! never outlives whoever started it.
//!
//! `cargo run -p shopify-fake -- [--invoices N]` (default: every invoice of
//! the Online Retail file).

use shopify_fake as shopify;

use std::io::{Read, Write};

fn main() {
    let mut invoices = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--invoices" => {
                let n = args.next().and_then(|n| n.parse().ok());
                invoices = Some(n.expect("--invoices takes a number"));
            }
            other => panic!("unknown argument {other}: use --invoices N"),
        }
    }
    let fake = shopify::FakeShop::start(shopify::Options {
        invoices,
        ..shopify::Options::default()
    });
    let (products, customers, orders) = fake.counts();
    println!("{} {}", fake.url, shopify::TOKEN);
    eprintln!("shopify-fake: {products} products, {customers} customers, {orders} orders");
    std::io::stdout().flush().expect("stdout");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}
