//! Criterion: one chat `sendMessage` frame through each path (see
//! `openws_bench::frame`): bare serde, the hand-written limit, openws-rs.
//!
//! ```sh
//! cargo bench -p openws-bench --bench frame
//! ```

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use openws_bench::frame::{FramePath, FrameRunner};

fn per_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for path in FramePath::ALL {
        let mut runner = FrameRunner::new(path);
        group.bench_function(path.name(), |b| {
            b.iter_custom(|iterations| runner.run(iterations))
        });
    }
    group.finish();
}

criterion_group!(benches, per_frame);
criterion_main!(benches);
