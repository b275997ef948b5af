//! `.kconfig` externs in a kernel module. A module only loads into the kernel it was built
//! for, so each value comes from that kernel's configuration macros (`CONFIG_X`, or
//! `CONFIG_X_MODULE` for `m`), tested with the preprocessor when the module is compiled.
//! `LINUX_KERNEL_VERSION` is read from the running kernel's release at `__open`, as the
//! userspace skeletons and libbpf read it from uname(2).

use super::names::kconfig_macro;
use crate::backend::c::names::c_string;
use crate::backend::kconfig::kconfig_rows;
use crate::backend::BackendError;
use crate::ir::{KconfigKind, ObjectSpec};
use serde::Serialize;

/// The `.kconfig` section of the kernel header.
#[derive(Debug, Serialize)]
pub struct KconfigView {
    /// Member name of the data view.
    pub section: String,
    /// The externs, in object order.
    pub externs: Vec<KconfigExternView>,
}

/// How one extern is filled: the first branch whose condition holds, else `otherwise`.
#[derive(Debug, Serialize)]
pub struct KconfigExternView {
    /// The extern's name, for a comment.
    pub name: String,
    /// `#if`/`#elif` branches; empty when the value does not depend on the configuration.
    pub branches: Vec<Branch>,
    /// The statement when no branch applies (or the only one); empty for a weak extern,
    /// which stays 0.
    pub otherwise: String,
}

/// One preprocessor branch.
#[derive(Debug, Serialize)]
pub struct Branch {
    /// `if` or `elif`.
    pub directive: &'static str,
    /// The condition, e.g. `defined(CONFIG_HZ)`.
    pub cond: String,
    /// The C statement.
    pub stmt: String,
}

/// The view of the `.kconfig` externs of `spec`, whose data view is `skel-><section>`.
pub fn kconfig_view(spec: &ObjectSpec, section: &str) -> Result<KconfigView, BackendError> {
    let mut externs = Vec::new();
    for k in kconfig_rows(spec) {
        let name = kconfig_macro(k.name)?;
        let at = format!("kcfg + {}, {}", k.offset, k.size);
        let (conds, otherwise) = encode(&name, k.kind, k.weak, &at);
        let branches = conds
            .into_iter()
            .enumerate()
            .map(|(i, (cond, stmt))| Branch {
                directive: if i == 0 { "if" } else { "elif" },
                cond,
                stmt,
            })
            .collect();
        externs.push(KconfigExternView {
            name,
            branches,
            otherwise,
        });
    }
    Ok(KconfigView {
        section: section.to_string(),
        externs,
    })
}

/// The `(condition, statement)` branches that fill the extern `name` at `at` (`kcfg + off,
/// size`), and the statement when none applies.
fn encode(name: &str, kind: KconfigKind, weak: bool, at: &str) -> (Vec<(String, String)>, String) {
    let put = |v: &str| format!("skelgen_kcfg_put({at}, {v});");
    let lit = c_string(name);
    let weak_arg = u8::from(weak);
    let missing = if weak {
        String::new()
    } else {
        format!("skelgen_kcfg_missing(&skel->priv, \"{lit}\");")
    };
    let set = format!("defined({name})");
    let module = format!("defined({name}_MODULE)");
    match kind {
        KconfigKind::Bool => (vec![(format!("{set} || {module}"), put("1"))], missing),
        KconfigKind::Tristate => (vec![(set, put("1")), (module, put("2"))], missing),
        KconfigKind::Char => (vec![(set, put("'y'")), (module, put("'m'"))], missing),
        KconfigKind::CharArray => {
            let stmt = format!(
                "skelgen_kcfg_str(&skel->priv, \"{lit}\", {weak_arg}, {at}, SKELGEN_KCFG_STR({name}));"
            );
            (vec![(set, stmt)], missing)
        }
        KconfigKind::Int { .. } => {
            let stmt = format!(
                "skelgen_kcfg_num(&skel->priv, \"{lit}\", {weak_arg}, {at}, \
                 SKELGEN_KCFG_IS_STR({name}), SKELGEN_KCFG_NUM({name}));"
            );
            (vec![(set, stmt)], missing)
        }
        KconfigKind::KernelVersion => (Vec::new(), put("skelgen_kernel_version()")),
        KconfigKind::LibbpfFeature => (Vec::new(), put("1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_tests_the_configuration() {
        let (b, other) = encode("CONFIG_X", KconfigKind::Tristate, false, "kcfg + 0, 4");
        assert_eq!(b[0].0, "defined(CONFIG_X)");
        assert_eq!(
            b[1],
            (
                "defined(CONFIG_X_MODULE)".into(),
                "skelgen_kcfg_put(kcfg + 0, 4, 2);".into()
            )
        );
        assert_eq!(other, "skelgen_kcfg_missing(&skel->priv, \"CONFIG_X\");");
        let (b, other) = encode("CONFIG_Y", KconfigKind::Bool, true, "kcfg + 4, 1");
        assert_eq!(b[0].0, "defined(CONFIG_Y) || defined(CONFIG_Y_MODULE)");
        assert!(other.is_empty(), "weak: nothing when unset");
        let (b, other) = encode(
            "LINUX_KERNEL_VERSION",
            KconfigKind::KernelVersion,
            false,
            "kcfg + 8, 4",
        );
        assert!(b.is_empty());
        assert!(other.contains("skelgen_kernel_version()"));
        let (b, _) = encode("CONFIG_S", KconfigKind::CharArray, false, "kcfg + 12, 8");
        assert!(b[0].1.contains("SKELGEN_KCFG_STR(CONFIG_S)"));
    }
}
