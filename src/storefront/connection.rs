//! The shop's connection to its hosted storefront: which platform, which
//! address, how to authenticate, and the factory that opens the storefront
//! from it. The row in `storefront_connection` holds no secret, only where
//! the secret is (the keyring, or a variable's name).

use super::secret::{check_env_name, Secret, SecretSource};
use super::shopify::client::{Auth, Tuning, API_VERSION};
use super::shopify::Shopify;
use super::{base_url, ShopInfo, Storefront};
use crate::error::{Error, Result};
use crate::store::{Shop, Store};
use crate::time::fmt_utc;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// How the owner authenticates, as given when connecting.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An Admin API access token.
    Token(SecretGiven),
    /// A client id and its secret (client-credentials grant).
    ClientCredentials {
        client_id: String,
        secret: SecretGiven,
    },
}

/// A secret given when connecting: its value (kept in the keyring), or the
/// name of the environment variable that holds it.
#[derive(Debug, Clone)]
pub enum SecretGiven {
    Value(Secret),
    Env(String),
}

/// A connection as the owner fills it in (Settings → Connect store). The
/// secret goes to the keyring; `Debug` never shows it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ConnectRequest {
    pub platform: String,
    /// The shop's domain (`my-shop.myshopify.com`) or address.
    pub shop: String,
    /// 'token' or 'client_credentials'.
    pub auth: String,
    pub client_id: Option<String>,
    /// The access token, or the client secret.
    #[cfg_attr(test, ts(type = "string"))]
    pub secret: Secret,
}

impl ConnectRequest {
    /// The credentials, refusing a blank secret with a message that says
    /// which one is missing.
    pub fn credentials(&self) -> Result<Credentials> {
        let missing = |what: &str| Error::InvalidArgument(format!("paste the {what}"));
        match self.auth.as_str() {
            "token" => {
                if self.secret.expose().is_empty() {
                    return Err(missing("Admin API access token"));
                }
                Ok(Credentials::Token(SecretGiven::Value(self.secret.clone())))
            }
            "client_credentials" => {
                if self.secret.expose().is_empty() {
                    return Err(missing("client secret"));
                }
                Ok(Credentials::ClientCredentials {
                    client_id: self.client_id.clone().unwrap_or_default(),
                    secret: SecretGiven::Value(self.secret.clone()),
                })
            }
            other => Err(Error::InvalidArgument(format!(
                "unknown sign-in method {other}: use an access token or a client id and secret"
            ))),
        }
    }
}

/// A stored connection, as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ConnectionInfo {
    pub platform: String,
    /// The shop's address, `https://…`.
    pub shop_url: String,
    /// 'token' or 'client_credentials'.
    pub auth: String,
    pub client_id: Option<String>,
    /// The variable holding the secret; `None`: the OS keyring.
    pub secret_env: Option<String>,
    pub api_version: String,
    pub connected_at: String,
}

/// The stored connection, if any.
pub fn load(conn: &Connection) -> Result<Option<ConnectionInfo>> {
    Ok(conn
        .query_row(
            "SELECT platform, shop_url, auth, client_id, secret_env, api_version, connected_at
             FROM storefront_connection WHERE id = 1",
            [],
            |r| {
                Ok(ConnectionInfo {
                    platform: r.get(0)?,
                    shop_url: r.get(1)?,
                    auth: r.get(2)?,
                    client_id: r.get(3)?,
                    secret_env: r.get(4)?,
                    api_version: r.get(5)?,
                    connected_at: r.get(6)?,
                })
            },
        )
        .optional()?)
}

fn source(secret: &SecretGiven) -> Result<SecretSource> {
    match secret {
        SecretGiven::Value(_) => Ok(SecretSource::Keyring),
        SecretGiven::Env(name) => {
            check_env_name(name)?;
            Ok(SecretSource::Env(name.clone()))
        }
    }
}

fn shopify_auth(creds: &Credentials, shop_url: &str) -> Result<Auth> {
    let secret = |s: &SecretGiven| match s {
        SecretGiven::Value(v) => Ok(v.clone()),
        SecretGiven::Env(_) => source(s)?.load(shop_url),
    };
    Ok(match creds {
        Credentials::Token(s) => Auth::Token(secret(s)?),
        Credentials::ClientCredentials {
            client_id,
            secret: s,
        } => {
            if client_id.trim().is_empty() {
                return Err(Error::InvalidArgument("the client id is empty".into()));
            }
            Auth::ClientCredentials {
                client_id: client_id.trim().to_string(),
                secret: secret(s)?,
            }
        }
    })
}

