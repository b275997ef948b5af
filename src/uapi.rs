//! Numbers from the kernel's UAPI (`include/uapi/linux/bpf.h`) that the IR, the loader and
//! the runtimes need.
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
        SocketFilter = 1 => "BPF_PROG_TYPE_SOCKET_FILTER",
        Kprobe = 2 => "BPF_PROG_TYPE_KPROBE",
        SchedCls = 3 => "BPF_PROG_TYPE_SCHED_CLS",
        SchedAct = 4 => "BPF_PROG_TYPE_SCHED_ACT",
        Tracepoint = 5 => "BPF_PROG_TYPE_TRACEPOINT",
        Xdp = 6 => "BPF_PROG_TYPE_XDP",
        PerfEvent = 7 => "BPF_PROG_TYPE_PERF_EVENT",
        CgroupSkb = 8 => "BPF_PROG_TYPE_CGROUP_SKB",
        CgroupSock = 9 => "BPF_PROG_TYPE_CGROUP_SOCK",
        LwtIn = 10 => "BPF_PROG_TYPE_LWT_IN",
        LwtOut = 11 => "BPF_PROG_TYPE_LWT_OUT",
        LwtXmit = 12 => "BPF_PROG_TYPE_LWT_XMIT",
        SockOps = 13 => "BPF_PROG_TYPE_SOCK_OPS",
        SkSkb = 14 => "BPF_PROG_TYPE_SK_SKB",
        CgroupDevice = 15 => "BPF_PROG_TYPE_CGROUP_DEVICE",
        SkMsg = 16 => "BPF_PROG_TYPE_SK_MSG",
        RawTracepoint = 17 => "BPF_PROG_TYPE_RAW_TRACEPOINT",
        CgroupSockAddr = 18 => "BPF_PROG_TYPE_CGROUP_SOCK_ADDR",
        LwtSeg6local = 19 => "BPF_PROG_TYPE_LWT_SEG6LOCAL",
        LircMode2 = 20 => "BPF_PROG_TYPE_LIRC_MODE2",
        SkReuseport = 21 => "BPF_PROG_TYPE_SK_REUSEPORT",
        FlowDissector = 22 => "BPF_PROG_TYPE_FLOW_DISSECTOR",
        CgroupSysctl = 23 => "BPF_PROG_TYPE_CGROUP_SYSCTL",
        RawTracepointWritable = 24 => "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
        CgroupSockopt = 25 => "BPF_PROG_TYPE_CGROUP_SOCKOPT",
        Tracing = 26 => "BPF_PROG_TYPE_TRACING",
        StructOps = 27 => "BPF_PROG_TYPE_STRUCT_OPS",
        Ext = 28 => "BPF_PROG_TYPE_EXT",
        Lsm = 29 => "BPF_PROG_TYPE_LSM",
        SkLookup = 30 => "BPF_PROG_TYPE_SK_LOOKUP",
        Syscall = 31 => "BPF_PROG_TYPE_SYSCALL",
        Netfilter = 32 => "BPF_PROG_TYPE_NETFILTER",
    }
}

