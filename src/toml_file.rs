//! The owner's TOML files (sales, tiers, pricing rules, what-if scenarios):
//! one reader for all of them, whose errors say where, by file, line and
//! column, and then what the file's own checks found.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// A kind of TOML file Merchant Desk reads.
pub trait TomlFile: DeserializeOwned {
    /// How messages name such a file when it has no name of its own (text
    /// pasted or sent by the app): "the sale file".
    const WHAT: &'static str;

    /// What can be checked without the shop (a sale ending before it
    /// starts, a tier without a threshold).
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

/// Reads a file of kind `T`, naming the file in every error.
pub fn read<T: TomlFile>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let name = path.display().to_string();
    let value: T = decode(&text, |line, column, message| Error::BadInput {
        file: name.clone(),
        line,
        column: column.to_string(),
        message: message.to_string(),
    })?;
    value.check().map_err(|e| match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("{name}: {m}")),
        other => other,
    })?;
    Ok(value)
}

/// Parses the text of a file of kind `T`.
pub fn parse<T: TomlFile>(text: &str) -> Result<T> {
    let value: T = decode(text, |line, column, message| {
        Error::InvalidArgument(format!(
            "{} is not valid: line {line}, column {column}: {message}",
            T::WHAT
        ))
    })?;
    value.check()?;
    Ok(value)
}

/// The TOML in `text`, or the error `located` makes of where (line,
/// column) and what went wrong.
fn decode<T: DeserializeOwned>(
    text: &str,
    located: impl FnOnce(u64, u64, &str) -> Error,
) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = where_in(text, &e);
        located(line, column, e.message().trim())
    })
}

/// The 1-based line and column (in characters) where an error starts.
fn where_in(text: &str, e: &toml::de::Error) -> (u64, u64) {
    let at = e.span().map_or(0, |s| s.start).min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Example {
        name: String,
        #[allow(dead_code)]
        percent: i64,
    }

    impl TomlFile for Example {
        const WHAT: &'static str = "the example file";
        fn check(&self) -> Result<()> {
            if self.name.is_empty() {
                return Err(Error::InvalidArgument("the example needs a name".into()));
            }
            Ok(())
        }
    }

    #[test]
    fn errors_say_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("winter.toml");
        std::fs::write(&path, "name = \"Winter\"\n\nprecent = 5\n").unwrap();
        let err = read::<Example>(&path).unwrap_err();
        assert_eq!(err.code(), "bad_input");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "{}: line 3, column 1: unknown field `precent`",
                path.display()
            )),
            "{text}"
        );
        // A wrong type points at the value, mid-line.
        std::fs::write(&path, "name = \"Winter\"\npercent = \"five\"\n").unwrap();
        let text = read::<Example>(&path).unwrap_err().to_string();
        assert!(text.contains("line 2, column 11"), "{text}");
        // The file's own checks name the file too.
        std::fs::write(&path, "name = \"\"\npercent = 5\n").unwrap();
        let text = read::<Example>(&path).unwrap_err().to_string();
        assert_eq!(
            text,
            format!("{}: the example needs a name", path.display())
        );
        // Text without a file says what kind of file it is.
        let text = parse::<Example>("name = \"x\"\npercent = 5\nnope = 1")
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with(
                "the example file is not valid: line 3, column 1: unknown field `nope`"
            ),
            "{text}"
        );
        assert!(parse::<Example>("name = \"x\"\npercent = 5").is_ok());
    }
}
