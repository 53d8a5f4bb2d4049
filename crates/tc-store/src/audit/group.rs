//! Group commit of audit entries: the entries of many concurrent reads chained and written in one
//! transaction.
//!
//! A read of personal data is answered only once its audit entry is durable. Written one at a
//! time, every entry is a transaction of its own (read the head, chain, insert, commit: one
//! `fsync` of the SQLite WAL, one WAL flush on PostgreSQL), and concurrent writers race for the
//! next `seq` and retry. The [`Writer`] is one thread with its own connection, fed through a
//! bounded queue: it takes every entry waiting (at most [`Options::max_batch`]), chains them in
//! queue order after the head, writes them in one transaction and then tells each submitter its
//! record. Nothing waits for a timer: while one batch commits the next one gathers, so a batch is
//! as large as the load makes it and a lone read waits for one commit. A full queue blocks the
//! submitter (back-pressure on the readers, never a dropped entry); a batch that fails is
//! reported to every submitter in it, whose reads are then refused. Entries appended by other
//! connections meanwhile ([`super::append`]: the command line, other handlers) are a lost race
//! that the batch's transaction retries after the new head, so the log stays one chain.

use super::{Deferred, Record, append_all_in_tx, retry};
use crate::{Db, Result, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::time::Instant;

/// Called on the writer's thread with the entry's record once it is durable, or the error that
/// kept it from being written.
pub type Done = Box<dyn FnOnce(Result<Record>) + Send>;

/// Where batches go: the audit log of a database ([`DbSink`]), or a stand-in in tests.
pub trait Sink: Send + 'static {
    /// Write `entries` durably, in this order, and return their records.
    fn write(&mut self, entries: &[Deferred]) -> Result<Vec<Record>>;
}

/// The audit log of the database at a URL, on a connection of the writer's own (opened again
/// after a failed batch).
pub struct DbSink {
    url: String,
    db: Option<Db>,
}

impl DbSink {
    pub fn new(url: &str) -> DbSink {
        DbSink {
            url: url.to_string(),
            db: None,
        }
    }
}

impl Sink for DbSink {
    fn write(&mut self, entries: &[Deferred]) -> Result<Vec<Record>> {
        let db = match &mut self.db {
            Some(db) => db,
            None => self.db.insert(Db::connect(&self.url)?),
        };
        let r = retry(db, 60, |db| append_all_in_tx(db, entries));
        if r.is_err() {
            self.db = None;
        }
        r
    }
}

/// How the writer batches.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Entries that may wait in the queue; a submitter blocks beyond this.
    pub capacity: usize,
    /// Entries written in one transaction at most.
    pub max_batch: usize,
    /// When the last batch had company (two entries or more: reads are arriving together), wait
    /// up to this long after a batch's first entry for more before committing — PostgreSQL's
    /// `commit_delay`. A lone read never waits. Zero: commit whatever is waiting at once. Each
    /// commit costs its WAL pages and `fsync`, and on SQLite empties every other connection's
    /// page cache: on a quiet machine the batches were 3 entries on average, 4,000 commits a
    /// second (docs/PERFORMANCE.md, 2026-12-06 night).
    pub gather: std::time::Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            capacity: 8192,
            max_batch: 1024,
            gather: std::time::Duration::ZERO,
        }
    }
}

/// The writer's counters (for the service's metrics).
#[derive(Debug, Default)]
pub struct Stats {
    queued: AtomicU64,
    batches: AtomicU64,
    written: AtomicU64,
    failed: AtomicU64,
    largest: AtomicU64,
}

impl Stats {
    /// Entries submitted and not yet written (or failed).
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }
    /// Transactions committed.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
    /// Entries written.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
    /// Entries whose batch failed.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
    /// The largest batch written.
    pub fn largest(&self) -> u64 {
        self.largest.load(Ordering::Relaxed)
    }
}

struct Job {
    entry: Deferred,
    done: Done,
}

/// The group-commit writer: one thread, a bounded queue. Dropping it writes what is queued and
/// waits for the thread.
pub struct Writer {
    tx: Option<SyncSender<Job>>,
    stats: Arc<Stats>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn stopped() -> StoreError {
    StoreError::Backend("the audit writer has stopped".into())
}

impl Writer {
    /// A writer into the audit log of the database at `url`.
    pub fn start(url: &str, opts: Options) -> Result<Writer> {
        Writer::with_sink(DbSink::new(url), opts)
    }

    /// A writer into any sink.
    pub fn with_sink(sink: impl Sink, opts: Options) -> Result<Writer> {
        let (tx, rx) = sync_channel(opts.capacity.max(1));
        let stats = Arc::new(Stats::default());
        let s = stats.clone();
        let thread = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(rx, sink, &s, opts))?;
        Ok(Writer {
            tx: Some(tx),
            stats,
            thread: Some(thread),
        })
    }

