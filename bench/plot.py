#!/usr/bin/env python3
"""Table and figure of bench/loader.sh's results, with the standard library only.

usage: plot.py RESULTS.tsv FIGURE.svg > RESULTS.md
       plot.py --splice DOC.md RESULTS.md   (replace the text between the bench markers)
"""
import csv
import sys
from xml.sax.saxutils import escape

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
OURS, REF = "#1f77b4", "#ff7f0e"

# (skelgen column, bpftool column, title, unit, scale from the TSV's unit, in the figure)
METRICS = [
    ("ours_insns", "ref_insns", "Loader instructions", "", 1, True),
    ("ours_blob", "ref_blob", "Loader data blob", "bytes", 1, True),
    ("ours_gen_s", "ref_gen_s", "Generation time (median)", "ms", 1e3, True),
    ("ours_compile_s", "ref_gen_s", "Loader compile only (median)", "ms", 1e3, False),
    ("ours_load_ns", "ref_load_ns", "Open + load latency (median)", "µs", 1e-3, True),
]


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def value(row, key, scale):
    try:
        return float(row[key]) * scale
    except ValueError:
        return None  # "refused": the host does not load this object


def fmt(v):
    if v is None:
        return "refused"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def table(rows):
    head = ["example"]
    for _, _, title, unit, _, _ in METRICS:
        name = title.split(" (")[0].lower() + (f" ({unit})" if unit else "")
        head += [f"{name}: skelgen", "bpftool -L", "ratio"]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for r in rows:
        cells = [r["example"]]
        for ours, ref, _, _, scale, _ in METRICS:
            a, b = value(r, ours, scale), value(r, ref, scale)
            ratio = f"{a / b:.2f}" if a is not None and b else "–"
            cells += [fmt(a), fmt(b), ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\nratio = skelgen / bpftool -L (below 1: skelgen is smaller or faster).\n"


def panel(rows, metric, x0, y0, w, h):
    ours, ref, title, unit, scale, _ = metric
    pairs = [(value(r, ours, scale), value(r, ref, scale)) for r in rows]
    top = max([v for p in pairs for v in p if v is not None] + [1e-9]) * 1.15
    out = [f'<text x="{x0 + w / 2}" y="{y0 - 8}" text-anchor="middle" font-weight="bold">'
           f"{escape(title)}{' (' + unit + ')' if unit else ''}</text>",
           f'<line x1="{x0}" y1="{y0 + h}" x2="{x0 + w}" y2="{y0 + h}" stroke="#444"/>']
    slot = w / max(len(rows), 1)
    bar = slot * 0.35
    for i, (r, (a, b)) in enumerate(zip(rows, pairs)):
        cx = x0 + slot * i + slot / 2
        for j, (v, color) in enumerate([(a, OURS), (b, REF)]):
            x = cx - bar + j * bar
            tx = x + bar / 2
            if v is None:
                out.append(f'<text x="{tx:.1f}" y="{y0 + h - 4}" font-size="9" '
                           f'transform="rotate(-90 {tx:.1f} {y0 + h - 4})">refused</text>')
                continue
            bh = h * v / top
            out.append(f'<rect x="{x:.1f}" y="{y0 + h - bh:.1f}" width="{bar:.1f}" '
                       f'height="{bh:.1f}" fill="{color}"><title>{fmt(v)}</title></rect>')
            ty = y0 + h - bh - 3
            out.append(f'<text x="{tx:.1f}" y="{ty:.1f}" font-size="8" '
                       f'transform="rotate(-90 {tx:.1f} {ty:.1f})">{fmt(v)}</text>')
        out.append(f'<text x="{cx}" y="{y0 + h + 14}" font-size="11" text-anchor="middle">'
                   f'{escape(r["example"])}</text>')
    return out


def figure(rows):
    w, h, pw, ph = 1000, 660, 420, 200
    body = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'font-family="sans-serif" font-size="12">',
            f'<rect width="{w}" height="{h}" fill="white"/>']
    for k, metric in enumerate(m for m in METRICS if m[5]):
        x0 = 50 + (k % 2) * (pw + 70)
        y0 = 70 + (k // 2) * (ph + 90)
        body += panel(rows, metric, x0, y0, pw, ph)
    ly = h - 22
    body += [f'<rect x="{w / 2 - 150}" y="{ly - 10}" width="12" height="12" fill="{OURS}"/>',
             f'<text x="{w / 2 - 132}" y="{ly}">skelgen</text>',
             f'<rect x="{w / 2 + 10}" y="{ly - 10}" width="12" height="12" fill="{REF}"/>',
             f'<text x="{w / 2 + 28}" y="{ly}">bpftool gen skeleton -L (libbpf 1.1.2)</text>',
             "</svg>"]
    return "\n".join(body) + "\n"


def splice(doc, md):
    text = open(doc, encoding="utf-8").read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    table_text = open(md, encoding="utf-8").read()
    with open(doc, "w", encoding="utf-8") as f:
        f.write(text[:start] + "\n" + table_text + text[end:])


def main():
    if sys.argv[1] == "--splice":
        splice(sys.argv[2], sys.argv[3])
        return
    rows = read(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(figure(rows))
    sys.stdout.write(table(rows))


if __name__ == "__main__":
    main()
