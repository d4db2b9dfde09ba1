"""Checks utterances_a.jsonl (set v10, writer A): JSON per line, sequential unique ids, keys from DESIGN.md's
vocabulary, value types from v1's NOTE. Adapted from tests/blind/advisor_v4/validate.py."""
import json, re, sys, os, pathlib
here = pathlib.Path(__file__).parent
design = pathlib.Path(os.environ.get("TUNEWISE_SHARED", here.parent / "shared")) / "DESIGN.md"
if not design.exists():
    sys.exit(f"{design} not found (set $TUNEWISE_SHARED to the shared folder)")
text = design.read_text()
vocab = text.split("## The advisor's vocabulary")[1].split("## Command-line contracts")[0]
approaches = set(re.findall(r"^\| `(\w+)` \|", vocab, re.M))
facts_part = vocab.split("these keys exactly")[1].split("One module")[0]
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
ids = set()
asked = {k: 0 for k in fact_keys}
labelled = {k: 0 for k in fact_keys}
lines = (here / "utterances_a.jsonl").read_text().splitlines()
for n, line in enumerate(lines, 1):
    w = f"utterances_a:{n}"
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        errs.append(f"{w}: bad JSON {e}"); continue
    if list(r)[:4] != ["id", "text", "asked", "facts"] or not set(r) <= {"id", "text", "asked", "facts", "note", "retracts", "prompt_meets_target"}:
        errs.append(f"{w}: keys {list(r)}")
    if r.get("id") != f"v10u-a{n:03d}": errs.append(f"{w}: id {r.get('id')} not sequential")
    if r.get("id") in ids: errs.append(f"{w}: dup id")
    ids.add(r.get("id"))
    if not isinstance(r.get("text"), str) or not r["text"].strip(): errs.append(f"{w}: empty text")
    if r["asked"] is not None:
        if r["asked"] not in fact_keys: errs.append(f"{w}: asked {r['asked']}")
        else: asked[r["asked"]] += 1
    if not isinstance(r["facts"], dict): errs.append(f"{w}: facts not an object"); continue
    for k, v in r["facts"].items():
        check_value(w, k, v)
        if k in labelled: labelled[k] += 1
    if r["facts"].get("unlabeled_corpus") and "note" not in r: errs.append(f"{w}: corpus conversion without note")
    for k in r.get("retracts", []):
        if k not in fact_keys: errs.append(f"{w}: retracts {k}")
    if "retracts" in r and r["facts"]: errs.append(f"{w}: retraction with facts")
    if "prompt_meets_target" in r and (r["prompt_meets_target"] is not True or r["facts"].get("prompting_tried") != "tried"):
        errs.append(f"{w}: prompt_meets_target")
if len(lines) < 400: errs.append(f"only {len(lines)} rows (need 400)")
for k in sorted(fact_keys):
    if asked[k] < 8: errs.append(f"{k} asked only {asked[k]} times")
    if labelled[k] < 10: errs.append(f"{k} labelled only {labelled[k]} times")
print("\n".join(errs) or f"ok ({len(lines)} rows)")
sys.exit(1 if errs else 0)
