//! The README's example: the minimal skeleton as a program would use it, included from
//! OUT_DIR (where build.rs wrote it). Run as root: counts this process's getpid() calls.

include!(concat!(env!("OUT_DIR"), "/minimal.skel.rs")); // pub mod minimal

fn main() -> Result<(), minimal::Error> {
    let pid = std::process::id();
    let mut open = minimal::OpenMinimal::open()?; // typed views with the initial values
    open.rodata_mut().target_pid = pid; // globals, writable until load
    open.maps.counts.max_entries = 64; // knobs: max_entries, value_size, autoload
    let mut skel = open.load()?; // the error names the loader step that failed, with errno
    skel.attach()?; // every program that needs no target; links kept in skel.links
    for _ in 0..3 {
        std::hint::black_box(std::process::id()); // getpid(2), which the program counts
    }
    let count: Option<u64> = skel.maps.counts.lookup(&pid)?;
    println!("count {count:?}, counter {}", skel.bss().counter); // .bss: the map's memory
    Ok(()) // dropping skel closes links, programs, maps and views
}
