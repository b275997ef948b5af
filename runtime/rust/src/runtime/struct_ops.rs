// struct_ops (docs/loader-abi.md sections 3.4 and 3.5): at load, the kernel's layout of
// each structure is read from its BTF and matched to the object's by member name; the
// loader gets the value type and each program's member through the context, and the
// skeleton keeps the value in the kernel's layout. Attaching writes it to the map (which
// registers a .struct_ops map) and, for a .struct_ops.link map, makes the link.

const BPF_STRUCT_OPS: u32 = 44;
const BTF_VMLINUX: &str = "/sys/kernel/btf/vmlinux";
const STRUCT_OPS_DESC: usize = 8;

/// One member of a struct_ops structure, as the object declares it.
#[derive(Debug)]
pub(super) struct StructOpsMember {
    pub(super) name: &'static str,
    /// Where it is in the compiled image, and its size there.
    pub(super) offset: usize,
    pub(super) size: usize,
    /// The struct_ops program slot of a program member; `None` for data.
    pub(super) slot: Option<usize>,
    /// Data whose every byte is 0, which a kernel without the member can do without.
    pub(super) zero: bool,
}

/// A struct_ops map as compiled.
#[derive(Debug)]
pub(super) struct StructOpsDef {
    /// Its index among the object's maps.
    pub(super) map: usize,
    pub(super) name: &'static str,
    /// The kernel's struct (`tcp_congestion_ops`).
    pub(super) type_name: &'static str,
    /// `.struct_ops.link`: registered through a BPF link.
    pub(super) link: bool,
    pub(super) image: &'static [u8],
    pub(super) members: &'static [StructOpsMember],
}

/// A struct_ops program slot: the program's name and its index among the object's programs.
#[derive(Debug)]
pub(super) struct StructOpsProg {
    pub(super) name: &'static str,
    pub(super) prog: usize,
}

/// The struct_ops maps and programs of the object, in the context's descriptor order.
#[derive(Debug)]
pub(super) struct StructOpsTable {
    pub(super) maps: &'static [StructOpsDef],
    pub(super) progs: &'static [StructOpsProg],
}

/// A struct_ops map's knob, applied at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StructOpsKnobs {
    /// Create the map (`false` for a `SEC("?.struct_ops")` map unless turned on). Kernels
    /// before 6.4 refuse `.struct_ops.link` maps: with theirs off, such objects load there.
    pub autocreate: bool,
}

/// A structure in the kernel's layout (`struct bpf_struct_ops_<T>`).
#[derive(Debug)]
struct Layout {
    value: Vec<u8>,
    /// Per member of the object's structure, its offset in `value` (`None`: a zero member
    /// this kernel lacks).
    offsets: Vec<Option<usize>>,
}

/// How a structure is registered with the kernel.
#[derive(Debug)]
enum Registered {
    /// A `.struct_ops.link` map: by its link, closed to unregister.
    Link(Link),
    /// A `.struct_ops` map: by its value; a copy of the map's fd to delete the value with,
    /// whatever becomes of the skeleton's.
    Map(OwnedFd),
}

/// A struct_ops map's structure: laid out for the running kernel at load, registered by the
/// skeleton's `attach_<map>` or `attach`, unregistered by `detach_<map>`, `detach`, or when
/// dropped.
#[derive(Debug)]
pub struct StructOps {
    def: &'static StructOpsDef,
    /// `None` when the map was not created.
    layout: Option<Layout>,
    /// The map holds the value, with the programs' fds.
    written: bool,
    registered: Option<Registered>,
}

/// Registers every created structure not registered yet; on failure, unregisters those this
/// call registered.
pub(super) fn attach_struct_ops(
    maps: &mut [(&mut StructOps, Option<&Map>)],
    progs: &[&Prog],
) -> Result<(), Error> {
    let mut attached: Vec<usize> = Vec::new();
    for i in 0..maps.len() {
        let (so, map) = &mut maps[i];
        if map.is_none() || so.registered.is_some() {
            continue;
        }
        if let Err(err) = so.attach(*map, progs) {
            for j in attached {
                maps[j].0.detach();
            }
            return Err(err);
        }
        attached.push(i);
    }
    Ok(())
}

impl StructOps {
    /// The map the load created for the structure, whose value size is the kernel's.
    pub(super) fn map(
        &self,
        fd: Option<OwnedFd>,
        info: &'static MapInfo,
        knobs: &MapKnobs,
    ) -> Option<Map> {
        let value_size = self.layout.as_ref()?.value.len() as u32;
        Some(Map::new(
            fd?,
            info,
            &MapKnobs {
                value_size,
                ..*knobs
            },
        ))
    }

