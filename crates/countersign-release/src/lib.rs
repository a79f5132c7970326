//! Release control, as pure logic: what a trust policy says, what a release manifest binds, what an
//! approval means, how a bundle is verified offline, and when approvals go stale.
//!
//! No IO: the verifier is handed the bundle's bytes, the trusted policy's bytes, the content (if
//! any), the highest versions seen before, and the time. The workspace side (drafting, storing,
//! holding, releasing) lives in the façade.

pub mod build;
pub mod schema;
pub mod stale;
pub mod types;
pub mod verify;

pub use types::*;
