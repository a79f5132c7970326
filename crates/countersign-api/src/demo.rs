//! The demo workspace (filled in below).
use std::path::Path;

use crate::{Deps, Result};

/// What the demo made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoSummary {
    /// The workspace directory.
    pub workspace: String,
    /// The packet id.
    pub packet: String,
    /// The passphrase every demo identity's key is sealed with.
    pub passphrase: String,
}

/// Build the demo in `dir`, which must be empty or missing.
pub fn build(dir: &Path, deps: Deps) -> Result<DemoSummary> {
    let _ = (dir, deps);
    todo!()
}