    /// Queue `entry`; `done` is called once it is durable or has failed. Blocks while the queue
    /// is full.
    pub fn submit(&self, entry: Deferred, done: Done) {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        let Some(tx) = &self.tx else {
            self.stats.queued.fetch_sub(1, Ordering::Relaxed);
            return done(Err(stopped()));
        };
        if let Err(std::sync::mpsc::SendError(job)) = tx.send(Job { entry, done }) {
            self.stats.queued.fetch_sub(1, Ordering::Relaxed);
            (job.done)(Err(stopped()));
        }
    }

    /// Queue `entry` without blocking: when the queue is full, `entry` and `done` come back to
    /// be queued with [`Writer::submit`] from a thread that may block.
    pub fn try_submit(
        &self,
        entry: Deferred,
        done: Done,
    ) -> std::result::Result<(), Box<(Deferred, Done)>> {
        use std::sync::mpsc::TrySendError;
        let Some(tx) = &self.tx else {
            done(Err(stopped()));
            return Ok(());
        };
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(Job { entry, done }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(job)) => {
                self.stats.queued.fetch_sub(1, Ordering::Relaxed);
                Err(Box::new((job.entry, job.done)))
            }
            Err(TrySendError::Disconnected(job)) => {
                self.stats.queued.fetch_sub(1, Ordering::Relaxed);
                (job.done)(Err(stopped()));
                Ok(())
            }
        }
    }

    /// Queue `entry` and wait until it is durable.
    pub fn append(&self, entry: Deferred) -> Result<Record> {
        let (tx, rx) = sync_channel(1);
        self.submit(
            entry,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv().map_err(|_| stopped())?
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A batch: `first`, whatever else is waiting, and, when `company` (the last batch had more
/// than one entry), what arrives within [`Options::gather`] of now; at most `max_batch`.
fn gather(rx: &Receiver<Job>, first: Job, opts: &Options, company: bool) -> Vec<Job> {
    let max = opts.max_batch.max(1);
    let until = (company && !opts.gather.is_zero()).then(|| Instant::now() + opts.gather);
    let mut jobs = vec![first];
    if !drain(rx, &mut jobs, max) {
        return jobs;
    }
    if let Some(until) = until {
        // The window is slept, not waited on the queue: a receiver waiting on the queue is
        // woken by every entry sent (a futex wake and two thread switches each), a sleeping one
        // by none. One sleep for the whole window (it was four quarters, so that a full batch
        // could end it early: at the person API's 16,000 reads a second a window gathers a few
        // dozen entries of the 1,024 a batch may hold, and each sleep is two thread switches).
        let left = until.saturating_duration_since(Instant::now());
        if !left.is_zero() && jobs.len() < max {
            std::thread::sleep(left);
            drain(rx, &mut jobs, max);
        }
    }
    jobs
}

/// Take what waits in the queue, up to `max` jobs in all; false once the senders are gone.
fn drain(rx: &Receiver<Job>, jobs: &mut Vec<Job>, max: usize) -> bool {
    while jobs.len() < max {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(TryRecvError::Disconnected) => return false,
            Err(TryRecvError::Empty) => return true,
        }
    }
    true
}

/// The writer's loop: a batch of whatever is waiting, written, then answered; until every
/// sender is gone and the queue is empty.
fn run(rx: Receiver<Job>, mut sink: impl Sink, stats: &Stats, opts: Options) {
    let mut last = 0;
    while let Ok(first) = rx.recv() {
        let jobs = gather(&rx, first, &opts, last > 1);
        last = jobs.len();
        let (entries, dones): (Vec<Deferred>, Vec<Done>) =
            jobs.into_iter().map(|j| (j.entry, j.done)).unzip();
        let n = entries.len() as u64;
        let written = sink.write(&entries).and_then(|recs| {
            if recs.len() == entries.len() {
                Ok(recs)
            } else {
                Err(StoreError::Invalid(
                    "audit sink: records do not match".into(),
                ))
            }
        });
        stats.queued.fetch_sub(n, Ordering::Relaxed);
        match written {
            Ok(recs) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.written.fetch_add(n, Ordering::Relaxed);
                stats.largest.fetch_max(n, Ordering::Relaxed);
                for (done, rec) in dones.into_iter().zip(recs) {
                    done(Ok(rec));
                }
            }
            Err(e) => {
                stats.failed.fetch_add(n, Ordering::Relaxed);
                let msg = format!("audit entries not written: {e}");
                for done in dones {
                    done(Err(StoreError::Backend(msg.clone())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, Entry, GENESIS, verify_audit_chain};
    use crate::testing;
    use std::sync::Mutex;
    use std::sync::mpsc::channel;

    fn entry(i: usize) -> Deferred {
        Deferred::of(
            &Entry {
                actor: &Actor::user(7, "reader"),
                action: "person.read",
                object_type: "person",
                object_id: &i.to_string(),
                region: Some(140105),
                result: "ok",
                details: serde_json::json!({"via": "test"}),
            },
            1_767_225_600_000 + i as i64,
        )
    }

    /// A sink that numbers entries like the log, records each batch's object ids, fails the
    /// batches it is told to, and holds its first batch until the test lets it go.
    struct Gated {
        batches: Arc<Mutex<Vec<Vec<String>>>>,
        entered: std::sync::mpsc::Sender<()>,
        gate: Option<Receiver<()>>,
        fail: Vec<usize>,
        seq: i64,
    }

    impl Sink for Gated {
        fn write(&mut self, entries: &[Deferred]) -> Result<Vec<Record>> {
            let _ = self.entered.send(());
            if let Some(g) = self.gate.take() {
                let _ = g.recv();
            }
            let mut b = self.batches.lock().expect("lock");
            b.push(entries.iter().map(|e| e.object_id.clone()).collect());
            if self.fail.contains(&b.len()) {
                return Err(StoreError::Backend("disk full".into()));
            }
            let alg = tongchou_crypto::HashAlg::Sha256;
            Ok(entries
                .iter()
                .map(|d| {
                    self.seq += 1;
                    super::super::chained(alg, self.seq, GENESIS, d, "t")
                })
                .collect())
        }
    }

    type Outcomes = std::sync::mpsc::Receiver<(usize, Result<Record>)>;

    type Batches = Arc<Mutex<Vec<Vec<String>>>>;

    /// A gated writer, the batches it saw, the "entered" signal, the gate and the outcomes.
    fn gated(
        max_batch: usize,
        fail: Vec<usize>,
    ) -> (Writer, Batches, Receiver<()>, std::sync::mpsc::Sender<()>) {
        let opts = Options {
            capacity: 100,
            max_batch,
            gather: std::time::Duration::ZERO,
        };
        gated_with(opts, fail)
    }

    fn gated_with(
        opts: Options,
        fail: Vec<usize>,
    ) -> (Writer, Batches, Receiver<()>, std::sync::mpsc::Sender<()>) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let (entered, entered_rx) = channel();
        let (open, gate) = channel();
        let sink = Gated {
            batches: batches.clone(),
            entered,
            gate: Some(gate),
            fail,
            seq: 0,
        };
        let w = Writer::with_sink(sink, opts).expect("writer");
        (w, batches, entered_rx, open)
    }

    fn submit_all(
        w: &Writer,
        range: std::ops::Range<usize>,
        out: &std::sync::mpsc::Sender<(usize, Result<Record>)>,
    ) {
        for i in range {
            let out = out.clone();
            w.submit(
                entry(i),
                Box::new(move |r| {
                    let _ = out.send((i, r));
                }),
            );
        }
    }

    fn outcomes(rx: &Outcomes, n: usize) -> Vec<(usize, Result<Record>)> {
        let mut v: Vec<_> = (0..n).map(|_| rx.recv().expect("outcome")).collect();
        v.sort_by_key(|(i, _)| *i);
        v
    }

    #[test]
    fn entries_gather_while_a_batch_commits_and_keep_their_order() {
        let (w, batches, entered, open) = gated(1024, vec![]);
        let (out, rx) = channel();
        submit_all(&w, 0..1, &out);
        entered.recv().expect("first batch started");
        submit_all(&w, 1..11, &out);
        assert_eq!(w.stats().queued(), 11);
        open.send(()).expect("open");
        let got = outcomes(&rx, 11);
        for (i, r) in &got {
            let rec = r.as_ref().expect("written");
            assert_eq!(rec.seq, *i as i64 + 1, "queue order is chain order");
            assert_eq!(rec.object_id, i.to_string());
        }
        let b = batches.lock().expect("lock").clone();
        let want: Vec<Vec<String>> = vec![
            vec!["0".into()],
            (1..11).map(|i: usize| i.to_string()).collect(),
        ];
        assert_eq!(b, want, "the ten that waited went in one batch");
        let s = w.stats().clone();
        drop(w);
        assert_eq!(
            (s.queued(), s.batches(), s.written(), s.largest()),
            (0, 2, 11, 10)
        );
    }

    #[test]
    fn with_company_a_batch_waits_for_entries_arriving_within_gather() {
        let opts = Options {
            capacity: 100,
            max_batch: 1024,
            gather: std::time::Duration::from_millis(500),
        };
        let (w, batches, entered, open) = gated_with(opts, vec![]);
        let (out, rx) = channel();
        submit_all(&w, 0..1, &out);
        entered.recv().expect("first batch started");
        submit_all(&w, 1..4, &out);
        open.send(()).expect("open");
        // a lone first entry did not wait; the three that waited went together
        assert_eq!(outcomes(&rx, 4).len(), 4);
        // the last batch had company: the next one waits for an entry 30 ms behind its first
        submit_all(&w, 4..5, &out);
        std::thread::sleep(std::time::Duration::from_millis(30));
        submit_all(&w, 5..6, &out);
        assert_eq!(outcomes(&rx, 2).len(), 2);
        drop(w);
        let b = batches.lock().expect("lock").clone();
        let ids = |v: &[usize]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        assert_eq!(b, vec![ids(&[0]), ids(&[1, 2, 3]), ids(&[4, 5])]);
    }

    #[test]
    fn a_batch_is_at_most_max_batch() {
        let (w, batches, entered, open) = gated(4, vec![]);
        let (out, rx) = channel();
        submit_all(&w, 0..1, &out);
        entered.recv().expect("first batch started");
        submit_all(&w, 1..11, &out);
        open.send(()).expect("open");
        assert!(outcomes(&rx, 11).iter().all(|(_, r)| r.is_ok()));
        let sizes: Vec<usize> = batches.lock().expect("lock").iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![1, 4, 4, 2]);
    }

    #[test]
    fn a_failed_batch_fails_each_of_its_entries_and_the_next_one_is_written() {
        let (w, _, entered, open) = gated(1024, vec![2]);
        let (out, rx) = channel();
        submit_all(&w, 0..1, &out);
        entered.recv().expect("first batch started");
        submit_all(&w, 1..4, &out);
        open.send(()).expect("open");
        let got = outcomes(&rx, 4);
        assert!(got[0].1.is_ok());
        for (_, r) in &got[1..] {
            let e = r.as_ref().expect_err("the second batch failed");
            assert!(e.to_string().contains("disk full"), "{e}");
        }
        submit_all(&w, 4..5, &out);
        assert!(outcomes(&rx, 1)[0].1.is_ok());
        assert_eq!((w.stats().failed(), w.stats().written()), (3, 2));
    }

    #[test]
    fn a_full_queue_gives_the_entry_back_to_try_submit() {
        let opts = Options {
            capacity: 2,
            max_batch: 1024,
            gather: std::time::Duration::ZERO,
        };
        let (w, _, entered_rx, open) = gated_with(opts, vec![]);
        let (out, rx) = channel();
        submit_all(&w, 0..1, &out);
        entered_rx.recv().expect("first batch started");
        submit_all(&w, 1..3, &out);
        let back = w.try_submit(entry(3), Box::new(|_| {}));
        let (e, _) = *back.expect_err("the queue of two is full");
        assert_eq!(e.object_id, "3");
        assert_eq!(w.stats().queued(), 3);
        open.send(()).expect("open");
        assert_eq!(outcomes(&rx, 3).len(), 3);
        let out2 = out.clone();
        let sent = w.try_submit(entry(4), Box::new(move |r| drop(out2.send((4, r)))));
        assert!(sent.is_ok());
        assert!(outcomes(&rx, 1)[0].1.is_ok());
    }

    #[test]
    fn dropping_the_writer_writes_what_is_queued() {
        let (w, batches, entered, open) = gated(1024, vec![]);
        let (out, rx) = channel();
        submit_all(&w, 0..5, &out);
        entered.recv().expect("first batch started");
        open.send(()).expect("open");
        drop(w);
        assert_eq!(outcomes(&rx, 5).len(), 5);
        let n: usize = batches.lock().expect("lock").iter().map(Vec::len).sum();
        assert_eq!(n, 5);
    }

    /// Readers through the writer and a direct appender on another connection: one chain, each
    /// entry once.
    fn one_chain(url: &str) {
        Db::open(url).expect("migrate");
        let w = Arc::new(Writer::start(url, Options::default()).expect("writer"));
        let readers: Vec<_> = (0..4)
            .map(|t| {
                let w = w.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let r = w.append(entry(t * 100 + i)).expect("durable");
                        assert!(r.seq >= 1);
                    }
                })
            })
            .collect();
        let mut db = Db::connect(url).expect("connect");
        for i in 0..20 {
            crate::audit::append(&mut db, &entry(1000 + i).entry(), 1_767_225_600_000)
                .expect("direct append");
        }
        for r in readers {
            r.join().expect("join");
        }
        let v = verify_audit_chain(&mut db).expect("verify");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.entries, 220);
        assert_eq!(w.stats().written(), 200);
    }

    #[test]
    fn sqlite_group_commit_keeps_one_chain() {
        one_chain(&testing::sqlite_url("audit_group"));
    }

    #[test]
    fn postgres_group_commit_keeps_one_chain() {
        one_chain(&testing::pg_url("audit_group"));
    }
}
