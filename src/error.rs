//! One error type for the core. Each variant maps to a stable
//! [`ErrorCode`] that the UI switches on; the message is for people, written
//! with the labels they see. Secrets never enter an error. Across IPC an
//! error serialises as `{ code, message }`.

use serde::{Serialize, Serializer};

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
    /// A value the owner typed into a field cannot be read: `field` is the
    /// field's label on screen.
    #[error("{field}: {message}")]
    InvalidField {
        /// The field's label, as the form shows it.
        field: String,
        /// What is wrong with the value.
        message: String,
    },
    /// What was asked for (a sale, a proposal, a tier set) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A launch would go below the margin floor: it can go ahead only with
    /// a written reason.
    #[error("{0}")]
    FloorOverrideRequired(String),
    /// A typed value is so unusual (a price of zero, ten times the current
    /// one) that it is sent only when the owner confirms it.
    #[error("{0}")]
    ConfirmationRequired(String),
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
    #[error("another import or sync is running (perhaps the background sync the side bar shows); wait for it or cancel it first")]
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
    /// Something Merchant Desk did not expect (a bug); the command was not
    /// carried out.
    #[error("Merchant Desk hit an unexpected problem and did not finish: {0}")]
    Internal(String),
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

stored_enum! {
    /// What kind of error it is, for the UI to tell cases apart (and offer
    /// what the owner can do: give a reason, force a revert, wait).
    pub enum ErrorCode {
        /// A file is malformed; the message names file, line and column.
        BadInput = "bad_input",
        /// An argument or a field's value is not acceptable.
        InvalidInput = "invalid_input",
        /// What was asked for does not exist.
        NotFound = "not_found",
        /// Going below the margin floor needs a written reason.
        FloorOverrideRequired = "floor_override_required",
        /// An unusual value needs the owner's confirmation.
        ConfirmationRequired = "confirmation_required",
        /// The database comes from a newer Merchant Desk.
        SchemaTooNew = "schema_too_new",
        /// No shop is set up yet.
        NoShop = "no_shop",
        /// The owner cancelled; nothing was changed.
        Cancelled = "cancelled",
        /// Another long job is running.
        Busy = "busy",
        /// No storefront is connected.
        NotConnected = "not_connected",
        /// The storefront refused the credentials.
        Auth = "auth",
        /// The storefront could not be reached.
        Network = "network",
        /// The storefront answered and refused or failed the request.
        StorefrontRefused = "storefront_refused",
        /// A value changed on the storefront since Merchant Desk set it.
        Conflict = "conflict",
        /// The OS keyring is not available.
        Keyring = "keyring",
        /// SQLite failed.
        Store = "store",
        /// A file could not be read or written.
        Io = "io",
        /// Something the app did not expect (a bug): the message says what.
        Internal = "internal",
    }
}

impl Error {
    /// Stable machine-readable code for the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BadInput { .. } => ErrorCode::BadInput,
            Error::InvalidArgument(_) | Error::InvalidField { .. } => ErrorCode::InvalidInput,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::FloorOverrideRequired(_) => ErrorCode::FloorOverrideRequired,
            Error::ConfirmationRequired(_) => ErrorCode::ConfirmationRequired,
            Error::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            Error::NoShop => ErrorCode::NoShop,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::Busy => ErrorCode::Busy,
            Error::NotConnected => ErrorCode::NotConnected,
            Error::Auth(_) => ErrorCode::Auth,
            Error::Network(_) => ErrorCode::Network,
            Error::Storefront(_) => ErrorCode::StorefrontRefused,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::Keyring(_) => ErrorCode::Keyring,
            Error::Store(_) => ErrorCode::Store,
            Error::Io { .. } => ErrorCode::Io,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A field's value the owner typed cannot be used.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidField {
            field: field.into(),
            message: message.into(),
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
    pub code: ErrorCode,
    /// A sentence for the owner.
    pub message: String,
}

impl From<&Error> for ErrorPayload {
    fn from(e: &Error) -> Self {
        ErrorPayload {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        ErrorPayload::from(self).serialize(s)
    }
}
