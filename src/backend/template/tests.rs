use super::*;
use serde_json::json;

fn render(src: &'static str, view: serde_json::Value) -> Result<String, TemplateError> {
    Templates::parse(&[("t", src)])?.render("t", &view, &[])
}

#[test]
fn values_and_paths() {
    let out = render(
        "a {{ x }} {{ m.name }} {{ n }} {{ b }}",
        json!({"x": "1", "m": {"name": "rb"}, "n": 42, "b": true}),
    );
    assert_eq!(out.unwrap(), "a 1 rb 42 true");
}

#[test]
fn numbers_in_a_path_index_lists() {
    let src = "{% for v in values %}{{ v.0 }}={{ v.1 }};{% endfor %}";
    let out = render(src, json!({"values": [["A", 1], ["B", 2]]}));
    assert_eq!(out.unwrap(), "A=1;B=2;");
    assert!(Templates::parse(&[("t", "{{ 0.x }}")]).is_err());
}

#[test]
fn extra_values_join_the_view() {
    let t = Templates::parse(&[("t", "{{ name }}: {{ runtime }}")]).unwrap();
    let out = t.render("t", &json!({"name": "min"}), &[("runtime", "code")]);
    assert_eq!(out.unwrap(), "min: code");
}

#[test]
fn loops_with_loop_info() {
    let src = "{% for p in progs %}{{ loop.index }}{{ p.name }}{% if not loop.last %},{% endif %}{% endfor %}";
    let out = render(
        src,
        json!({"progs": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
    );
    assert_eq!(out.unwrap(), "1a,2b,3c");
}

#[test]
fn nested_loops_see_outer_variables() {
    let src =
        "{% for m in maps %}{% for f in m.fields %}{{ m.name }}.{{ f }} {% endfor %}{% endfor %}";
    let out = render(
        src,
        json!({"maps": [{"name": "x", "fields": ["a", "b"]}, {"name": "y", "fields": []}]}),
    );
    assert_eq!(out.unwrap(), "x.a x.b ");
}

#[test]
fn conditions_are_truthiness_as_in_tera() {
    let src = "{% if v %}T{% else %}F{% endif %}";
    for (v, want) in [
        (json!(true), "T"),
        (json!(false), "F"),
        (json!(0), "F"),
        (json!(3), "T"),
        (json!(""), "F"),
        (json!("x"), "T"),
        (json!([]), "F"),
        (json!([1]), "T"),
        (json!({}), "F"),
        (json!(null), "F"),
    ] {
        assert_eq!(render(src, json!({ "v": v })).unwrap(), want, "{v}");
    }
    // A missing value, or a path through null, is false, as optional view fields need.
    assert_eq!(render(src, json!({})).unwrap(), "F");
    assert_eq!(
        render("{% if s.maps %}T{% endif %}", json!({"s": null})).unwrap(),
        ""
    );
    assert_eq!(
        render("{% if not s.maps %}N{% endif %}", json!({"s": null})).unwrap(),
        "N"
    );
}

#[test]
fn white_space_control_trims_every_blank_on_its_side() {
    let src = "a  \n  {%- if t %}\n  b\n  {%- endif -%}  \n\n c {{- x -}} \n d";
    assert_eq!(
        render(src, json!({"t": true, "x": "X"})).unwrap(),
        "a\n  bcXd"
    );
}

#[test]
fn includes_share_the_scope() {
    let t = Templates::parse(&[
        (
            "main",
            "{% for p in progs %}[{% include \"item\" %}]{% endfor %}",
        ),
        ("item", "{{ p }}/{{ top }}"),
    ])
    .unwrap();
    let out = t.render("main", &json!({"progs": ["a", "b"], "top": "T"}), &[]);
    assert_eq!(out.unwrap(), "[a/T][b/T]");
}

#[test]
fn logic_beyond_loops_and_booleans_is_refused() {
    for src in [
        "{{ x | upper }}",
        "{% if a and b %}{% endif %}",
        "{% if a or b %}{% endif %}",
        "{% set x = 1 %}",
        "{% macro m() %}{% endmacro %}",
        "{{ \"lit\" }}",
        "{# comment #}{{ x",
        "{% if a == b %}{% endif %}",
        "{% for a, b in m %}{% endfor %}",
    ] {
        let err = Templates::parse(&[("t", src)]).unwrap_err();
        assert_eq!(err.template, "t", "{src}");
        assert_eq!(err.line, 1, "{src}");
    }
}

#[test]
fn blocks_must_nest() {
    for (src, line) in [
        ("{% if a %}\n{% endfor %}", 2),
        ("\n{% for a in b %}", 2),
        ("{% endif %}", 1),
        ("{% if a %}{% else %}{% else %}{% endif %}", 1),
        ("x\ny {{ a", 2),
    ] {
        let err = Templates::parse(&[("t", src)]).unwrap_err();
        assert_eq!(err.line, line, "{src}: {err}");
    }
}

#[test]
fn render_errors_name_the_template_line_and_value() {
    let err = render("\n\n{{ missing }}", json!({})).unwrap_err();
    assert_eq!((err.template.as_str(), err.line), ("t", 3));
    assert!(
        err.message.contains("`missing` is not in the view"),
        "{err}"
    );
    let err = render("{{ m }}", json!({"m": {"a": 1}})).unwrap_err();
    assert!(
        err.message.contains("an object, which cannot be printed"),
        "{err}"
    );
    let err = render("{% for x in m %}{% endfor %}", json!({"m": "s"})).unwrap_err();
    assert!(err.message.contains("a string, not a list"), "{err}");
    let err = render("{% include \"other\" %}", json!({})).unwrap_err();
    assert!(err.message.contains("unknown template \"other\""), "{err}");
}

#[test]
fn literal_braces_outside_tags_are_text() {
    let out = render("int a[] = { 1 };\n} {", json!({}));
    assert_eq!(out.unwrap(), "int a[] = { 1 };\n} {");
}