uapi_enum! {
    /// `enum bpf_attach_type`.
    ///
    /// `BPF_TRACE_FSESSION` is the newest value (Linux 7.0); older kernels reject it.
    AttachType {
        CgroupInetIngress = 0 => "BPF_CGROUP_INET_INGRESS",
        CgroupInetEgress = 1 => "BPF_CGROUP_INET_EGRESS",
        CgroupInetSockCreate = 2 => "BPF_CGROUP_INET_SOCK_CREATE",
        CgroupSockOps = 3 => "BPF_CGROUP_SOCK_OPS",
        SkSkbStreamParser = 4 => "BPF_SK_SKB_STREAM_PARSER",
        SkSkbStreamVerdict = 5 => "BPF_SK_SKB_STREAM_VERDICT",
        CgroupDevice = 6 => "BPF_CGROUP_DEVICE",
        SkMsgVerdict = 7 => "BPF_SK_MSG_VERDICT",
        CgroupInet4Bind = 8 => "BPF_CGROUP_INET4_BIND",
        CgroupInet6Bind = 9 => "BPF_CGROUP_INET6_BIND",
        CgroupInet4Connect = 10 => "BPF_CGROUP_INET4_CONNECT",
        CgroupInet6Connect = 11 => "BPF_CGROUP_INET6_CONNECT",
        CgroupInet4PostBind = 12 => "BPF_CGROUP_INET4_POST_BIND",
        CgroupInet6PostBind = 13 => "BPF_CGROUP_INET6_POST_BIND",
        CgroupUdp4Sendmsg = 14 => "BPF_CGROUP_UDP4_SENDMSG",
        CgroupUdp6Sendmsg = 15 => "BPF_CGROUP_UDP6_SENDMSG",
        LircMode2 = 16 => "BPF_LIRC_MODE2",
        FlowDissector = 17 => "BPF_FLOW_DISSECTOR",
        CgroupSysctl = 18 => "BPF_CGROUP_SYSCTL",
        CgroupUdp4Recvmsg = 19 => "BPF_CGROUP_UDP4_RECVMSG",
        CgroupUdp6Recvmsg = 20 => "BPF_CGROUP_UDP6_RECVMSG",
        CgroupGetsockopt = 21 => "BPF_CGROUP_GETSOCKOPT",
        CgroupSetsockopt = 22 => "BPF_CGROUP_SETSOCKOPT",
        TraceRawTp = 23 => "BPF_TRACE_RAW_TP",
        TraceFentry = 24 => "BPF_TRACE_FENTRY",
        TraceFexit = 25 => "BPF_TRACE_FEXIT",
        ModifyReturn = 26 => "BPF_MODIFY_RETURN",
        LsmMac = 27 => "BPF_LSM_MAC",
        TraceIter = 28 => "BPF_TRACE_ITER",
        CgroupInet4Getpeername = 29 => "BPF_CGROUP_INET4_GETPEERNAME",
        CgroupInet6Getpeername = 30 => "BPF_CGROUP_INET6_GETPEERNAME",
        CgroupInet4Getsockname = 31 => "BPF_CGROUP_INET4_GETSOCKNAME",
        CgroupInet6Getsockname = 32 => "BPF_CGROUP_INET6_GETSOCKNAME",
        XdpDevmap = 33 => "BPF_XDP_DEVMAP",
        CgroupInetSockRelease = 34 => "BPF_CGROUP_INET_SOCK_RELEASE",
        XdpCpumap = 35 => "BPF_XDP_CPUMAP",
        SkLookup = 36 => "BPF_SK_LOOKUP",
        Xdp = 37 => "BPF_XDP",
        SkSkbVerdict = 38 => "BPF_SK_SKB_VERDICT",
        SkReuseportSelect = 39 => "BPF_SK_REUSEPORT_SELECT",
        SkReuseportSelectOrMigrate = 40 => "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE",
        PerfEvent = 41 => "BPF_PERF_EVENT",
        TraceKprobeMulti = 42 => "BPF_TRACE_KPROBE_MULTI",
        LsmCgroup = 43 => "BPF_LSM_CGROUP",
        StructOps = 44 => "BPF_STRUCT_OPS",
        Netfilter = 45 => "BPF_NETFILTER",
        TcxIngress = 46 => "BPF_TCX_INGRESS",
        TcxEgress = 47 => "BPF_TCX_EGRESS",
        TraceUprobeMulti = 48 => "BPF_TRACE_UPROBE_MULTI",
        CgroupUnixConnect = 49 => "BPF_CGROUP_UNIX_CONNECT",
        CgroupUnixSendmsg = 50 => "BPF_CGROUP_UNIX_SENDMSG",
        CgroupUnixRecvmsg = 51 => "BPF_CGROUP_UNIX_RECVMSG",
        CgroupUnixGetpeername = 52 => "BPF_CGROUP_UNIX_GETPEERNAME",
        CgroupUnixGetsockname = 53 => "BPF_CGROUP_UNIX_GETSOCKNAME",
        NetkitPrimary = 54 => "BPF_NETKIT_PRIMARY",
        NetkitPeer = 55 => "BPF_NETKIT_PEER",
        TraceKprobeSession = 56 => "BPF_TRACE_KPROBE_SESSION",
        TraceUprobeSession = 57 => "BPF_TRACE_UPROBE_SESSION",
        TraceFsession = 58 => "BPF_TRACE_FSESSION",
    }
}

