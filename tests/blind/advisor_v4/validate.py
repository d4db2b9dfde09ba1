"""Checks this folder's files: JSON per line, ids and keys from DESIGN.md's vocabulary, value types from v1's NOTE."""
import json, re, sys, pathlib
here = pathlib.Path(__file__).parent
sys.path.insert(0, str(here.parents[2]))  # the checkout, for tests.shared
from tests.shared import find  # noqa: E402 - ../shared found relative to the checkout, never by an absolute path

design = find("DESIGN.md")
if design is None:
    sys.exit("shared/DESIGN.md not found beside the checkout (or $TUNEWISE_SHARED)")
text = design.read_text()
vocab = text.split("## The advisor's vocabulary")[1].split("## Command-line contracts")[0]
approaches = set(re.findall(r"^\| `(\w+)` \|", vocab, re.M))
facts_part = vocab.split("these keys exactly")[1].split("One module")[0] if "One module" in vocab.split("these keys exactly")[1] else vocab.split("these keys exactly")[1]
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
for n, line in enumerate((here / "scenarios.jsonl").read_text().splitlines(), 1):
    s = json.loads(line)
    w = f"scenarios:{n}"
    if set(s) != {"id", "opening", "answers", "expect", "why"}: errs.append(f"{w}: keys {set(s)}")
    if s["id"] in ids: errs.append(f"{w}: dup id")
    ids.add(s["id"])
    if not 5 <= len(s["answers"]) <= 8: errs.append(f"{w}: {len(s['answers'])} answers")
    for k, v in s["answers"].items():
        if k not in fact_keys: errs.append(f"{w}: unknown fact {k}")
        if not isinstance(v, str) or not v.strip(): errs.append(f"{w}: answer {k} not text")
    if not 1 <= len(s["expect"]) <= 2 or not set(s["expect"]) <= approaches or len(set(s["expect"])) != len(s["expect"]):
        errs.append(f"{w}: expect {s['expect']}")
for n, line in enumerate((here / "utterances.jsonl").read_text().splitlines(), 1):
    r = json.loads(line)
    w = f"utterances:{n}"
    if not {"id", "text", "asked", "facts"} <= set(r) or not set(r) <= {"id", "text", "asked", "facts", "note", "retracts", "prompt_meets_target"}:
        errs.append(f"{w}: keys {set(r)}")
    if r["id"] in ids: errs.append(f"{w}: dup id")
    ids.add(r["id"])
    if r["asked"] is not None and r["asked"] not in fact_keys: errs.append(f"{w}: asked {r['asked']}")
    for k, v in r["facts"].items(): check_value(w, k, v)
    for k in r.get("retracts", []):
        if k not in fact_keys: errs.append(f"{w}: retracts {k}")
    if "prompt_meets_target" in r and (r["prompt_meets_target"] is not True or r["facts"].get("prompting_tried") != "tried"):
        errs.append(f"{w}: prompt_meets_target")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
