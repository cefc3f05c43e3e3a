//! One error type for the core. Each variant maps to a stable `code` that the
//! UI switches on; the message is for people. Secrets never enter an error.

use serde::Serialize;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input (a file, an argument) is malformed. `file`, `line` and `column`
    /// say where; the store is left exactly as it was.
    #[error("{file}: line {line}, column {column}: {message}")]
    BadInput {
        /// The file's name as the user gave it.
        file: String,
        /// 1-based line number in the file.
        line: u64,
        /// The column's header name, or a description when there is none.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A bad argument from the CLI or the UI (a date range, a currency code).
    #[error("{0}")]
    InvalidArgument(String),
    /// The database was written by a newer Merchant Desk.
    #[error("this shop database is at schema version {found}, but this build of Merchant Desk only knows up to version {known}; update Merchant Desk to open it (the file was not changed)")]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// Newest migration this build carries.
        known: i64,
    },
    /// No shop is set up in this database yet.
    #[error("no shop is set up yet: open the demo shop or import your data first")]
    NoShop,
    /// The user cancelled a long-running job; nothing was changed.
    #[error("cancelled; nothing was changed")]
    Cancelled,
    /// Another import is already running.
    #[error("another import or sync is running; wait for it or cancel it first")]
    Busy,
    /// No storefront is connected to this shop.
    #[error(
        "no store is connected: connect one in Settings, or with `merchant-desk connect shopify`"
    )]
    NotConnected,
    /// The storefront refused the credentials.
    #[error("the store refused the credentials: {0}")]
    Auth(String),
    /// The storefront could not be reached or answered with something
    /// unusable after the retries; what was committed stays, and running
    /// the same work again resumes it.
    #[error("{0}")]
    Network(String),
    /// The storefront answered, but refused or failed the request.
    #[error("the store answered: {0}")]
    Storefront(String),
    /// A value changed upstream since Merchant Desk set it.
    #[error("{0}")]
    Conflict(String),
    /// The OS keyring could not be used.
    #[error("the system keyring is not available ({0}); on a machine without one, keep the token in an environment variable and connect with --token-env")]
    Keyring(String),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Store(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result with the core's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Stable machine-readable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadInput { .. } => "bad_input",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::NoShop => "no_shop",
            Error::Cancelled => "cancelled",
            Error::Busy => "busy",
            Error::NotConnected => "not_connected",
            Error::Auth(_) => "auth",
            Error::Network(_) => "network",
            Error::Storefront(_) => "storefront",
            Error::Conflict(_) => "conflict",
            Error::Keyring(_) => "keyring",
            Error::Store(_) => "store",
            Error::Io { .. } => "io",
        }
    }

    /// Builds an [`Error::Io`] with a context such as "reading orders.csv".
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The shape an error takes when it crosses IPC: `{ code, message }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ErrorPayload {
    /// One of the codes of [`Error::code`].
    pub code: String,
    /// A sentence for the owner.
    pub message: String,
}

impl From<Error> for ErrorPayload {
    fn from(e: Error) -> Self {
        ErrorPayload {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}
