//! The admin room over HTTP.

mod backups;
mod console;
mod editor;
mod lifecycle;
mod ops;
mod panels;
mod requests;
mod rights;
mod sites;