uapi_enum! {
    /// `enum bpf_map_type`.
    ///
    /// Value 19 is spelled `BPF_MAP_TYPE_CGROUP_STORAGE` here; newer headers also call it
    /// `BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED` (and 21 `..._PERCPU_CGROUP_STORAGE_DEPRECATED`).
    MapType {
        Unspec = 0 => "BPF_MAP_TYPE_UNSPEC",
        Hash = 1 => "BPF_MAP_TYPE_HASH",
        Array = 2 => "BPF_MAP_TYPE_ARRAY",
        ProgArray = 3 => "BPF_MAP_TYPE_PROG_ARRAY",
        PerfEventArray = 4 => "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
        PercpuHash = 5 => "BPF_MAP_TYPE_PERCPU_HASH",
        PercpuArray = 6 => "BPF_MAP_TYPE_PERCPU_ARRAY",
        StackTrace = 7 => "BPF_MAP_TYPE_STACK_TRACE",
        CgroupArray = 8 => "BPF_MAP_TYPE_CGROUP_ARRAY",
        LruHash = 9 => "BPF_MAP_TYPE_LRU_HASH",
        LruPercpuHash = 10 => "BPF_MAP_TYPE_LRU_PERCPU_HASH",
        LpmTrie = 11 => "BPF_MAP_TYPE_LPM_TRIE",
        ArrayOfMaps = 12 => "BPF_MAP_TYPE_ARRAY_OF_MAPS",
        HashOfMaps = 13 => "BPF_MAP_TYPE_HASH_OF_MAPS",
        Devmap = 14 => "BPF_MAP_TYPE_DEVMAP",
        Sockmap = 15 => "BPF_MAP_TYPE_SOCKMAP",
        Cpumap = 16 => "BPF_MAP_TYPE_CPUMAP",
        Xskmap = 17 => "BPF_MAP_TYPE_XSKMAP",
        Sockhash = 18 => "BPF_MAP_TYPE_SOCKHASH",
        CgroupStorage = 19 => "BPF_MAP_TYPE_CGROUP_STORAGE",
        ReuseportSockarray = 20 => "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY",
        PercpuCgroupStorage = 21 => "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE",
        Queue = 22 => "BPF_MAP_TYPE_QUEUE",
        Stack = 23 => "BPF_MAP_TYPE_STACK",
        SkStorage = 24 => "BPF_MAP_TYPE_SK_STORAGE",
        DevmapHash = 25 => "BPF_MAP_TYPE_DEVMAP_HASH",
        StructOps = 26 => "BPF_MAP_TYPE_STRUCT_OPS",
        Ringbuf = 27 => "BPF_MAP_TYPE_RINGBUF",
        InodeStorage = 28 => "BPF_MAP_TYPE_INODE_STORAGE",
        TaskStorage = 29 => "BPF_MAP_TYPE_TASK_STORAGE",
        BloomFilter = 30 => "BPF_MAP_TYPE_BLOOM_FILTER",
        UserRingbuf = 31 => "BPF_MAP_TYPE_USER_RINGBUF",
        CgrpStorage = 32 => "BPF_MAP_TYPE_CGRP_STORAGE",
        Arena = 33 => "BPF_MAP_TYPE_ARENA",
        InsnArray = 34 => "BPF_MAP_TYPE_INSN_ARRAY",
    }
}

uapi_enum! {
    /// `enum bpf_cmd`: the commands of bpf(2).
    Cmd {
        MapCreate = 0 => "BPF_MAP_CREATE",
        MapLookupElem = 1 => "BPF_MAP_LOOKUP_ELEM",
        MapUpdateElem = 2 => "BPF_MAP_UPDATE_ELEM",
        MapDeleteElem = 3 => "BPF_MAP_DELETE_ELEM",
        MapGetNextKey = 4 => "BPF_MAP_GET_NEXT_KEY",
        ProgLoad = 5 => "BPF_PROG_LOAD",
        ObjPin = 6 => "BPF_OBJ_PIN",
        ObjGet = 7 => "BPF_OBJ_GET",
        ProgAttach = 8 => "BPF_PROG_ATTACH",
        ProgDetach = 9 => "BPF_PROG_DETACH",
        ProgTestRun = 10 => "BPF_PROG_TEST_RUN",
        ProgGetNextId = 11 => "BPF_PROG_GET_NEXT_ID",
        MapGetNextId = 12 => "BPF_MAP_GET_NEXT_ID",
        ProgGetFdById = 13 => "BPF_PROG_GET_FD_BY_ID",
        MapGetFdById = 14 => "BPF_MAP_GET_FD_BY_ID",
        ObjGetInfoByFd = 15 => "BPF_OBJ_GET_INFO_BY_FD",
        ProgQuery = 16 => "BPF_PROG_QUERY",
        RawTracepointOpen = 17 => "BPF_RAW_TRACEPOINT_OPEN",
        BtfLoad = 18 => "BPF_BTF_LOAD",
        BtfGetFdById = 19 => "BPF_BTF_GET_FD_BY_ID",
        TaskFdQuery = 20 => "BPF_TASK_FD_QUERY",
        MapLookupAndDeleteElem = 21 => "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
        MapFreeze = 22 => "BPF_MAP_FREEZE",
        BtfGetNextId = 23 => "BPF_BTF_GET_NEXT_ID",
        MapLookupBatch = 24 => "BPF_MAP_LOOKUP_BATCH",
        MapLookupAndDeleteBatch = 25 => "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
        MapUpdateBatch = 26 => "BPF_MAP_UPDATE_BATCH",
        MapDeleteBatch = 27 => "BPF_MAP_DELETE_BATCH",
        LinkCreate = 28 => "BPF_LINK_CREATE",
        LinkUpdate = 29 => "BPF_LINK_UPDATE",
        LinkGetFdById = 30 => "BPF_LINK_GET_FD_BY_ID",
        LinkGetNextId = 31 => "BPF_LINK_GET_NEXT_ID",
        EnableStats = 32 => "BPF_ENABLE_STATS",
        IterCreate = 33 => "BPF_ITER_CREATE",
        LinkDetach = 34 => "BPF_LINK_DETACH",
        ProgBindMap = 35 => "BPF_PROG_BIND_MAP",
        TokenCreate = 36 => "BPF_TOKEN_CREATE",
    }
}

