"""Checks /work/blind_v9/scenarios.jsonl (adapted from tests/blind/advisor_v4/validate.py, scenario part only).

Reads only /work/shared/DESIGN.md (vocabulary), /work/shared/seeds/*.txt (for quoted rule sentences) and
scenarios.jsonl beside this file. Checks: every line is JSON with exactly the five keys; ids unique and contiguous
v9s-01..v9s-NN; non-empty opening; 5-8 non-empty text answers keyed by DESIGN.md's fact keys; 1-2 distinct
approach ids from DESIGN.md; `why` names "Rule N" and holds at least one curly-quoted sentence that occurs
verbatim in the seeds (whitespace normalised, a final full stop ignored); every approach first at least once.
Prints counts, then `ok` or the errors. Not a pytest file.
"""
import json, re, sys, pathlib, collections
here = pathlib.Path(__file__).parent
design = pathlib.Path("/work/shared/DESIGN.md")
text = design.read_text()
vocab = text.split("## The advisor's vocabulary")[1].split("## Command-line contracts")[0]
approaches = set(re.findall(r"^\| `(\w+)` \|", vocab, re.M))
facts_part = vocab.split("these keys exactly")[1]
facts_part = facts_part.split("One module")[0] if "One module" in facts_part else facts_part
fact_keys = set(re.findall(r"`(\w+)`", facts_part))
assert len(approaches) == 10 and len(fact_keys) == 15, (approaches, fact_keys)
norm = lambda s: re.sub(r"\s+", " ", s).strip()
seeds = norm(" ".join(p.read_text() for p in sorted(pathlib.Path("/work/shared/seeds").glob("*.txt"))))

errs = []
rows = [json.loads(l) for l in (here / "scenarios.jsonl").read_text().splitlines()]
ids = []
first = collections.Counter(); anywhere = collections.Counter(); n_answers = collections.Counter()
for n, s in enumerate(rows, 1):
    w = f"scenarios:{n}"
    if set(s) != {"id", "opening", "answers", "expect", "why"}:
        errs.append(f"{w}: keys {sorted(s)}"); continue
    ids.append(s["id"])
    if not isinstance(s["opening"], str) or not s["opening"].strip(): errs.append(f"{w}: empty opening")
    if not isinstance(s["answers"], dict) or not 5 <= len(s["answers"]) <= 8: errs.append(f"{w}: {len(s['answers'])} answers")
    n_answers[len(s["answers"])] += 1
    for k, v in s["answers"].items():
        if k not in fact_keys: errs.append(f"{w}: unknown fact {k}")
        if not isinstance(v, str) or not v.strip(): errs.append(f"{w}: answer {k} not text")
    e = s["expect"]
    if not isinstance(e, list) or not 1 <= len(e) <= 2 or not set(e) <= approaches or len(set(e)) != len(e):
        errs.append(f"{w}: expect {e}")
    else:
        first[e[0]] += 1
        for a in e: anywhere[a] += 1
    why = s["why"]
    if not isinstance(why, str) or not re.search(r"\bRule (10|[1-9])\b", why): errs.append(f"{w}: why names no rule")
    quotes = re.findall(r"“([^”]+)”", why if isinstance(why, str) else "")
    if not quotes: errs.append(f"{w}: why quotes no seed sentence")
    for q in quotes:
        qn = norm(q).rstrip(".")
        if qn not in seeds: errs.append(f"{w}: quote not verbatim in seeds: {q[:60]!r}")
if len(set(ids)) != len(ids): errs.append("duplicate ids")
if ids != [f"v9s-{i:02d}" for i in range(1, len(ids) + 1)]: errs.append("ids are not v9s-01..v9s-NN in order")
for a in sorted(approaches):
    if first[a] < 1: errs.append(f"approach {a} never first")
print(f"scenarios: {len(rows)}; answers per scenario: {dict(sorted(n_answers.items()))}")
print(f"{'approach':24} first anywhere")
for a in sorted(approaches, key=lambda a: (-first[a], a)):
    print(f"{a:24} {first[a]:5} {anywhere[a]:8}")
print("second choices:", {s['id']: s['expect'][1] for s in rows if isinstance(s.get('expect'), list) and len(s['expect']) == 2})
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
