//! Reading CSV input for the importers: gzip detection, byte counting for
//! progress, header resolution by name, and typed field access whose errors
//! name the file, line and column.

use crate::error::{Error, Result};
use crate::money::parse_decimal;
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts the bytes read from the underlying file so progress can be shown
/// against the file size even when the file is gzip-compressed.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A CSV file being read row by row.
pub struct CsvInput {
    file: String,
    reader: csv::Reader<Box<dyn Read>>,
    record: csv::ByteRecord,
    bytes_read: Arc<AtomicU64>,
    /// Header names as found, trimmed.
    pub headers: Vec<String>,
}

impl CsvInput {
    /// Wraps a reader; gzip input is recognised by its magic bytes.
    pub fn new(file: &str, raw: impl Read + 'static) -> Result<CsvInput> {
        let bytes_read = Arc::new(AtomicU64::new(0));
        let mut buffered = BufReader::with_capacity(
            1 << 16,
            Counting {
                inner: raw,
                count: bytes_read.clone(),
            },
        );
        let head = buffered
            .fill_buf()
            .map_err(|e| Error::io(format!("reading {file}"), e))?;
        let gz = head.starts_with(&[0x1f, 0x8b]);
        let inner: Box<dyn Read> = if gz {
            Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::bufread::MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(inner);
        let header_record = reader
            .byte_headers()
            .map_err(|e| csv_error(file, e))?
            .clone();
        let bad = |line, column: &str, message: &str| Error::BadInput {
            file: file.to_string(),
            line,
            column: column.to_string(),
            message: message.to_string(),
        };
        if header_record.is_empty() || (header_record.len() == 1 && header_record[0].is_empty()) {
            return Err(bad(1, "-", "the file is empty: expected a header row"));
        }
        let first = &header_record[0];
        if first.starts_with(&[0xff, 0xfe])
            || first.starts_with(&[0xfe, 0xff])
            || first.contains(&0)
        {
            return Err(bad(1, "-", "the file is UTF-16 text; save it as UTF-8 CSV"));
        }
        let mut headers = Vec::with_capacity(header_record.len());
        for (i, h) in header_record.iter().enumerate() {
            let h = h.strip_prefix(b"\xef\xbb\xbf").unwrap_or(h);
            let text = std::str::from_utf8(h).map_err(|_| {
                bad(
                    1,
                    &format!("#{}", i + 1),
                    "the header is not valid UTF-8 text; save the file as UTF-8 CSV",
                )
            })?;
            headers.push(text.trim().to_string());
        }
        Ok(CsvInput {
            file: file.to_string(),
            reader,
            record: csv::ByteRecord::new(),
            bytes_read,
            headers,
        })
    }

    /// Finds each named column (case-insensitive). A missing required column
    /// is an error naming it; a missing optional one is `None`.
    pub fn columns(&self, required: &[&str], optional: &[&str]) -> Result<Vec<Option<usize>>> {
        let find = |name: &str| {
            self.headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
        };
        let mut out = Vec::with_capacity(required.len() + optional.len());
        for name in required {
            match find(name) {
                Some(i) => out.push(Some(i)),
                None => {
                    return Err(Error::BadInput {
                        file: self.file.clone(),
                        line: 1,
                        column: name.to_string(),
                        message: format!(
                            "required column {name:?} is missing (found: {})",
                            self.headers.join(", ")
                        ),
                    })
                }
            }
        }
        out.extend(optional.iter().map(|name| find(name)));
        Ok(out)
    }

    /// Reads the next data row; `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                Ok(Some(Row {
                    file: &self.file,
                    headers: &self.headers,
                    record: &self.record,
                    line,
                }))
            }
            Ok(false) => Ok(None),
            Err(e) => Err(csv_error(&self.file, e)),
        }
    }

    /// Bytes of the (possibly compressed) file read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// The file name used in messages.
    pub fn file(&self) -> &str {
        &self.file
    }
}

