//! Storefront credentials. A secret lives in the OS keyring, or (headless
//! runs) in an environment variable whose name only is stored. The
//! `Secret` type never prints its value: not in `Debug`, not in an error.

use crate::error::{Error, Result};

/// A token or client secret. `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret, trimming the whitespace a paste may bring.
    pub fn new(value: impl Into<String>) -> Result<Secret> {
        let value = value.into().trim().to_string();
        if value.is_empty() {
            return Err(Error::InvalidArgument("the secret is empty".into()));
        }
        Ok(Secret(value))
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A secret typed into the app arrives as a string; blank is refused later,
/// with a message, by whoever needs it (not as an unreadable IPC error).
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Secret, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Secret(text.trim().to_string()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a connection's secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The OS keyring, under the shop's address.
    Keyring,
    /// An environment variable of this name.
    Env(String),
}

const SERVICE: &str = "merchant-desk";

fn entry(shop_url: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, shop_url).map_err(|e| Error::Keyring(e.to_string()))
}

impl SecretSource {
    /// Reads the secret.
    pub fn load(&self, shop_url: &str) -> Result<Secret> {
        match self {
            SecretSource::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Secret::new(v),
                _ => Err(Error::Auth(format!(
                    "the environment variable {name} is not set; set it to the store's token or secret"
                ))),
            },
            SecretSource::Keyring => match entry(shop_url)?.get_password() {
                Ok(v) => Secret::new(v),
                Err(keyring::Error::NoEntry) => Err(Error::Auth(
                    "no credentials are saved for this store: connect it again in Settings".into(),
                )),
                Err(e) => Err(Error::Keyring(e.to_string())),
            },
        }
    }

    /// Keeps `secret` in the keyring (an environment variable is the owner's
    /// to set: nothing is written for it).
    pub fn save(&self, shop_url: &str, secret: &Secret) -> Result<()> {
        match self {
            SecretSource::Env(_) => Ok(()),
            SecretSource::Keyring => entry(shop_url)?
                .set_password(secret.expose())
                .map_err(|e| Error::Keyring(e.to_string())),
        }
    }

    /// Removes the keyring entry, if any.
    pub fn forget(&self, shop_url: &str) -> Result<()> {
        match self {
            SecretSource::Env(_) => Ok(()),
            SecretSource::Keyring => match entry(shop_url)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(Error::Keyring(e.to_string())),
            },
        }
    }
}

/// Checks that an environment variable's name is a name, not a pasted secret.
pub fn check_env_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(
            "give the NAME of an environment variable (such as SHOPIFY_TOKEN), not its value"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("shpat_abc123").unwrap();
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "shpat_abc123");
        let typed: Secret = serde_json::from_str(r#"" shpat_x \n""#).unwrap();
        assert_eq!(typed.expose(), "shpat_x");
    }

    #[test]
    fn env_names_not_values() {
        assert!(check_env_name("SHOPIFY_TOKEN").is_ok());
        assert!(check_env_name("shpat_0123abcdef").is_err());
        assert!(check_env_name("1ABC").is_err());
    }

    #[test]
    fn keyring_round_trip_in_the_mock_store() {
        keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
        let e = entry("https://x.myshopify.com").unwrap();
        e.set_password("shpat_secret").unwrap();
        assert_eq!(e.get_password().unwrap(), "shpat_secret");
        e.delete_credential().unwrap();
        assert!(matches!(e.get_password(), Err(keyring::Error::NoEntry)));
    }
}
