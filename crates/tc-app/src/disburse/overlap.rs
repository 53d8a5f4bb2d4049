//! The bank files' CPU work beside the database work. The database server and this process share
//! the machine's cores: while one thread waits on the server, a worker thread renders, hashes,
//! stages or parses the next unit's bank files (`pay`: a county's payment files; `returns`: the
//! simulated bank's answer to a payment file).
//!
//! The calling thread reads each unit's input ([`Units::next`], with the database), the worker
//! turns it into an output (without the database), and the calling thread writes each output in
//! the order of the inputs ([`Units::apply`]). At most [`AHEAD`] units are between reading and
//! writing, so memory stays bounded whatever the month's size. The database's writes are those
//! and in the order of one thread doing it all (only reads move: the next units' inputs are read
//! before this one's output is written); what the worker writes (staged files, see `files`) is
//! discarded by the next run if the step does not commit.
//! An error of the worker is an output like any other, written (returned) in its turn; a
//! panicking worker becomes an error (`app-dis-bank-worker`), never a hang. The worker writes its
//! messages in the calling thread's language.

use crate::error::{AppError, Result};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use tongchou_core::i18n;
use tongchou_store::Db;

/// Units read ahead of the one being written: the worker prepares the next while the calling
/// thread writes one.
pub(super) const AHEAD: usize = 2;

/// The calling thread's side of a step's units.
pub(super) trait Units {
    /// A unit as read from the database.
    type In: Send;
    /// A unit ready to be written (may carry the worker's error).
    type Out: Send;
    /// The next unit's input, `None` at the end (after an input carrying an error too).
    fn next(&mut self, db: &mut Db) -> Option<Self::In>;
    /// Write one unit's output; an error stops the pass.
    fn apply(&mut self, db: &mut Db, output: Self::Out) -> Result<()>;
}

/// Why the calling thread stopped early.
enum Stop {
    Failed(AppError),
    /// The worker is gone without answering: it panicked.
    WorkerGone,
}

/// Run the pass over `units`: `work` on a worker thread, reading and writing on the calling
/// thread.
pub(super) fn run<U: Units>(
    db: &mut Db,
    units: &mut U,
    work: impl Fn(U::In) -> U::Out + Sync,
) -> Result<()> {
    let (in_tx, in_rx) = sync_channel::<U::In>(AHEAD);
    let (out_tx, out_rx) = sync_channel::<U::Out>(AHEAD);
    std::thread::scope(|s| {
        let work = &work;
        // the worker's messages in the calling thread's language (a web request's, say)
        let lang = i18n::current();
        let worker = s.spawn(move || {
            i18n::scope(lang, || {
                for input in in_rx {
                    if out_tx.send(work(input)).is_err() {
                        // the calling thread stopped: nothing more to do
                        return;
                    }
                }
            })
        });
        // `drive` takes both channel ends: when it returns, the worker sees its input closed (or
        // its output refused) and ends
        let r = drive(db, units, in_tx, out_rx);
        let joined = worker.join();
        match (r, joined) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(Stop::Failed(e)), _) => Err(e),
            (Ok(()), Err(_)) | (Err(Stop::WorkerGone), _) => {
                Err(AppError::Invalid(tongchou_core::tr!("app-dis-bank-worker")))
            }
        }
    })
}

/// The calling thread's part: keep the worker [`AHEAD`] units ahead, write the outputs in order.
fn drive<U: Units>(
    db: &mut Db,
    units: &mut U,
    in_tx: SyncSender<U::In>,
    out_rx: Receiver<U::Out>,
) -> std::result::Result<(), Stop> {
    let mut in_tx = Some(in_tx);
    let mut pending = 0usize;
    feed(db, units, &mut in_tx, &mut pending)?;
    while pending > 0 {
        let out = out_rx.recv().map_err(|_| Stop::WorkerGone)?;
        pending -= 1;
        // the worker prepares the next units while this one is written
        feed(db, units, &mut in_tx, &mut pending)?;
        units.apply(db, out).map_err(Stop::Failed)?;
    }
    Ok(())
}

/// Send inputs until [`AHEAD`] are with the worker or there are no more (then close its input).
fn feed<U: Units>(
    db: &mut Db,
    units: &mut U,
    in_tx: &mut Option<SyncSender<U::In>>,
    pending: &mut usize,
) -> std::result::Result<(), Stop> {
    while *pending < AHEAD {
        let Some(tx) = in_tx.as_ref() else {
            return Ok(());
        };
        match units.next(db) {
            Some(input) => {
                // never blocks for long: at most AHEAD units are in flight, the channel holds AHEAD
                tx.send(input).map_err(|_| Stop::WorkerGone)?;
                *pending += 1;
            }
            None => *in_tx = None,
        }
    }
    Ok(())
}
