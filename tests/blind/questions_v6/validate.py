"""Check questions.jsonl of blind question set v6. Run: python3 validate.py"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

KINDS = ["why_not", "cost", "side_question", "pushback"]
APPROACHES = {"prompt_engineering", "rag", "collect_data", "lora_finetune", "full_finetune", "preference_tuning",
              "continued_pretraining", "pretrain_from_scratch", "stronger_base_model", "rag_and_finetune"}
KEYS = ["id", "kind", "context", "text", "target", "must_address", "must_not"]
CONTEXT_KEYS = ["opening", "facts_stated"]


def main(path):
    errors = []
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: invalid JSON: {e}")
    ids, texts, openings, kinds, targets = Counter(), Counter(), Counter(), Counter(), Counter()
    for n, r in rows:
        if not isinstance(r, dict):
            errors.append(f"line {n}: not an object"); continue
        if list(r) != KEYS:
            errors.append(f"line {n}: keys {list(r)} != {KEYS}"); continue
        if not isinstance(r["context"], dict) or list(r["context"]) != CONTEXT_KEYS:
            errors.append(f"line {n}: context keys wrong")
        else:
            for k in CONTEXT_KEYS:
                if not isinstance(r["context"][k], str) or not r["context"][k].strip():
                    errors.append(f"line {n}: context.{k} empty")
            openings[r["context"]["opening"]] += 1
        kind = r["kind"]
        if kind not in KINDS:
            errors.append(f"line {n}: unknown kind {kind!r}")
        m = re.fullmatch(r"v6-(why_not|cost|side_question|pushback)-(\d\d)", str(r["id"]))
        if not m or m.group(1) != kind:
            errors.append(f"line {n}: bad id {r['id']!r}")
        ids[r["id"]] += 1
        kinds[kind] += 1
        if not isinstance(r["text"], str) or not r["text"].strip():
            errors.append(f"line {n}: empty text")
        texts[r["text"]] += 1
        if kind == "why_not":
            if r["target"] not in APPROACHES:
                errors.append(f"line {n}: why_not target {r['target']!r} is not an approach id")
            targets[r["target"]] += 1
        elif r["target"] is not None:
            errors.append(f"line {n}: target must be null for {kind}")
        ma, mn = r["must_address"], r["must_not"]
        if not (isinstance(ma, list) and 2 <= len(ma) <= 4 and all(isinstance(x, str) and x.strip() for x in ma)):
            errors.append(f"line {n}: must_address needs 2-4 non-empty strings")
        if not (isinstance(mn, list) and 1 <= len(mn) <= 2 and all(isinstance(x, str) and x.strip() for x in mn)):
            errors.append(f"line {n}: must_not needs 1-2 non-empty strings")
    errors += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    errors += [f"duplicate text {t[:60]!r}" for t, c in texts.items() if c > 1]
    errors += [f"duplicate opening {t[:60]!r}" for t, c in openings.items() if c > 1]
    for k in KINDS:
        if kinds[k] != 12:
            errors.append(f"{k}: {kinds[k]} turns, expected 12")
        nums = sorted(int(i.rsplit("-", 1)[1]) for i in ids if i.startswith(f"v6-{k}-"))
        if nums != list(range(1, 13)):
            errors.append(f"{k}: ids not numbered 01-12: {nums}")
    missing = APPROACHES - set(targets)
    if missing:
        errors.append(f"approaches never targeted: {sorted(missing)}")
    if len(rows) != 48:
        errors.append(f"{len(rows)} lines, expected 48")
    noq = sum(1 for _, r in rows if isinstance(r, dict) and "?" not in str(r.get("text", "")))
    if errors:
        print("FAIL"); print("\n".join(errors)); return 1
    print(f"OK: {len(rows)} turns; per kind {dict(kinds)}; why_not targets {dict(sorted(targets.items()))}; "
          f"{noq} texts without a question mark")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("questions.jsonl")))
