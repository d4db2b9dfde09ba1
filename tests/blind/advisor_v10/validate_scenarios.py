"""Checks /work/blind_v10/scenarios.jsonl: adapted from tests/blind/advisor_v4/validate.py (scenario part only).

Reads DESIGN.md's vocabulary by absolute path (approach ids and fact keys), the seed articles (to check that
every quotation in `why` occurs verbatim), and the scenarios file. Prints the counts and `ok`, or the errors.
"""
import json, re, sys, pathlib, collections
here = pathlib.Path(__file__).parent
design = pathlib.Path("/work/shared/DESIGN.md").read_text()
vocab = design.split("## The advisor's vocabulary")[1].split("## Command-line contracts")[0]
approaches = set(re.findall(r"^\| `(\w+)` \|", vocab, re.M))
facts_part = vocab.split("these keys exactly")[1]
fact_keys = set(re.findall(r"`(\w+)`", facts_part))
assert len(approaches) == 10 and len(fact_keys) == 15, (approaches, fact_keys)
norm = lambda t: re.sub(r"\s+", " ", t).strip()
seeds = norm(" ".join(p.read_text() for p in sorted(pathlib.Path("/work/shared/seeds").glob("*.txt"))))
errs, ids = [], []
first, anywhere, n_answers = collections.Counter(), collections.Counter(), collections.Counter()
lines = (here / "scenarios.jsonl").read_text().splitlines()
for n, line in enumerate(lines, 1):
    w = f"scenarios:{n}"
    try:
        s = json.loads(line)
    except json.JSONDecodeError as e:
        errs.append(f"{w}: bad JSON {e}"); continue
    if set(s) != {"id", "opening", "answers", "expect", "why"}: errs.append(f"{w}: keys {set(s)}"); continue
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
    if not re.search(r"\bRule \d+\b", why): errs.append(f"{w}: why names no rule")
    quotes = re.findall(r"“([^”]+)”", why)
    if not quotes: errs.append(f"{w}: why quotes no seed sentence")
    for q in quotes:
        for part in q.split("…"):
            part = norm(part).rstrip(".").strip()
            if part and part not in seeds: errs.append(f"{w}: quote not in seeds: {part[:70]!r}")
if len(set(ids)) != len(ids): errs.append("duplicate ids")
want = [f"v10s-{i:02d}" for i in range(1, len(lines) + 1)]
if ids != want and sorted(ids) != want: errs.append("ids are not v10s-01..v10s-NN")
if len(lines) != 70: errs.append(f"{len(lines)} rows, want 70")
for a in approaches:
    if first[a] == 0: errs.append(f"approach {a} never first")
print(f"rows {len(lines)}; answers per scenario {dict(sorted(n_answers.items()))}")
for a in sorted(approaches, key=lambda a: -first[a]): print(f"  {a:24s} first {first[a]:2d}  anywhere {anywhere[a]:2d}")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
