//! A face check's photos read (and fitted, with `--fit-photos`) on every core while phase 1
//! judges the rows before them.
//!
//! Fitting a 12 MP phone photo takes a core 0.2–0.4 s; one at a time, a file of 10,000 faces
//! would spend most of an hour in phase 1 on one core. [`PhotoLoader`] runs the loads on one
//! worker thread per core; [`crate::Rows`] reads at most [`PhotoLoader::ahead`] rows ahead
//! of the row it judges and takes their photos in row order, so memory stays bounded: each
//! worker holds the one photo it is decoding, each row read ahead at most its photo as sent.

use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use idcheck_core::{FaceImage, FaceImageParser};

/// A photo as phase 1 judges it: the photo, or the reason its row is rejected.
pub(crate) type PhotoOutcome = Result<FaceImage, String>;

/// A photo being loaded: its outcome, once a worker has it.
pub(crate) struct PendingPhoto(Receiver<PhotoOutcome>);

impl PendingPhoto {
    /// Waits for the photo.
    pub(crate) fn wait(self) -> PhotoOutcome {
        self.0
            .recv()
            .unwrap_or_else(|_| Err(DECODER_FAILED.to_owned()))
    }
}

/// A row's reason when the decoder stopped on a file (a panic inside an image library: its
/// message could hold the file's bytes, and is not part of the reason; the CLI's panic report
/// says only where it happened).
const DECODER_FAILED: &str = "photo: the file could not be decoded (the image decoder failed)";

struct Job {
    cell: String,
    reply: SyncSender<PhotoOutcome>,
}

/// Decoding a photo may take up to about 1.5 GB (a 64-megapixel 16-bit PNG): no more
/// workers than this, however many cores.
const MAX_WORKERS: usize = 8;

/// Worker threads, one per core (at most [`MAX_WORKERS`]), started with the first photo.
pub(crate) struct PhotoLoader {
    parser: FaceImageParser,
    base_dir: Arc<PathBuf>,
    threads: usize,
    started: bool,
    jobs: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    /// Set when phase 1 stops early: photos still queued are not loaded.
    cancelled: Arc<AtomicBool>,
}

impl PhotoLoader {
    pub(crate) fn new(parser: FaceImageParser, base_dir: PathBuf) -> Self {
        let threads = std::thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .min(MAX_WORKERS);
        Self {
            parser,
            base_dir: Arc::new(base_dir),
            threads,
            started: false,
            jobs: None,
            workers: Vec::new(),
            cancelled: Arc::default(),
        }
    }

    /// How many rows may be read ahead of the one judged: enough to keep every worker busy
    /// while a slow photo holds the head of the queue.
    pub(crate) fn ahead(&self) -> usize {
        (self.threads * 4).max(8)
    }

    /// Starts loading the photo named by `cell` (a path relative to the file's directory,
    /// or a URL).
    pub(crate) fn load(&mut self, cell: String) -> PendingPhoto {
        if !self.started {
            self.started = true;
            self.start();
        }
        let (reply, outcome) = sync_channel(1);
        let job = Job { cell, reply };
        let unsent = match &self.jobs {
            Some(jobs) => jobs.send(job).err().map(|unsent| unsent.0),
            None => Some(job),
        };
        if let Some(job) = unsent {
            // No worker could be started: loaded here, in row order all the same.
            run(&self.parser, &self.base_dir, job);
        }
        PendingPhoto(outcome)
    }

    /// Loads the photo named by `cell` on this thread.
    pub(crate) fn load_here(&self, cell: &str) -> PhotoOutcome {
        load(&self.parser, &self.base_dir, cell)
    }

    fn start(&mut self) {
        let (jobs, queue) = sync_channel::<Job>(self.ahead());
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..self.threads {
            let queue = Arc::clone(&queue);
            let parser = self.parser;
            let base_dir = Arc::clone(&self.base_dir);
            let cancelled = Arc::clone(&self.cancelled);
            let spawned = std::thread::Builder::new()
                .name(format!("idcheck-photo-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only to take a job, never while loading it.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(_) if cancelled.load(Ordering::Relaxed) => {}
                            Ok(job) => run(&parser, &base_dir, job),
                            Err(_) => return,
                        }
                    }
                });
            if let Ok(worker) = spawned {
                self.workers.push(worker);
            }
        }
        if !self.workers.is_empty() {
            self.jobs = Some(jobs);
        }
    }
}

impl Drop for PhotoLoader {
    fn drop(&mut self) {
        // The workers finish the photo in hand, skip those queued, and see the queue closed.
        self.cancelled.store(true, Ordering::Relaxed);
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn run(parser: &FaceImageParser, base_dir: &std::path::Path, job: Job) {
    let Job { cell, reply } = job;
    // The row may have been dropped (phase 1 stopped): nobody waits for it.
    let _ = reply.send(load(parser, base_dir, &cell));
}

fn load(parser: &FaceImageParser, base_dir: &std::path::Path, cell: &str) -> PhotoOutcome {
    catch_unwind(AssertUnwindSafe(|| {
        crate::scan::parse_photo(cell, parser, base_dir)
    }))
    .unwrap_or_else(|_| Err(DECODER_FAILED.to_owned()))
}
