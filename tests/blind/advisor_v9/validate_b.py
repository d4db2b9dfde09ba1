"""v4's validate.py, adapted to check only utterances_b.jsonl (set v9, writer B).

Reads /work/shared/DESIGN.md by absolute path. Checks: JSON per line, allowed keys, ids v9u-bNNN sequential and
unique, non-empty text, `asked` and fact keys from DESIGN.md's vocabulary, value types from v1's NOTE, `retracts`
a non-empty list of fact keys on rows with no facts, `prompt_meets_target` only with prompting_tried "tried",
every fact key asked >= 8 times and labelled >= 12 times, at least 230 rows. Prints counts with -v."""
import json, re, sys, pathlib, collections
here = pathlib.Path(__file__).parent
text = pathlib.Path("/work/shared/DESIGN.md").read_text()
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
ids = set(); texts = set()
asked = collections.Counter(); labelled = collections.Counter()
rows = (here / "utterances_b.jsonl").read_text().splitlines()
stats = collections.Counter()
for n, line in enumerate(rows, 1):
    w = f"utterances_b:{n}"
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        errs.append(f"{w}: {e}"); continue
    if list(r)[:4] != ["id", "text", "asked", "facts"] or not set(r) <= {"id", "text", "asked", "facts", "note", "retracts", "prompt_meets_target"}:
        errs.append(f"{w}: keys {list(r)}")
    if r["id"] != f"v9u-b{n:03d}": errs.append(f"{w}: id {r['id']}")
    if r["id"] in ids: errs.append(f"{w}: dup id")
    ids.add(r["id"])
    if not isinstance(r["text"], str) or not r["text"].strip(): errs.append(f"{w}: empty text")
    if r["text"] in texts: errs.append(f"{w}: duplicate text")
    texts.add(r["text"])
    if r["asked"] is not None and r["asked"] not in fact_keys: errs.append(f"{w}: asked {r['asked']}")
    if r["asked"] is None: stats["asked null"] += 1
    else: asked[r["asked"]] += 1
    if not isinstance(r["facts"], dict): errs.append(f"{w}: facts not a dict"); continue
    for k, v in r["facts"].items():
        check_value(w, k, v); labelled[k] += 1
    if not r["facts"]: stats["facts == {}"] += 1
    if len(r["facts"]) >= 2: stats["two or more facts"] += 1
    if "retracts" in r:
        stats["retractions"] += 1
        if not isinstance(r["retracts"], list) or not r["retracts"] or not set(r["retracts"]) <= fact_keys:
            errs.append(f"{w}: retracts {r['retracts']}")
        if r["facts"]: errs.append(f"{w}: retraction row with facts")
    if "note" in r and (not isinstance(r["note"], str) or not r["note"].strip()): errs.append(f"{w}: empty note")
    if "prompt_meets_target" in r:
        stats["prompt_meets_target"] += 1
        if r["prompt_meets_target"] is not True or r["facts"].get("prompting_tried") != "tried":
            errs.append(f"{w}: prompt_meets_target")
    if r["asked"] is not None and r["facts"] and r["asked"] not in r["facts"]: stats["states another fact than asked"] += 1
for k in sorted(fact_keys):
    if asked[k] < 8: errs.append(f"{k}: asked only {asked[k]} times")
    if labelled[k] < 12: errs.append(f"{k}: labelled only {labelled[k]} times")
if len(rows) < 230: errs.append(f"only {len(rows)} rows")
if "-v" in sys.argv:
    print(f"rows: {len(rows)}")
    for k, v in sorted(stats.items()): print(f"{k}: {v}")
    print("| fact | asked | labelled |\n|---|---|---|")
    for k in ["problem", "prompting_tried", "labeled_examples", "data_quality", "knowledge_changes", "unlabeled_corpus",
              "preference_data", "data_sensitivity", "weights_allowed", "domain_novelty", "compute", "budget",
              "timeline", "team", "inference_constraints"]:
        print(f"| {k} | {asked[k]} | {labelled[k]} |")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
