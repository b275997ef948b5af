//! Numbers from the kernel's UAPI (`include/uapi/linux/bpf.h`) that the IR and the loader need.
//!
//! Each enum keeps the kernel's numeric value as its discriminant so the loader can write it into
//! a `bpf_attr` directly, and serialises as the kernel's own constant name so the IR reads like
//! the UAPI.

use serde::{Deserialize, Serialize};

macro_rules! uapi_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:expr => $cname:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[repr(u32)]
        pub enum $name {
            $(
                #[doc = $cname]
                #[serde(rename = $cname)]
                $variant = $value,
            )*
        }

        impl $name {
            /// The kernel's name for this value, as spelled in `bpf.h`.
            pub fn c_name(self) -> &'static str {
                match self { $(Self::$variant => $cname,)* }
            }

            /// The value for a raw number, if the UAPI defines one.
            pub fn from_raw(raw: u32) -> Option<Self> {
                match raw { $($value => Some(Self::$variant),)* _ => None }
            }

            /// The raw number the kernel expects.
            pub fn raw(self) -> u32 {
                self as u32
            }
        }
    };
}

uapi_enum! {
    /// `enum bpf_prog_type`.
    ProgType {
        Unspec = 0 => "BPF_PROG_TYPE_UNSPEC",
    }
}

uapi_enum! {
    /// `enum bpf_attach_type`.
    AttachType {
        CgroupInetIngress = 0 => "BPF_CGROUP_INET_INGRESS",
    }
}

uapi_enum! {
    /// `enum bpf_map_type`.
    MapType {
        Unspec = 0 => "BPF_MAP_TYPE_UNSPEC",
    }
}
