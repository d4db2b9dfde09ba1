"""Checks utterances_b.jsonl (blind set v10, writer B): JSON per line, ids, fact keys from DESIGN.md's vocabulary,
value types from v1's NOTE. Adapted from tests/blind/advisor_v4/validate.py: reads shared/DESIGN.md directly
(path from $TUNEWISE_SHARED or /work/shared) and checks only this file."""
import json, os, re, sys, pathlib, collections
here = pathlib.Path(__file__).parent
design = pathlib.Path(os.environ.get("TUNEWISE_SHARED", "/work/shared")) / "DESIGN.md"
if not design.exists():
    sys.exit(f"{design} not found")
text = design.read_text()
vocab = text.split("## The advisor's vocabulary")[1].split("## Command-line contracts")[0]
approaches = set(re.findall(r"^\| `(\w+)` \|", vocab, re.M))
facts_part = vocab.split("these keys exactly")[1]
facts_part = facts_part.split("One module")[0] if "One module" in facts_part else facts_part
fact_keys = set(re.findall(r"`(\w+)`", facts_part))
assert len(approaches) == 10 and len(fact_keys) == 15, (approaches, fact_keys)
CH = {"prompting_tried": {"none", "basic", "tried"}, "data_quality": {"low", "mixed", "high"},
      "knowledge_changes": {"static", "monthly", "weekly", "daily"},
      "data_sensitivity": {"public", "internal", "regulated"},
      "domain_novelty": {"familiar", "specialised", "novel"},
      "compute": {"none", "cpu", "single_gpu", "multi_gpu", "cluster"},
      "team": {"none", "generalist", "ml_engineers", "research"}}
LISTS = {"problem": {"knowledge", "format", "tone", "terminology", "reasoning", "language", "safety", "latency_cost"},
         "inference_constraints": {"cost", "latency", "volume", "on_device"}}
INTS = {"labeled_examples", "unlabeled_corpus", "preference_data", "budget", "timeline"}
errs = []
def check_value(where, k, v):
    if k not in fact_keys: errs.append(f"{where}: unknown fact {k}"); return
    if k in CH and v not in CH[k]: errs.append(f"{where}: {k}={v!r}")
    if k in LISTS and (not isinstance(v, list) or not set(v) <= LISTS[k] or len(set(v)) != len(v)): errs.append(f"{where}: {k}={v!r}")
    if k in INTS and (not isinstance(v, int) or isinstance(v, bool) or v < 0): errs.append(f"{where}: {k}={v!r}")
    if k == "weights_allowed" and not isinstance(v, bool): errs.append(f"{where}: {k}={v!r}")
ids = set(); count = collections.Counter(); n_rows = n_empty = n_null = n_pmt = n_retr = 0
path = here / "utterances_b.jsonl"
for n, line in enumerate(path.read_text().splitlines(), 1):
    w = f"utterances_b:{n}"
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        errs.append(f"{w}: bad JSON {e}"); continue
    n_rows += 1
    if not {"id", "text", "asked", "facts"} <= set(r) or not set(r) <= {"id", "text", "asked", "facts", "note", "retracts", "prompt_meets_target"}:
        errs.append(f"{w}: keys {set(r)}")
    if r.get("id") != f"v10u-b{n:03d}": errs.append(f"{w}: id {r.get('id')} (expected v10u-b{n:03d})")
    if r["id"] in ids: errs.append(f"{w}: dup id")
    ids.add(r["id"])
    if not isinstance(r["text"], str) or not r["text"].strip(): errs.append(f"{w}: empty text")
    if r["asked"] is not None and r["asked"] not in fact_keys: errs.append(f"{w}: asked {r['asked']}")
    if not isinstance(r["facts"], dict): errs.append(f"{w}: facts not an object"); continue
    for k, v in r["facts"].items(): check_value(w, k, v)
    count.update(r["facts"].keys())
    n_empty += not r["facts"]; n_null += r["asked"] is None
    for k in r.get("retracts", []):
        if k not in fact_keys: errs.append(f"{w}: retracts {k}")
    if "retracts" in r:
        n_retr += 1
        if r["facts"]: errs.append(f"{w}: a withdrawal should carry facts {{}}")
    if "prompt_meets_target" in r:
        n_pmt += 1
        if r["prompt_meets_target"] is not True or r["facts"].get("prompting_tried") != "tried":
            errs.append(f"{w}: prompt_meets_target")
    if "unlabeled_corpus" in r["facts"] and r["facts"]["unlabeled_corpus"] > 0 and "note" not in r:
        errs.append(f"{w}: corpus conversion without a note")
    if "note" in r and (not isinstance(r["note"], str) or not r["note"].strip()): errs.append(f"{w}: empty note")
if n_rows < 360: errs.append(f"only {n_rows} rows (< 360)")
for k in sorted(fact_keys):
    if count[k] < 10: errs.append(f"fact {k} labelled by only {count[k]} rows")
print(f"rows {n_rows}; asked null {n_null}; facts empty {n_empty}; retractions {n_retr}; prompt_meets_target {n_pmt}")
for k in sorted(fact_keys, key=lambda k: -count[k]): print(f"  {k}: {count[k]}")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
