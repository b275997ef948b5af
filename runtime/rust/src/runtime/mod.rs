//! The skelgen Rust runtime for loader ABI 2: the five syscalls of skelgen's
//! `docs/loader-abi.md`, the data views, maps, programs, links and errors. Everything that
//! needs `unsafe` is here, behind safe functions.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::ptr::NonNull;

include!("loader.rs");
include!("plain.rs");
include!("maps.rs");
include!("attach.rs");
#[cfg(feature = "buffers")]
include!("buffers.rs");
#[cfg(feature = "buffers")]
include!("records.rs");
#[cfg(feature = "struct_ops")]
include!("btf.rs");
#[cfg(feature = "struct_ops")]
include!("struct_ops.rs");
#[cfg(feature = "struct_ops")]
include!("struct_ops_load.rs");
#[cfg(feature = "uprobe")]
include!("elf.rs");
#[cfg(feature = "uprobe")]
include!("uprobe.rs");
#[cfg(feature = "kconfig")]
include!("kconfig.rs");
#[cfg(feature = "kconfig")]
include!("inflate.rs");

#[cfg(any(feature = "fuzzing", all(test, feature = "struct_ops")))]
pub mod fuzzing;
#[cfg(test)]
mod tests;
