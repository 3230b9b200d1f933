//! The accounts room: a user's own records after real sync cycles.

mod self_service;
