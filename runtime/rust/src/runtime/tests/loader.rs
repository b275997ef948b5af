use super::super::*;

static LOADER: Loader = Loader {
    insns: &[],
    data: &[],
    steps: &["create_map counts", "load_program handle"],
    abi_version: ABI_VERSION,
    nr_maps: 2,
    nr_progs: 1,
    ctx_size: (CTX_HEADER + 2 * MAP_DESC + PROG_DESC) as u32,
};

fn word(ctx: &Context, at: usize) -> u32 {
    ctx.get_u32(at)
}

#[test]
fn the_context_header_is_the_abis() {
    let ctx = Context::new(&LOADER);
    assert_eq!(ctx.bytes.len(), LOADER.ctx_size as usize);
    assert_eq!(word(&ctx, 0), LOADER.ctx_size);
    assert_eq!(word(&ctx, 4), ABI_VERSION);
    assert_eq!((word(&ctx, 12), word(&ctx, 16)), (2, 1));
    assert_eq!(word(&ctx, 40), u32::MAX, "no step has failed yet");
}

#[test]
fn knobs_land_in_their_descriptors() {
    let mut ctx = Context::new(&LOADER);
    let knobs = MapKnobs {
        max_entries: 64,
        value_size: 12,
    };
    ctx.map(1, &knobs, Some(0x1122_3344_5566_7788));
    ctx.prog(0, &ProgKnobs { autoload: true });
    let map = CTX_HEADER + MAP_DESC;
    assert_eq!((word(&ctx, map + 4), word(&ctx, map + 8)), (64, 12));
    assert_eq!(word(&ctx, map + 16), 0x5566_7788);
    assert_eq!(word(&ctx, map + 20), 0x1122_3344);
    assert_eq!(word(&ctx, CTX_HEADER + 2 * MAP_DESC + 4), 1);
    ctx.prog(0, &ProgKnobs { autoload: false });
    assert_eq!(word(&ctx, CTX_HEADER + 2 * MAP_DESC + 4), 0);
}

#[test]
fn fds_the_loader_did_not_make_are_errors() {
    let ctx = Context::new(&LOADER);
    let ([m0, m1], [p0]) = take_fds::<2, 1>(&ctx).unwrap();
    assert!(m0.is_none() && m1.is_none() && p0.is_none());
    let err = required(m0).unwrap_err();
    assert_eq!(err.errno(), libc::EPROTO);
    assert_eq!(err.what(), "take the fds the loader made");
    let counts = take_fds::<3, 1>(&ctx).unwrap_err();
    assert_eq!(
        counts.errno(),
        libc::EPROTO,
        "the skeleton and the loader disagree"
    );
}

#[test]
fn object_names_are_cut_to_15_bytes() {
    assert_eq!(&obj_name("counts")[..7], b"counts\0");
    let long = obj_name("a_name_longer_than_sixteen");
    assert_eq!(&long[..15], b"a_name_longer_t");
    assert_eq!(long[15], 0);
}

#[test]
fn logs_end_at_their_nul() {
    assert_eq!(log_text(b"0: R1=ctx\n\0garbage"), "0: R1=ctx\n");
    assert_eq!(log_text(b"no nul"), "no nul");
}

#[test]
fn errors_say_the_step_and_errno() {
    let mut err = Error::new("create_map counts", libc::EPERM);
    assert_eq!(
        err.to_string(),
        format!(
            "create_map counts: {}",
            io::Error::from_raw_os_error(libc::EPERM)
        )
    );
    err.plan_step = Some(3);
    assert!(err
        .to_string()
        .starts_with("loader step 3 (create_map counts) failed: "));
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::PermissionDenied);
}

#[test]
fn only_a_full_log_at_a_loader_step_grows() {
    let failed = |errno: i32, step: Option<u32>| {
        let mut err = Error::new("PROG_LOAD handle", errno);
        err.plan_step = step;
        err
    };
    let nospc = failed(libc::ENOSPC, Some(3));
    let full = |size: usize| size - 1;
    assert_eq!(
        grown_log(&nospc, full(LOG_START), LOG_START),
        Some(4 * LOG_START)
    );
    assert_eq!(
        grown_log(&nospc, full(LOG_MAX / 2), LOG_MAX / 2),
        Some(LOG_MAX)
    );
    assert_eq!(grown_log(&nospc, full(LOG_MAX), LOG_MAX), None, "the limit");
    assert_eq!(grown_log(&nospc, 0, 0), None, "no log asked for");
    // A map create's ENOSPC writes no log: it is the answer, not a log too small.
    assert_eq!(grown_log(&nospc, 0, LOG_START), None);
    let eacces = failed(libc::EACCES, Some(3));
    assert_eq!(grown_log(&eacces, full(LOG_START), LOG_START), None);
    let outside = failed(libc::ENOSPC, None);
    assert_eq!(grown_log(&outside, full(LOG_START), LOG_START), None);
}
