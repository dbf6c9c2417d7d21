//! A harness for the fuzz targets in `engine/fuzz`: loads a script once, then drives arbitrary
//! bytes through its pipeline named `fuzz` as Data events, the way a connection would, with the
//! real filters and the real script runtime. Not part of the engine's API.

use std::rc::Rc;

use bytes::Bytes;

use crate::event::{Event, StreamEnd};
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};

/// Loads script text as the entry module of a throw-away codebase in `dir` with the engine's
/// full set of natives, returning its graph (see `loader::check_source`).
pub fn check_source(dir: &std::path::Path, src: &[u8]) -> Result<Vec<String>, String> {
    crate::loader::check_source(dir, src, crate::worker::script_natives)
}

/// A loaded script whose `fuzz` pipeline is fed input after input.
pub struct FilterHarness {
    layout: Rc<PipelineLayout>,
    runtime: tokio::runtime::Runtime,
    local: tokio::task::LocalSet,
    settle: usize,
    _program: crate::loader::Program,
}

impl FilterHarness {
    /// Loads `script` (codebase `/main.js` in a scratch folder); it must declare a pipeline
    /// named `fuzz`. One harness per thread: it owns the thread's script runtime.
    pub fn new(script: &str) -> Result<FilterHarness, String> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("sluice-fuzz-harness-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let file = dir.join("main.js");
        std::fs::write(&file, script).map_err(|e| e.to_string())?;
        let codebase = Rc::new(crate::codebase::Codebase::open(&file)?);
        crate::script::Script::install(codebase, crate::worker::script_natives)
            .map_err(|e| e.to_string())?;
        let loaded = crate::loader::load("/main.js", &[]).and_then(|program| {
            let layout = program.layouts.iter().find(|l| l.name == "fuzz").cloned();
            layout
                .map(|l| (program, l))
                .ok_or_else(|| "the script declares no pipeline named fuzz".to_string())
        });
        let (program, layout) = match loaded {
            Ok(x) => x,
            Err(e) => {
                crate::script::leak();
                return Err(e);
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(FilterHarness {
            layout,
            runtime,
            local: tokio::task::LocalSet::new(),
            settle: 1,
            _program: program,
        })
    }

    /// Lets the tasks a pipeline started run `yields` turns after each input instead of one:
    /// for filters that hand their work to tasks (the HTTP/2 server runs a connection task
    /// and a task per stream).
    pub fn settle(mut self, yields: usize) -> FilterHarness {
        self.settle = yields.max(1);
        self
    }

    /// Feeds a fuzzer's input: its first byte picks the chunk size (1 to 64 bytes), the rest
    /// is the stream.
    pub fn feed_fuzz_input(&self, data: &[u8]) -> usize {
        match data.split_first() {
            Some((c, rest)) => self.feed(rest, usize::from(*c % 64) + 1),
            None => self.feed(data, 1),
        }
    }

    /// Feeds `input` to a new pipeline in chunks of `chunk` bytes (at least 1), then the end
    /// of the stream, and lets the tasks it started run once. Returns the number of events
    /// the pipeline output.
    pub fn feed(&self, input: &[u8], chunk: usize) -> usize {
        let layout = self.layout.clone();
        let settle = self.settle;
        let input = Bytes::copy_from_slice(input);
        self.local.block_on(&self.runtime, async move {
            let count = Rc::new(std::cell::Cell::new(0usize));
            let seen = count.clone();
            let output = Output::from_fn(move |_evt| seen.set(seen.get() + 1));
            let pipeline = Pipeline::new(&layout, Context::root(None), output);
            pipeline.start(|_| Vec::new());
            let mut at = 0;
            while at < input.len() {
                let end = (at + chunk.max(1)).min(input.len());
                pipeline.input(Event::Data(input.slice(at..end)));
                at = end;
            }
            pipeline.input(StreamEnd::ok());
            for _ in 0..settle {
                tokio::task::yield_now().await;
            }
            drop(pipeline);
            count.get()
        })
    }
}

impl Drop for FilterHarness {
    fn drop(&mut self) {
        // Values the pipelines left in cycles must not outlive the runtime: keep it, as the
        // worker does at exit.
        crate::script::leak();
    }
}

#[cfg(test)]
mod tests {
    use super::FilterHarness;

    #[test]
    fn the_harness_feeds_a_real_decoder_in_chunks() {
        let h = FilterHarness::new("pipy().pipeline('fuzz').decodeNetlink().encodeNetlink()")
            .expect("loads");
        // One 20-byte message (header in host order, 4-byte payload): MessageStart, Data,
        // MessageEnd and StreamEnd come out whatever the chunk size.
        let mut m = Vec::new();
        m.extend_from_slice(&20u32.to_ne_bytes());
        m.extend_from_slice(&[16, 0, 2, 0, 1, 0, 0, 0, 42, 0, 0, 0]);
        m.extend_from_slice(b"abcd");
        for chunk in [1, 3, 64] {
            assert!(h.feed(&m, chunk) >= 3, "chunk {chunk}");
        }
        // Garbage ends the stream without a panic.
        assert!(h.feed(&[0xff; 7], 2) >= 1);
    }

    #[test]
    fn a_script_without_a_fuzz_pipeline_is_refused() {
        let e = FilterHarness::new("pipy()").err().expect("refused");
        assert!(e.contains("no pipeline named fuzz"), "{e}");
    }
}