/// `prog_flags` bit for `BPF_PROG_LOAD`: the program may sleep (`*.s` sections, `syscall`).
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// `prog_flags` bit for `BPF_PROG_LOAD`: an XDP program that handles multi-buffer frames
/// (`xdp.frags` sections).
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

/// `map_flags` bit for `BPF_MAP_CREATE`: hash-table elements are allocated on demand rather than
/// up front.
pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;

/// `map_flags` bit for `BPF_MAP_CREATE`: programs may only read the map (set on `.rodata` and
/// `.kconfig` maps).
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;

/// `map_flags` bit for `BPF_MAP_CREATE`: an array (or arena) map that user space can `mmap`.
pub const BPF_F_MMAPABLE: u32 = 1 << 10;

/// `map_flags` bit for `BPF_MAP_CREATE`: a struct_ops map registered through a BPF link
/// (`.struct_ops.link`, Linux 6.4) rather than by its update.
pub const BPF_F_LINK: u32 = 1 << 13;

/// `src_reg` of an `ld_imm64`: `imm` is a map fd; the instruction loads the map pointer.
pub const BPF_PSEUDO_MAP_FD: u8 = 1;

/// `src_reg` of an `ld_imm64`: `imm` is a map fd and the second half's `imm` an offset; the
/// instruction loads the address of the map value plus that offset.
pub const BPF_PSEUDO_MAP_VALUE: u8 = 2;

/// `src_reg` of an `ld_imm64`: `imm` is a BTF id of a kernel variable (a typed ksym).
pub const BPF_PSEUDO_BTF_ID: u8 = 3;

/// `src_reg` of an `ld_imm64`: `imm` is the instruction offset of a sub-program; loads its
/// address (callbacks).
pub const BPF_PSEUDO_FUNC: u8 = 4;

/// `src_reg` of an `ld_imm64`: like [`BPF_PSEUDO_MAP_FD`], but `imm` indexes the `fd_array`
/// passed to `BPF_PROG_LOAD`.
pub const BPF_PSEUDO_MAP_IDX: u8 = 5;

/// `src_reg` of an `ld_imm64`: like [`BPF_PSEUDO_MAP_VALUE`], but `imm` indexes the `fd_array`
/// passed to `BPF_PROG_LOAD`.
pub const BPF_PSEUDO_MAP_IDX_VALUE: u8 = 6;

/// `src_reg` of a call: `imm` is the instruction offset of a BPF-to-BPF callee.
pub const BPF_PSEUDO_CALL: u8 = 1;

/// `src_reg` of a call: `imm` is the BTF id of a kernel function (kfunc); `off` selects the
/// module BTF in `fd_array` (0 = vmlinux).
pub const BPF_PSEUDO_KFUNC_CALL: u8 = 2;

/// The magic number that opens a BTF blob (`include/uapi/linux/btf.h`).
pub const BTF_MAGIC: u16 = 0xeb9f;

/// Bit of a ring buffer record's length word: the record is still being written.
pub const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;

/// Bit of a ring buffer record's length word: the producer discarded the record.
pub const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;

/// Size of a ring buffer record's header (length word and page offset).
pub const BPF_RINGBUF_HDR_SZ: u32 = 8;

/// `PERF_RECORD_LOST` (`include/uapi/linux/perf_event.h`): records the kernel dropped.
pub const PERF_RECORD_LOST: u32 = 2;

