//! Channels that tell the runtime when they move a message.
//!
//! A task woken by another task and returning `Pending` without any visible progress looks,
//! to the spin detector, like one half of a livelock pair. These channels call
//! [`crate::task::progress`] whenever a message is sent or received, so message passing is
//! always counted as work. They are thin wrappers over `futures-channel`, shaped like
//! tokio's `sync::mpsc` and `sync::oneshot`. Differences from tokio: `mpsc::Sender::send`
//! takes `&mut self` (clone the sender to share it), and there is no `blocking_*` API.
pub mod mpsc;
pub mod oneshot;