/// Tries the credentials against the shop and returns its name, currency
/// and time zone ("Test connection"). Nothing is stored.
pub fn test(platform: &str, shop: &str, creds: &Credentials, tuning: Tuning) -> Result<ShopInfo> {
    if platform != "shopify" {
        return Err(Error::InvalidArgument(format!(
            "{platform} is not supported yet: Merchant Desk connects to Shopify"
        )));
    }
    let url = base_url(shop)?;
    let mut sf = Shopify::new(
        &url,
        shopify_auth(creds, &url)?,
        tuning,
        Arc::new(AtomicBool::new(false)),
    );
    sf.shop_info()
}

/// Keeps the secret (in the keyring, unless it is named by an environment
/// variable) and the connection record. Returns the shop's address.
pub fn save(
    conn: &Connection,
    platform: &str,
    shop: &str,
    creds: &Credentials,
    now: DateTime<Utc>,
) -> Result<String> {
    let url = base_url(shop)?;
    let (auth, client_id, secret) = match creds {
        Credentials::Token(s) => ("token", None, s),
        Credentials::ClientCredentials { client_id, secret } => {
            ("client_credentials", Some(client_id.trim()), secret)
        }
    };
    let src = source(secret)?;
    if let SecretGiven::Value(v) = secret {
        src.save(&url, v)?;
    }
    let env = match &src {
        SecretSource::Env(n) => Some(n.as_str()),
        SecretSource::Keyring => None,
    };
    conn.execute(
        "INSERT INTO storefront_connection (id, platform, shop_url, auth, client_id, secret_env, api_version, connected_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET platform = excluded.platform, shop_url = excluded.shop_url,
           auth = excluded.auth, client_id = excluded.client_id, secret_env = excluded.secret_env,
           api_version = excluded.api_version, connected_at = excluded.connected_at",
        params![platform, url, auth, client_id, env, API_VERSION, fmt_utc(now)],
    )?;
    Ok(url)
}

/// Tests the credentials, keeps the secret and the connection, and sets the
/// shop's name, currency and time zone from the storefront.
pub fn connect(
    store: &mut Store,
    platform: &str,
    shop: &str,
    creds: &Credentials,
    tuning: Tuning,
) -> Result<ShopInfo> {
    let info = test(platform, shop, creds, tuning)?;
    let url = save(store.conn(), platform, shop, creds, Utc::now())?;
    let mut record = store.shop()?.unwrap_or(Shop {
        name: String::new(),
        platform: platform.to_string(),
        currency: String::new(),
        time_zone: String::new(),
        demo: false,
        fixed_today: None,
    });
    record.name = info.name.clone();
    record.platform = platform.to_string();
    record.currency = info.currency.clone();
    record.time_zone = info.time_zone.clone();
    record.validate()?;
    store.set_shop(&record, Utc::now())?;
    crate::store::set_money_format(store.conn(), info.money_format.as_deref())?;
    tracing::info!(platform, shop = %url, "store connected");
    Ok(info)
}

/// Forgets the connection and removes its secret from the keyring.
pub fn forget(conn: &Connection) -> Result<()> {
    if let Some(c) = load(conn)? {
        if c.secret_env.is_none() {
            SecretSource::Keyring.forget(&c.shop_url)?;
        }
        conn.execute("DELETE FROM storefront_connection", [])?;
        tracing::info!(shop = %c.shop_url, "store disconnected");
    }
    Ok(())
}

/// The connected storefront, ready to use.
pub fn open(conn: &Connection, tuning: Tuning, cancel: Arc<AtomicBool>) -> Result<Option<Shopify>> {
    let Some(c) = load(conn)? else {
        return Ok(None);
    };
    let src = match &c.secret_env {
        Some(name) => SecretSource::Env(name.clone()),
        None => SecretSource::Keyring,
    };
    let secret = src.load(&c.shop_url)?;
    let auth = match c.auth.as_str() {
        "client_credentials" => Auth::ClientCredentials {
            client_id: c.client_id.clone().unwrap_or_default(),
            secret,
        },
        _ => Auth::Token(secret),
    };
    Ok(Some(Shopify::new(&c.shop_url, auth, tuning, cancel)))
}
