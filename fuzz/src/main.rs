//! One libFuzzer binary for every target of `tongchou-fuzz`, chosen by `TONGCHOU_FUZZ_TARGET`
//! (`docs/FUZZING.md`). A single allocation above `TONGCHOU_FUZZ_ALLOC_MB` (256 MiB) aborts the
//! run as a crash, so a parser that asks for unbounded memory is found even before libFuzzer's
//! `-rss_limit_mb` notices.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Bounded;

static LIMIT: AtomicUsize = AtomicUsize::new(256 << 20);

unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT.load(Ordering::Relaxed) {
            // no allocation here: write the reason and abort (libFuzzer saves the input)
            let msg = b"tongchou-fuzz: single allocation above the limit\n";
            unsafe { libc_write(msg) };
            std::process::abort();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > LIMIT.load(Ordering::Relaxed) {
            let msg = b"tongchou-fuzz: single allocation above the limit\n";
            unsafe { libc_write(msg) };
            std::process::abort();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

unsafe fn libc_write(msg: &[u8]) {
    unsafe { write(2, msg.as_ptr(), msg.len()) };
}

#[global_allocator]
static ALLOC: Bounded = Bounded;

fn chosen() -> fn(&[u8]) {
    static RUN: OnceLock<fn(&[u8])> = OnceLock::new();
    *RUN.get_or_init(|| {
        if let Some(mb) = std::env::var("TONGCHOU_FUZZ_ALLOC_MB")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
        {
            LIMIT.store(mb << 20, Ordering::Relaxed);
        }
        let name = std::env::var("TONGCHOU_FUZZ_TARGET").unwrap_or_default();
        match tongchou_fuzz::target(&name) {
            Some(t) => t.run,
            None => {
                let names: Vec<&str> = tongchou_fuzz::TARGETS.iter().map(|t| t.name).collect();
                eprintln!("TONGCHOU_FUZZ_TARGET must be one of {}", names.join(", "));
                std::process::exit(2)
            }
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chosen()(data);
});
