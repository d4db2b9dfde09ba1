"""Checks questions.jsonl for blind set v8."""
import json, re, sys, os
from collections import Counter
HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ["why_not", "cost", "side_question", "pushback"]
APPROACHES = ["prompt_engineering", "rag", "collect_data", "lora_finetune", "full_finetune", "preference_tuning",
              "continued_pretraining", "pretrain_from_scratch", "stronger_base_model", "rag_and_finetune"]
KEYS = ["id", "kind", "context", "text", "target", "must_address", "must_not"]
CKEYS = ["opening", "facts_stated"]
errs = []
rows = []
for n, line in enumerate(open(os.path.join(HERE, "questions.jsonl"), encoding="utf-8"), 1):
    try:
        r = json.loads(line)
    except Exception as e:
        errs.append(f"line {n}: invalid JSON {e}"); continue
    rows.append(r)
    if list(r) != KEYS: errs.append(f"line {n}: keys {list(r)}")
    if not isinstance(r.get("context"), dict) or list(r["context"]) != CKEYS: errs.append(f"line {n}: context keys")
    m = re.fullmatch(r"v8-(why_not|cost|side_question|pushback)-(\d\d)", r.get("id", ""))
    if not m or m.group(1) != r.get("kind"): errs.append(f"line {n}: bad id {r.get('id')}")
    if r.get("kind") not in KINDS: errs.append(f"line {n}: kind")
    if not (2 <= len(r.get("must_address", [])) <= 4): errs.append(f"line {n}: must_address count")
    if not (1 <= len(r.get("must_not", [])) <= 2): errs.append(f"line {n}: must_not count")
    for k in ("must_address", "must_not"):
        if not all(isinstance(x, str) and x.strip() for x in r.get(k, [])): errs.append(f"line {n}: empty {k}")
    if r.get("kind") == "why_not":
        if r.get("target") not in APPROACHES: errs.append(f"line {n}: target {r.get('target')}")
    elif r.get("target") is not None: errs.append(f"line {n}: target should be null")
    for k in ("text",):
        if not isinstance(r.get(k), str) or not r[k].strip(): errs.append(f"line {n}: empty text")
    for k in CKEYS:
        if not isinstance(r.get("context", {}).get(k), str) or not r["context"][k].strip(): errs.append(f"line {n}: empty {k}")
ids = [r["id"] for r in rows]
if len(set(ids)) != len(ids): errs.append("duplicate ids")
kinds = Counter(r["kind"] for r in rows)
for k in KINDS:
    if kinds[k] != 12: errs.append(f"{k}: {kinds[k]} turns, want 12")
    nums = sorted(int(r["id"][-2:]) for r in rows if r["kind"] == k)
    if nums != list(range(1, 13)): errs.append(f"{k}: numbering {nums}")
targets = Counter(r["target"] for r in rows if r["kind"] == "why_not")
missing = [a for a in APPROACHES if a not in targets]
if missing: errs.append(f"targets missing {missing}")
for field in ("text",):
    c = Counter(r[field].strip().lower() for r in rows)
    if any(v > 1 for v in c.values()): errs.append("duplicate texts")
c = Counter(r["context"]["opening"].strip().lower() for r in rows)
if any(v > 1 for v in c.values()): errs.append("duplicate openings")
noq = sum(1 for r in rows if "?" not in r["text"])
if errs:
    print("FAIL"); print("\n".join(errs)); sys.exit(1)
print(f"OK: {len(rows)} turns; per kind {dict(kinds)}; targets {dict((a, targets[a]) for a in APPROACHES)}; "
      f"{noq} texts without a question mark")
