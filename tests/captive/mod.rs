//! The captive room: sign-in end to end, and the trust boundary it keeps on the open internet.

mod boundary;
mod limits;
mod sign_in;
mod sites;
