//! Externs: values that only the target kernel can supply.

use serde::{Deserialize, Serialize};

/// One `extern` declared in the object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternSpec {
    /// Symbol name (`CONFIG_HZ`, `bpf_map_sum_elem_count`, `bpf_prog_active`).
    pub name: String,
    /// Declared `__weak`: a missing symbol resolves to zero instead of failing the load.
    pub weak: bool,
    /// What kind of extern it is.
    pub kind: ExternKind,
}

/// The kinds of extern libbpf supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ExternKind {
    /// A `.kconfig` value placed in the kconfig map at `offset`.
    Kconfig {
        /// Byte offset in the `.kconfig` map value.
        offset: u32,
        /// Size in bytes.
        size: u32,
        /// How the configuration text is converted into bytes.
        value: KconfigKind,
    },
    /// A kernel function called from a program (`bpf_kfunc`), found by BTF name on the target.
    Kfunc {
        /// BTF id of the `FUNC_PROTO` in the object's BTF (for documentation and checks).
        proto_btf_id: u32,
    },
    /// A typed kernel variable (`extern const struct rq runqueues __ksym`), found by BTF name.
    KsymTyped {
        /// BTF id of the variable's type in the object's BTF.
        type_btf_id: u32,
    },
    /// A typeless kernel symbol (`extern const void x __ksym`), found by address via kallsyms.
    KsymTypeless,
}

/// How a `.kconfig` extern is encoded, following libbpf's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KconfigKind {
    /// `bool`: y/m → 1, n → 0.
    Bool,
    /// `enum libbpf_tristate`: y → 1, m → 2, n → 0.
    Tristate,
    /// A single `char`: the option's first character (`y`, `m`, `n`).
    Char,
    /// Character array: a quoted string value.
    CharArray,
    /// Integer of `size` bytes, signed or not.
    Int {
        /// Whether the integer is signed.
        signed: bool,
    },
    /// `LINUX_KERNEL_VERSION`: `KERNEL_VERSION(a, b, c)` of the running kernel.
    KernelVersion,
    /// `LINUX_HAS_BPF_COOKIE`, `LINUX_HAS_SYSCALL_WRAPPER`: libbpf's own feature flags.
    LibbpfFeature,
}
