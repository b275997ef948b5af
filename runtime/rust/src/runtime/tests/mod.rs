//! Unit tests of the runtime's parsers and of what it writes, none of which needs a kernel.

mod loader;
mod plain;

#[cfg(feature = "struct_ops")]
mod btf;
#[cfg(feature = "buffers")]
mod buffers;
#[cfg(feature = "uprobe")]
mod elf;
#[cfg(feature = "kconfig")]
mod inflate;
#[cfg(feature = "kconfig")]
mod kconfig;
