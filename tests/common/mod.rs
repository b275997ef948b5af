//! What several integration tests share.
// Each test crate uses a different part of these modules.
#![allow(dead_code)]

pub mod faults;
pub mod tcpca;
