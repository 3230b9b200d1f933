//! RADIUS mode (issue 34): the endpoints FreeRADIUS's rest module calls, and FreeRADIUS itself
//! (Debian's, started by the test) in front of them, driven by `radclient`.

mod disconnect;
mod endpoints;
mod freeradius;
