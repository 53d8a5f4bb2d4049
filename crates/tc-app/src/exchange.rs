//! How a file for another party leaves the system when it carries full ID numbers (the tax
//! bureau's dues file, a transfer certificate for another province): sealed for the receiver's
//! exchange key (`tongchou unseal --key-file K` opens it; docs/OPERATIONS.md §5) unless plain
//! text was chosen explicitly, where the transport is protected otherwise. One writer for the
//! command line and the web alike.

use crate::error::{AppError, Result};
use std::io::Write;
use tongchou_store::Db;
use tongchou_store::backup::{MasterKey, SealWriter};

/// Sealed for an exchange key, or plain by explicit choice.
#[derive(Clone, Copy)]
pub enum Exchange<'a> {
    Sealed(&'a MasterKey),
    Plain,
}

impl Exchange<'_> {
    /// The file's name: `plain`, with `.sealed` appended when sealed.
    pub fn name(&self, plain: &str) -> String {
        match self {
            Exchange::Sealed(_) => format!("{plain}.sealed"),
            Exchange::Plain => plain.to_string(),
        }
    }

    /// The HTTP content type of the file: `plain_type` when plain, octets when sealed.
    pub fn content_type<'a>(&self, plain_type: &'a str) -> &'a str {
        match self {
            Exchange::Sealed(_) => "application/octet-stream",
            Exchange::Plain => plain_type,
        }
    }
}

/// `write` writes the file's plain bytes; they reach `out` sealed as `kind` (the deployment's
/// cipher) or plain, as `exchange` says. Nothing is written to `out` that is not the whole file
/// once this returns `Ok`; a refusal leaves what was written to be discarded.
pub fn write_for<T>(
    db: &mut Db,
    exchange: Exchange,
    kind: &str,
    out: &mut dyn Write,
    write: impl FnOnce(&mut Db, &mut dyn Write) -> Result<T>,
) -> Result<T> {
    let key = match exchange {
        Exchange::Plain => return write(db, out),
        Exchange::Sealed(k) => k,
    };
    let cipher = tongchou_store::backup::cipher(db)?;
    let mut w =
        SealWriter::new(key, cipher, kind, out).map_err(|e| AppError::Invalid(e.to_string()))?;
    let done = write(db, &mut w)?;
    w.finish().map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_say_whether_the_file_is_sealed() {
        let (key, _) = MasterKey::generate("test").expect("random");
        assert_eq!(Exchange::Sealed(&key).name("a.csv"), "a.csv.sealed");
        assert_eq!(Exchange::Plain.name("a.csv"), "a.csv");
        assert_eq!(
            Exchange::Sealed(&key).content_type("text/csv"),
            "application/octet-stream"
        );
        assert_eq!(Exchange::Plain.content_type("text/csv"), "text/csv");
    }
}
