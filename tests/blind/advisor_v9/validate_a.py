"""Checks utterances_a.jsonl (v9, writer A): JSON per line, ids, fact keys from DESIGN.md's vocabulary,
value types from v1's NOTE. Adapted from tests/blind/advisor_v4/validate.py (utterances part only)."""
import json, re, sys, pathlib, collections
here = pathlib.Path(__file__).parent
design = pathlib.Path("/work/shared/DESIGN.md")
text = design.read_text()
vocab = text.split("## The advisor's vocabulary")[1].split("## Command-line contracts")[0]
approaches = set(re.findall(r"^\| `(\w+)` \|", vocab, re.M))
tail = vocab.split("these keys exactly")[1]
facts_part = tail.split("One module")[0] if "One module" in tail else tail
fact_keys = set(re.findall(r"`(\w+)`", facts_part))
assert len(approaches) == 10 and len(fact_keys) == 15, (approaches, fact_keys)
CH = {"prompting_tried": {"none", "basic", "tried"}, "data_quality": {"low", "mixed", "high"},
      "knowledge_changes": {"static", "monthly", "weekly", "daily"},
      "data_sensitivity": {"public", "internal", "regulated"},
      "domain_novelty": {"familiar", "specialised", "novel"},
      "compute": {"none", "cpu", "single_gpu", "multi_gpu", "cluster"},
      "team": {"none", "generalist", "ml_engineers", "research"}}
LISTS = {"problem": {"knowledge", "format", "tone", "terminology", "reasoning", "language", "safety", "latency_cost"},
         "inference_constraints": {"cost", "volume", "latency", "on_device"}}
INTS = {"labeled_examples", "unlabeled_corpus", "preference_data", "budget", "timeline"}
errs = []
def check_value(where, k, v):
    if k not in fact_keys: errs.append(f"{where}: unknown fact {k}"); return
    if k in CH and v not in CH[k]: errs.append(f"{where}: {k}={v!r}")
    if k in LISTS and (not isinstance(v, list) or not set(v) <= LISTS[k] or len(set(v)) != len(v)): errs.append(f"{where}: {k}={v!r}")
    if k in INTS and (not isinstance(v, int) or isinstance(v, bool) or v < 0): errs.append(f"{where}: {k}={v!r}")
    if k == "weights_allowed" and not isinstance(v, bool): errs.append(f"{where}: {k}={v!r}")
ids, texts = set(), set()
rows = []
for n, line in enumerate((here / "utterances_a.jsonl").read_text().splitlines(), 1):
    r = json.loads(line); rows.append(r)
    w = f"utterances_a:{n}"
    if not {"id", "text", "asked", "facts"} <= set(r) or not set(r) <= {"id", "text", "asked", "facts", "note", "retracts", "prompt_meets_target"}:
        errs.append(f"{w}: keys {set(r)}")
    if list(r)[:4] != ["id", "text", "asked", "facts"]: errs.append(f"{w}: key order {list(r)}")
    if r["id"] != f"v9u-a{n:03d}": errs.append(f"{w}: id {r['id']}")
    if r["id"] in ids: errs.append(f"{w}: dup id")
    ids.add(r["id"])
    if not isinstance(r["text"], str) or not r["text"].strip(): errs.append(f"{w}: empty text")
    if (r["text"], r["asked"]) in texts: errs.append(f"{w}: duplicate text+asked {r['text']!r}")
    texts.add((r["text"], r["asked"]))
    if r["asked"] is not None and r["asked"] not in fact_keys: errs.append(f"{w}: asked {r['asked']}")
    if not isinstance(r["facts"], dict): errs.append(f"{w}: facts not an object"); continue
    for k, v in r["facts"].items(): check_value(w, k, v)
    for k in r.get("retracts", []):
        if k not in fact_keys: errs.append(f"{w}: retracts {k}")
    if r.get("retracts") and r["facts"]: errs.append(f"{w}: retraction row carries facts")
    if "note" in r and (not isinstance(r["note"], str) or not r["note"].strip()): errs.append(f"{w}: empty note")
    if "prompt_meets_target" in r and (r["prompt_meets_target"] is not True or r["facts"].get("prompting_tried") != "tried"):
        errs.append(f"{w}: prompt_meets_target")
if len(rows) < 230: errs.append(f"only {len(rows)} rows (< 230)")
asked = collections.Counter(r["asked"] for r in rows)
labelled = collections.Counter(k for r in rows for k in r["facts"])
for k in sorted(fact_keys):
    if asked[k] < 8: errs.append(f"fact {k} asked only {asked[k]} times")
    if labelled[k] < 10: errs.append(f"fact {k} labelled only {labelled[k]} times")
if "-v" in sys.argv:
    print(f"rows {len(rows)}; asked null {asked[None]}; facts empty {sum(1 for r in rows if not r['facts'])}; "
          f"retractions {sum(1 for r in rows if r.get('retracts'))}; multi-fact {sum(1 for r in rows if len(r['facts']) > 1)}; "
          f"prompt_meets_target {sum(1 for r in rows if r.get('prompt_meets_target'))}")
    print("| fact | asked | labelled |\n|---|---|---|")
    for k in ["problem", "prompting_tried", "labeled_examples", "data_quality", "knowledge_changes", "unlabeled_corpus",
              "preference_data", "data_sensitivity", "weights_allowed", "domain_novelty", "compute", "budget", "timeline",
              "team", "inference_constraints"]:
        print(f"| {k} | {asked[k]} | {labelled[k]} |")
print("\n".join(errs) or f"ok ({len(rows)} rows)")
sys.exit(1 if errs else 0)
