//! Field protection in bulk writes ([`Db::bulk_insert_protected`]): with a keyring, the ID
//! numbers and bank accounts of a batch of rows are sealed (SM4-GCM / AES-256-GCM envelopes) or
//! turned into their blind index in parallel (rayon), 4,096 rows at a time, before the rows go
//! to the backend's sink. Without a keyring the rows go through unchanged.

use crate::keys::{ID_NUMBER, Keyring};
use crate::{Db, OwnedVal, Result, RowSink, Val};
use rayon::prelude::*;

/// What a column of a bulk write holds when the process has a master key.
#[derive(Clone, Copy, Debug)]
pub enum Protect {
    /// An envelope sealed with the column's name (`table.column`) as associated data.
    Seal(&'static str),
    /// The blind index of an ID number (a lookup column).
    Lookup,
}

const BATCH: usize = 4096;

struct Protecting<'s, 'r> {
    inner: &'s mut dyn RowSink,
    ring: &'r Keyring,
    protect: &'r [(usize, Protect)],
    rows: Vec<Vec<OwnedVal>>,
}

fn owned(v: &Val<'_>) -> OwnedVal {
    match v {
        Val::Null => OwnedVal::Null,
        Val::I64(x) => OwnedVal::I64(*x),
        Val::Str(s) => OwnedVal::Str((*s).to_string()),
    }
}

fn borrowed(v: &OwnedVal) -> Val<'_> {
    match v {
        OwnedVal::Null => Val::Null,
        OwnedVal::I64(x) => Val::I64(*x),
        OwnedVal::Str(s) => Val::Str(s),
    }
}

/// The protected form of one value.
pub(crate) fn protected(ring: &Keyring, p: Protect, plain: &str) -> Result<String> {
    match p {
        Protect::Seal(column) => ring.encrypt(column, plain),
        Protect::Lookup => Ok(ring.lookup(ID_NUMBER, plain)),
    }
}

impl Protecting<'_, '_> {
    fn flush(&mut self) -> Result<()> {
        let (ring, protect) = (self.ring, self.protect);
        self.rows.par_iter_mut().try_for_each(|row| {
            for &(i, p) in protect {
                if let Some(OwnedVal::Str(s)) = row.get(i) {
                    let v = protected(ring, p, s)?;
                    row[i] = OwnedVal::Str(v);
                }
            }
            Ok::<_, crate::StoreError>(())
        })?;
        for row in self.rows.drain(..) {
            let vals: Vec<Val<'_>> = row.iter().map(borrowed).collect();
            self.inner.row(&vals)?;
        }
        Ok(())
    }
}

impl RowSink for Protecting<'_, '_> {
    fn row(&mut self, vals: &[Val<'_>]) -> Result<()> {
        self.rows.push(vals.iter().map(owned).collect());
        if self.rows.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }
}

impl Db {
    /// [`Db::bulk_insert`] with the columns of `protect` (by position) sealed or blind-indexed
    /// when the connection has a keyring.
    pub fn bulk_insert_protected(
        &mut self,
        table: &str,
        columns: &[&str],
        protect: &[(usize, Protect)],
        fill: &mut dyn FnMut(&mut dyn RowSink) -> Result<()>,
    ) -> Result<u64> {
        crate::keys::refresh(self)?;
        let Some(ring) = self.keyring.clone() else {
            return self.bulk_insert(table, columns, fill);
        };
        self.bulk_insert(table, columns, &mut |sink| {
            let mut p = Protecting {
                inner: sink,
                ring: &ring,
                protect,
                rows: Vec::with_capacity(BATCH),
            };
            fill(&mut p)?;
            p.flush()
        })
    }
}