    /// The map's name in the object.
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// The kernel's struct (`tcp_congestion_ops`).
    pub fn type_name(&self) -> &'static str {
        self.def.type_name
    }

    /// The structure in the running kernel's layout (`struct bpf_struct_ops_<T>`), `None`
    /// when the map was not created. Its program members hold their programs' fds from the
    /// first attach on.
    pub fn value(&self) -> Option<&[u8]> {
        self.layout.as_ref().map(|l| l.value.as_slice())
    }

    /// Where member `member` of the object's structure is in [`StructOps::value`]: `None`
    /// when the map was not created, or for a zero member this kernel lacks.
    pub fn offset(&self, member: &str) -> Option<usize> {
        let layout = self.layout.as_ref()?;
        let index = self.def.members.iter().position(|m| m.name == member)?;
        layout.offsets.get(index).copied().flatten()
    }

    /// Whether the structure is registered with the kernel.
    pub fn is_attached(&self) -> bool {
        self.registered.is_some()
    }

    /// The link that registers an attached `.struct_ops.link` map.
    pub fn link(&self) -> Option<&Link> {
        match &self.registered {
            Some(Registered::Link(link)) => Some(link),
            _ => None,
        }
    }

    /// Registers the structure: writes it to `map` (which registers a `.struct_ops` map, once
    /// only), and for a `.struct_ops.link` map makes the link. `progs` are the struct_ops
    /// programs by slot.
    pub(super) fn attach(
        &mut self,
        map: Option<&Map>,
        progs: &[&Prog],
    ) -> Result<(), Error> {
        let name = self.def.name;
        let Some(map) = map.filter(|_| self.layout.is_some()) else {
            let what =
                format!("struct_ops map {name} was not created (its autocreate was off)");
            return Err(Error::new(what, libc::ENOENT));
        };
        if self.registered.is_some() {
            let what = format!("struct_ops map {name} is attached already");
            return Err(Error::new(what, libc::EBUSY));
        }
        if !self.def.link && self.written {
            let what = format!(
                "struct_ops map {name} was registered once: a .struct_ops map cannot be \
                 registered again after a detach (a .struct_ops.link map can)"
            );
            return Err(Error::new(what, libc::EBUSY));
        }
        let registered = if self.def.link {
            if !self.written {
                self.write(map, progs)?;
            }
            let fd = link_create(map.fd(), 0, BPF_STRUCT_OPS, 0)
                .map_err(|e| self.refused("BPF_LINK_CREATE", e))?;
            Registered::Link(Link { fd })
        } else {
            let fd = map.fd().try_clone_to_owned().map_err(|e| {
                let what = format!("struct_ops map {name}: a copy of its fd");
                Error::new(what, e.raw_os_error().unwrap_or(libc::EIO))
            })?;
            self.write(map, progs)?;
            Registered::Map(fd)
        };
        self.registered = Some(registered);
        Ok(())
    }

    /// Writes the programs' fds into the value and the value to the map.
    fn write(&mut self, map: &Map, progs: &[&Prog]) -> Result<(), Error> {
        let (def, Some(layout)) = (self.def, self.layout.as_mut()) else {
            return Ok(());
        };
        for (m, at) in def.members.iter().zip(&layout.offsets) {
            let (Some(slot), Some(at)) = (m.slot, *at) else {
                continue;
            };
            let fd = progs.get(slot).and_then(|p| p.fd()).ok_or_else(|| {
                let prog = progs.get(slot).map_or("?", |p| p.name());
                let what = format!(
                    "struct_ops map {}: program {prog} of member {} was not loaded (its \
                     autoload was off)",
                    def.name, m.name
                );
                Error::new(what, libc::ENOENT)
            })?;
            let fd = (fd.as_raw_fd() as u64).to_ne_bytes();
            if let Some(slot) = layout.value.get_mut(at..at + 8) {
                slot.copy_from_slice(&fd);
            }
        }
        let key = 0u32.to_ne_bytes();
        let value = ptr(layout.value.as_ptr());
        match map.elem(BPF_MAP_UPDATE_ELEM, key.as_ptr(), value, 0) {
            Ok(true) => {
                self.written = true;
                Ok(())
            }
            Ok(false) => Err(self.refused("BPF_MAP_UPDATE_ELEM", libc::ENOENT)),
            Err(e) => Err(self.refused("BPF_MAP_UPDATE_ELEM", e)),
        }
    }

    /// The kernel refused the structure at `call`.
    fn refused(&self, call: &str, errno: i32) -> Error {
        let what = format!(
            "struct_ops map {}: the kernel refuses its struct {} ({call})",
            self.def.name, self.def.type_name
        );
        Error::new(what, errno)
    }

    /// Unregisters the structure: closes its link, or deletes a `.struct_ops` map's value.
    pub(super) fn detach(&mut self) {
        if let Some(Registered::Map(fd)) = self.registered.take() {
            let key = 0u32;
            let mut attr = ElemAttr {
                map_fd: fd.as_raw_fd() as u32,
                key: ptr(&key),
                ..Default::default()
            };
            // A registered value is deleted (the kernel only refuses an unregistered one), and
            // there is nothing more to try if it were not.
            let _ = sys_bpf(BPF_MAP_DELETE_ELEM, &mut attr);
        }
    }
}

impl Drop for StructOps {
    fn drop(&mut self) {
        self.detach();
    }
}