/// `PERF_RECORD_SAMPLE` (`include/uapi/linux/perf_event.h`): one sample.
pub const PERF_RECORD_SAMPLE: u32 = 9;

/// `perf_event_attr.type` of software events (`include/uapi/linux/perf_event.h`).
pub const PERF_TYPE_SOFTWARE: u32 = 1;

/// `perf_event_attr.type` of tracepoints: `config` is the tracepoint's id.
pub const PERF_TYPE_TRACEPOINT: u32 = 2;

/// The software event a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` slot holds for `bpf_perf_event_output`.
pub const PERF_COUNT_SW_BPF_OUTPUT: u32 = 10;

/// `perf_event_attr.sample_type` bit: samples carry the raw data the program wrote.
pub const PERF_SAMPLE_RAW: u32 = 1 << 10;

/// `perf_event_open(2)` flag: the fd is close-on-exec.
pub const PERF_FLAG_FD_CLOEXEC: u32 = 8;

/// Offset of `data_head` in `struct perf_event_mmap_page`: where the kernel has written to.
pub const PERF_DATA_HEAD: u32 = 1024;

/// Offset of `data_tail` in `struct perf_event_mmap_page`: where the reader has read to.
pub const PERF_DATA_TAIL: u32 = 1032;

/// `flags` of `BPF_MAP_UPDATE_ELEM`: create the element or replace it.
pub const BPF_ANY: u64 = 0;

/// `flags` of `BPF_MAP_UPDATE_ELEM`: create the element only if it does not exist.
pub const BPF_NOEXIST: u64 = 1;

/// `flags` of `BPF_MAP_UPDATE_ELEM`: replace the element only if it exists.
pub const BPF_EXIST: u64 = 2;

/// `ioctl` of a perf event fd: enable it (`_IO('$', 0)`, generic ioctl encoding).
pub const PERF_EVENT_IOC_ENABLE: u32 = 0x2400;

/// `ioctl` of a perf event fd: attach a BPF program (`_IOW('$', 8, __u32)`, generic ioctl
/// encoding).
pub const PERF_EVENT_IOC_SET_BPF: u32 = 0x4004_2408;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_value() {
        for raw in 0..=64 {
            if let Some(t) = ProgType::from_raw(raw) {
                assert_eq!(t.raw(), raw);
            }
            if let Some(t) = AttachType::from_raw(raw) {
                assert_eq!(t.raw(), raw);
            }
            if let Some(t) = MapType::from_raw(raw) {
                assert_eq!(t.raw(), raw);
            }
        }
        // The enums are dense: every value up to the newest is defined, none past it.
        assert!((0..=32).all(|r| ProgType::from_raw(r).is_some()));
        assert!(ProgType::from_raw(33).is_none());
        assert!((0..=58).all(|r| AttachType::from_raw(r).is_some()));
        assert!(AttachType::from_raw(59).is_none());
        assert!((0..=34).all(|r| MapType::from_raw(r).is_some()));
        assert!(MapType::from_raw(35).is_none());
        assert!((0..=36).all(|r| Cmd::from_raw(r).is_some()));
        assert!(Cmd::from_raw(37).is_none());
    }

    #[test]
    fn spot_values() {
        assert_eq!(ProgType::SchedCls.raw(), 3);
        assert_eq!(ProgType::Tracing.raw(), 26);
        assert_eq!(ProgType::Syscall.raw(), 31);
        assert_eq!(ProgType::Netfilter.c_name(), "BPF_PROG_TYPE_NETFILTER");
        assert_eq!(AttachType::CgroupInet4Connect.raw(), 10);
        assert_eq!(AttachType::TraceIter.raw(), 28);
        assert_eq!(AttachType::TcxIngress.raw(), 46);
        assert_eq!(AttachType::TraceKprobeSession.raw(), 56);
        assert_eq!(
            AttachType::TraceUprobeSession.c_name(),
            "BPF_TRACE_UPROBE_SESSION"
        );
        assert_eq!(MapType::PercpuArray.raw(), 6);
        assert_eq!(MapType::Ringbuf.raw(), 27);
        assert_eq!(MapType::Arena.raw(), 33);
        assert_eq!(MapType::from_raw(1), Some(MapType::Hash));
    }

    #[test]
    fn serialises_as_c_name() {
        let json = serde_json::to_string(&MapType::LruPercpuHash).unwrap();
        assert_eq!(json, "\"BPF_MAP_TYPE_LRU_PERCPU_HASH\"");
        let back: AttachType = serde_json::from_str("\"BPF_SK_LOOKUP\"").unwrap();
        assert_eq!(back, AttachType::SkLookup);
    }
}