fn csv_error(file: &str, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let (column, message) = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => (
            "-".to_string(),
            format!("this row has {len} fields but the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => (
            format!("#{}", err.field() + 1),
            "not valid UTF-8 text; save the file as UTF-8 CSV".to_string(),
        ),
        csv::ErrorKind::Io(io)
            if io.kind() == std::io::ErrorKind::InvalidInput
                || io.kind() == std::io::ErrorKind::InvalidData =>
        {
            (
                "-".to_string(),
                format!("the compressed file is damaged: {io}"),
            )
        }
        _ => ("-".to_string(), e.to_string()),
    };
    Error::BadInput {
        file: file.to_string(),
        line,
        column,
        message,
    }
}

/// One data row with typed accessors.
pub struct Row<'a> {
    file: &'a str,
    headers: &'a [String],
    record: &'a csv::ByteRecord,
    /// 1-based line number where the row starts.
    pub line: u64,
}

impl<'a> Row<'a> {
    /// An error about column `col` of this row.
    pub fn error(&self, col: usize, message: impl Into<String>) -> Error {
        Error::BadInput {
            file: self.file.to_string(),
            line: self.line,
            column: self
                .headers
                .get(col)
                .cloned()
                .unwrap_or_else(|| format!("#{}", col + 1)),
            message: message.into(),
        }
    }

    /// The trimmed text of a column; invalid UTF-8 is an error.
    pub fn text(&self, col: usize) -> Result<&'a str> {
        let bytes = self.record.get(col).unwrap_or(b"");
        std::str::from_utf8(bytes)
            .map(str::trim)
            .map_err(|_| self.error(col, "not valid UTF-8 text; save the file as UTF-8 CSV"))
    }

    /// The text of an optional column; absent or blank is `None`.
    pub fn opt_text(&self, col: Option<usize>) -> Result<Option<&'a str>> {
        match col {
            Some(c) => self.text(c).map(|t| (!t.is_empty()).then_some(t)),
            None => Ok(None),
        }
    }

    /// A required non-blank text.
    pub fn required(&self, col: usize) -> Result<&'a str> {
        let t = self.text(col)?;
        if t.is_empty() {
            return Err(self.error(col, "this value is required but the cell is empty"));
        }
        Ok(t)
    }

    /// A whole number.
    pub fn int(&self, col: usize) -> Result<i64> {
        let t = self.text(col)?;
        t.parse::<i64>()
            .map_err(|_| self.error(col, format!("{t:?} is not a whole number")))
    }

    /// An optional whole number (blank is `None`).
    pub fn opt_int(&self, col: Option<usize>) -> Result<Option<i64>> {
        match col {
            Some(c) if !self.text(c)?.is_empty() => self.int(c).map(Some),
            _ => Ok(None),
        }
    }

    /// A decimal number such as a price in major units.
    pub fn decimal(&self, col: usize) -> Result<Decimal> {
        let t = self.text(col)?;
        parse_decimal(t).ok_or_else(|| {
            self.error(
                col,
                format!("{t:?} is not a number (use digits and a dot, e.g. 2.50)"),
            )
        })
    }

    /// A price or cost: a non-negative amount, in minor units of `currency`.
    pub fn amount(&self, col: usize, currency: &str) -> Result<i64> {
        let d = self.decimal(col)?;
        if d.is_sign_negative() && !d.is_zero() {
            return Err(self.error(col, "amounts cannot be negative"));
        }
        crate::money::to_minor(d, currency).ok_or_else(|| self.error(col, "amount out of range"))
    }

    /// An optional amount (blank is `None`).
    pub fn opt_amount(&self, col: Option<usize>, currency: &str) -> Result<Option<i64>> {
        match col {
            Some(c) if !self.text(c)?.is_empty() => self.amount(c, currency).map(Some),
            _ => Ok(None),
        }
    }

    /// An optional decimal (blank is `None`).
    pub fn opt_decimal(&self, col: Option<usize>) -> Result<Option<Decimal>> {
        match col {
            Some(c) if !self.text(c)?.is_empty() => self.decimal(c).map(Some),
            _ => Ok(None),
        }
    }
}
