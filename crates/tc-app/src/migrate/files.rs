//! A city's legacy file set: one file per part in a directory, `NAME.csv` or `NAME.xlsx`
//! (`docs/LEGACY.md`).

use crate::{AppError, Result};
use std::path::Path;
use tongchou_store::audit::sha256_hex;

/// The parts of a city's file set, in the order of the fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Employers,
    Insured,
    History,
    Pensioners,
    Arrears,
    Controls,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Part::Employers,
        Part::Insured,
        Part::History,
        Part::Pensioners,
        Part::Arrears,
        Part::Controls,
    ];

    /// The file's base name.
    pub fn stem(self) -> &'static str {
        match self {
            Part::Employers => "employers",
            Part::Insured => "insured",
            Part::History => "history",
            Part::Pensioners => "pensioners",
            Part::Arrears => "arrears",
            Part::Controls => "controls",
        }
    }

    /// The name defects carry before the set names the actual file (`insured.*`).
    pub fn file_name(self) -> String {
        format!("{}.*", self.stem())
    }

    /// Whether a city may leave the part out (a city without open arrears).
    pub fn optional(self) -> bool {
        self == Part::Arrears
    }
}

/// The bytes of each part present, with the file's name.
#[derive(Clone, Debug, Default)]
pub struct FileSet {
    files: Vec<(Part, String, Vec<u8>)>,
}

impl FileSet {
    /// Read `dir`: for each part `STEM.csv` or `STEM.xlsx` (not both); a missing required part
    /// is refused.
    pub fn read_dir(dir: &Path) -> Result<FileSet> {
        let mut files = Vec::new();
        for part in Part::ALL {
            let found: Vec<String> = ["csv", "xlsx"]
                .iter()
                .map(|ext| format!("{}.{ext}", part.stem()))
                .filter(|n| dir.join(n).is_file())
                .collect();
            match found.as_slice() {
                [] if part.optional() => {}
                [] => {
                    return Err(AppError::Invalid(tongchou_core::tr!(
                        "app-mig-missing",
                        dir = dir.display(),
                        stem = part.stem()
                    )));
                }
                [one] => {
                    let bytes = std::fs::read(dir.join(one)).map_err(|e| {
                        AppError::Invalid(tongchou_core::tr!(
                            "app-mig-read",
                            dir = dir.display(),
                            file = one,
                            error = e
                        ))
                    })?;
                    files.push((part, one.clone(), bytes));
                }
                _ => {
                    return Err(AppError::Invalid(tongchou_core::tr!(
                        "app-mig-both-files",
                        dir = dir.display(),
                        files = found.join(" / ")
                    )));
                }
            }
        }
        Ok(FileSet { files })
    }

    /// A set from memory (tests, other callers): (part, file name, bytes).
    pub fn from_parts(files: Vec<(Part, String, Vec<u8>)>) -> FileSet {
        FileSet { files }
    }

    pub fn get(&self, part: Part) -> Option<(&str, &[u8])> {
        self.files
            .iter()
            .find(|f| f.0 == part)
            .map(|f| (f.1.as_str(), f.2.as_slice()))
    }

    /// The actual file name for a defect's `STEM.*` name (unchanged if not a part's).
    pub fn name_of(&self, name: &str) -> String {
        Part::ALL
            .iter()
            .find(|p| p.file_name() == name)
            .and_then(|p| self.get(*p))
            .map_or_else(|| name.to_string(), |(n, _)| n.to_string())
    }

    /// SHA-256 over the parts' own SHA-256s and names, in the parts' order (the parts hashed
    /// on threads of their own: the only pass of SHA-256 over a check's files).
    pub fn fingerprint(&self) -> String {
        let digests: Vec<(&str, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = Part::ALL
                .iter()
                .filter_map(|p| self.get(*p))
                .map(|(name, bytes)| (name, bytes, s.spawn(move || sha256_hex(bytes))))
                .collect();
            // a thread that failed: the part hashed again here
            handles
                .into_iter()
                .map(|(name, bytes, h)| (name, h.join().unwrap_or_else(|_| sha256_hex(bytes))))
                .collect()
        });
        let mut all = String::new();
        for (name, digest) in digests {
            all.push_str(&format!("{name}:{digest}\n"));
        }
        sha256_hex(all.as_bytes())
    }
}
