"""Checks questions.jsonl for blind set v7. Run: python validate.py"""
import json, re, sys
from collections import Counter
from pathlib import Path

KINDS = ["why_not", "cost", "side_question", "pushback"]
APPROACHES = {"prompt_engineering", "rag", "collect_data", "lora_finetune", "full_finetune", "preference_tuning",
              "continued_pretraining", "pretrain_from_scratch", "stronger_base_model", "rag_and_finetune"}
KEYS = ["id", "kind", "context", "text", "target", "must_address", "must_not"]
CTX = ["opening", "facts_stated"]
errors = []
rows = []
for i, line in enumerate(Path(__file__).with_name("questions.jsonl").read_text(encoding="utf-8").splitlines(), 1):
    try:
        rows.append(json.loads(line))
    except json.JSONDecodeError as e:
        errors.append(f"line {i}: invalid JSON: {e}")
ids = Counter(r.get("id") for r in rows)
for r in rows:
    rid = r.get("id")
    if list(r) != KEYS:
        errors.append(f"{rid}: keys {list(r)}")
    if not isinstance(r.get("context"), dict) or list(r["context"]) != CTX:
        errors.append(f"{rid}: context keys")
    if r.get("kind") not in KINDS:
        errors.append(f"{rid}: kind {r.get('kind')}")
    if not re.fullmatch(rf"v7-{re.escape(str(r.get('kind')))}-(0[1-9]|1[0-2])", str(rid)):
        errors.append(f"{rid}: malformed id")
    if ids[rid] > 1:
        errors.append(f"{rid}: duplicate id")
    for k in ("text",):
        if not isinstance(r.get(k), str) or not r[k].strip():
            errors.append(f"{rid}: empty {k}")
    for k in CTX:
        if not isinstance(r.get("context", {}).get(k), str) or not r["context"][k].strip():
            errors.append(f"{rid}: empty context.{k}")
    ma, mn = r.get("must_address"), r.get("must_not")
    if not (isinstance(ma, list) and 2 <= len(ma) <= 4 and all(isinstance(x, str) and x for x in ma)):
        errors.append(f"{rid}: must_address count")
    if not (isinstance(mn, list) and 1 <= len(mn) <= 2 and all(isinstance(x, str) and x for x in mn)):
        errors.append(f"{rid}: must_not count")
    if r.get("kind") == "why_not":
        if r.get("target") not in APPROACHES:
            errors.append(f"{rid}: target {r.get('target')}")
    elif r.get("target") is not None:
        errors.append(f"{rid}: target must be null")
per_kind = Counter(r.get("kind") for r in rows)
for k in KINDS:
    if per_kind[k] != 12:
        errors.append(f"{k}: {per_kind[k]} turns, want 12")
targets = Counter(r["target"] for r in rows if r.get("kind") == "why_not")
missing = APPROACHES - set(targets)
if missing:
    errors.append(f"targets missing: {sorted(missing)}")
for field, get in (("text", lambda r: r.get("text")), ("opening", lambda r: r.get("context", {}).get("opening"))):
    c = Counter(" ".join(str(get(r)).lower().split()) for r in rows)
    for v, n in c.items():
        if n > 1:
            errors.append(f"duplicate {field}: {v[:60]}")
if len(rows) != 48:
    errors.append(f"{len(rows)} turns, want 48")
if errors:
    print("FAIL"); print("\n".join(errors)); sys.exit(1)
noq = sum(1 for r in rows if "?" not in r["text"])
print(f"OK: {len(rows)} turns; per kind {dict(per_kind)}; targets {dict(targets)}; "
      f"{noq} texts without a question mark")
