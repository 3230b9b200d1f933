//! The worker door over a real app.

mod jobs;
