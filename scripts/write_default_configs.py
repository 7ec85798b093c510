"""Regenerate each config group's default YAML (every key, its value, unit and source) from sim/config/schema.py.

Run after changing a field in sim/config/schema.py: python scripts/write_default_configs.py
tests/test_config.py fails, naming the key, until the YAML matches the schema again.
"""
import ast
import dataclasses
import enum
import math
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import sim.config as C

SRC = (ROOT / "sim" / "config" / "schema.py").read_text().splitlines()
tree = ast.parse("\n".join(SRC))

def section_comments(cls_name):
    """Map field name -> standalone '# ...' comment line just above it (section headings)."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            for st in node.body:
                if isinstance(st, ast.AnnAssign):
                    ln = st.lineno - 2
                    if SRC[ln].strip().startswith("#"):
                        out[st.target.id] = SRC[ln].strip()[1:].strip()
    return out

def fmt_value(v):
    if v is None: return "null"
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, enum.Enum): return f'"{v.value}"'  # quoted: YAML reads a bare off/on/yes/no as a bool
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15: return f"{v:.1f}"
        return repr(v)
    return str(v)

def fmt_num(x, is_int):
    if x in (math.inf, -math.inf): return None
    if is_int or float(x).is_integer():
        x = int(x)
        return f"{x:,}" if abs(x) >= 10000 else str(x)
    return f"{x:g}"

def fmt_range(meta, ftype, default):
    if "lo" not in meta: return ""
    is_int = isinstance(default, int) and not isinstance(default, bool)
    lo, hi = fmt_num(meta["lo"], is_int), fmt_num(meta["hi"], is_int)
    if lo is None and hi is None: return ""
    if hi is None: return f">= {lo}"
    return f"{lo} to {hi}"

def render(cls, schema_name, header, overrides=None, parent=None):
    overrides = overrides or {}
    sections = section_comments(cls.__name__)
    lines = [f"# {l}" if l else "#" for l in header.strip().splitlines()]
    lines += ["", "defaults:", f"  - {parent or schema_name}", "  - _self_", ""]
    obj = cls()
    for f in dataclasses.fields(cls):
        if parent and f.name not in overrides: continue
        if f.name in sections and not parent:
            if lines[-1] != "": lines.append("")
            lines.append(f"# === {sections[f.name]} ===")
        default = getattr(obj, f.name)
        meta = f.metadata
        unit, source = meta.get("unit", ""), meta.get("source", "")
        rng = fmt_range(meta, f.type, default)
        parts = [p for p in (unit, rng) if p]
        comment = "; ".join(parts)
        if source: comment += f". Source: {source}" if comment else f"Source: {source}"
        value = overrides.get(f.name, default)
        lines += ["# " + l for l in textwrap.wrap(comment, 98, break_on_hyphens=False)]
        lines.append(f"{f.name}: {fmt_value(value)}")
    return "\n".join(lines).rstrip() + "\n"

if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "configs"
    specs = {
        "market/default.yaml": (C.MarketConfig, "market_schema", """
market: the world the levers act on (uncertainties in the XLRM frame).
Populations, wages, credit, and how workers, recruiters and employers behave.
Calibration and sensitivity analysis vary these; policy scenarios leave them alone.
Every key of the group is listed with its default; the comment gives the unit,
the allowed range (checked at start-up) and where the default comes from.
Money is in US dollars; *_months values are months of destination wage
unless the comment says otherwise.
Change one value: recruitsim market.n_workers=2000"""),
        "policy/no_rule.yaml": (C.PolicyConfig, "policy_schema", """
policy: the state's levers. This option is the status quo: no rule on what
recruiters may charge workers and no inspections.
Every key of the group is listed with its default; the other policy options
start from this file and change only a few keys.
Comments give the unit, the allowed range (checked at start-up) and the source.
Run it: recruitsim policy=no_rule"""),
        "certification/voluntary.yaml": (C.CertificationConfig, "certification_schema", """
certification: the IRIS-like voluntary scheme and its audit design.
This option makes the label available to recruiters who choose to train and be audited.
Every key of the group is listed with its default; comments give the unit,
the allowed range (checked at start-up) and the source.
Run it: recruitsim certification=voluntary"""),
        "society/default.yaml": (C.SocietyConfig, "society_schema", """
society: levers held by workers' organisations and buyers (a worker rating
platform, brands' supply-chain commitments).
Every key of the group is listed with its default; comments give the unit,
the allowed range (checked at start-up) and the source.
Change one value: recruitsim society.platform_enabled=true"""),
        "run/default.yaml": (C.RunConfig, "run_schema", """
run: how long to simulate and how to summarise.
Every key of the group is listed with its default; comments give the unit,
the allowed range (checked at start-up) and the source.
Change one value: recruitsim run.steps=120"""),
    }
    for rel, (cls, schema, header) in specs.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(render(cls, schema, header))
        print("wrote", p)
