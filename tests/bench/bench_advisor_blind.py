"""The advisor on a blind evaluation set (tests/blind/advisor_v1, written by someone who never saw the code).

    .venv/bin/python tests/bench/bench_advisor_blind.py                     # scenarios + utterances, summary
    .venv/bin/python tests/bench/bench_advisor_blind.py --failures          # … plus every miss, for reading
    .venv/bin/python tests/bench/bench_advisor_blind.py --set tests/blind/advisor_v2 --json

Measures three things, each through the product's own code path:

1. **Scenario top-1**: each scripted user runs through `agent.terminal.run_scenario` (the `tunewise advise` path:
   offline brain, question policy, engine). top-1 = the advisor's approach is the set's first `expect` id;
   "acceptable" = it is any `expect` id. Also the number of questions asked (median, max).
2. **Per-fact precision / recall / F1 on the utterances**: each single answer is read by the offline reader
   (`agent.extract.extract(text, asked)`), exactly as a turn reads it, and compared fact by fact with the labels.
   Only findings the advisor would hold count (confidence ≥ `agent.extract.HOLD`); a lower one is a read-back
   question to the user ("did I get that right?"), never a fact until confirmed.
   For one utterance and one fact: a finding whose value matches the label is a true positive; a finding with a
   different value counts as both a false positive and a false negative; a finding for a fact the label does not
   state is a false positive; a labelled fact with no finding is a false negative. Retractions (`retracts`) and
   "the prompt already meets the target" (`prompt_meets_target`) are scored the same way, as two extra rows.
3. Nothing else: the guidance index is not consulted (citations do not change the approach), so the run needs no
   index build. `knowledge.search` is replaced by a stub that returns no passage, which the brain handles as an
   index that cannot answer.

## How the set's labels map onto the code's values (explicit, one table per fact)

The blind set wrote its own value vocabulary (its NOTE.md). Each label is mapped to the set of code values that
say the same thing; a finding matches when its value is in that set. The mapping follows the meaning of the
labels as NOTE.md defines them, never what the reader happens to output.

- `problem` / `inference_constraints` (lists): compared as sets after mapping each blind tag to code tags
  (`BLIND_PROBLEM`, `BLIND_SERVING`). A code tag that the blind vocabulary cannot express (`task`, `domain`,
  `plateau`, `lora_plateau`, `single_task`) is dropped from the finding before comparing; a blind tag the code
  cannot express (`language`, `safety`, when the code has no such tag) can never be matched — that is a miss.
- `prompting_tried`: none, basic → the same; tried → tried or meets_target (the code's value for serious
  prompting that already reaches the target; the set marks that case with `prompt_meets_target`, scored as its
  own row: read when the code's value is meets_target).
- `knowledge_changes`: static → static; monthly / weekly / daily → frequent (the code's "frequent" is
  "daily…monthly"). The code's "occasional" (a few times a year) has no blind label and never matches.
- `data_sensitivity`: public → public; internal → confidential ("own cloud account is fine"); regulated →
  on_prem or air_gapped (NOTE.md: "anything that must stay on-prem", classified material).
- `weights_allowed`: true → "yes", false → "no".
- `domain_novelty`: familiar → covered; specialised → partial; novel → novel.
- `compute`: none / cpu → 0 GPUs; single_gpu → 1 GPU; multi_gpu → 2–15 GPUs, not a cluster; cluster → access
  "cluster" or ≥ 16 GPUs.
- `team`: none → none; generalist → software; ml_engineers → ml; research → pretraining.
- counts and amounts (`labeled_examples`, `unlabeled_corpus`, `preference_data`, `budget`, `timeline`): equal
  within ±10%; 0 only matches 0. Where the label's `note` names a conversion factor (pages, words, bytes,
  documents → tokens), within a factor of 2, because the factor itself is a convention (the set uses 500 tokens a
  page and 1,000 a document; the code states its own).

When the code's vocabulary changes (trainer/state/vocabulary.py), these tables change with it, in this file only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()

DEFAULT_SET = ROOT / "tests" / "blind" / "advisor_v1"
RELATIVE_TOLERANCE = 0.10  # a stated count read within ±10% is right ("about 5,000" → 5,000)
CONVERSION_FACTOR = 2.0  # a converted amount (pages → tokens) within a factor of 2 is right

# ---- the label mapping (blind value → code values that say the same) --------------------------------------------
BLIND_PROBLEM = {
    "knowledge": {"knowledge", "hallucination"},  # "makes up facts about our products" is a knowledge gap
    "format": {"format"}, "tone": {"tone"}, "terminology": {"terminology"}, "reasoning": {"reasoning"},
    "latency_cost": {"cost", "latency"}, "language": {"language"}, "safety": {"safety"},
}
BLIND_SERVING = {"cost": {"cost"}, "latency": {"latency"}, "volume": {"volume"}, "on_device": {"on_device"}}
BLIND_CHOICES = {
    # the code's "meets_target" is serious prompting that already reaches the target: a kind of "tried"
    "prompting_tried": {"none": {"none"}, "basic": {"basic"}, "tried": {"tried", "meets_target"}},
    "data_quality": {"low": {"low"}, "mixed": {"mixed"}, "high": {"high"}},
    "knowledge_changes": {"static": {"static"}, "monthly": {"frequent"}, "weekly": {"frequent"},
                          "daily": {"frequent"}},
    "data_sensitivity": {"public": {"public"}, "internal": {"confidential"}, "regulated": {"on_prem", "air_gapped"}},
    "weights_allowed": {True: {"yes"}, False: {"no"}},
    "domain_novelty": {"familiar": {"covered"}, "specialised": {"partial"}, "novel": {"novel"}},
    "team": {"none": {"none"}, "generalist": {"software"}, "ml_engineers": {"ml"}, "research": {"pretraining"}},
}
NUMBERS = ("labeled_examples", "unlabeled_corpus", "preference_data", "budget", "timeline")


def _code_tags(fact: str, value: Any) -> frozenset:
    """A list finding reduced to the tags the blind vocabulary can express."""
    table = BLIND_PROBLEM if fact == "problem" else BLIND_SERVING
    expressible = set().union(*table.values())
    return frozenset(t for t in (value or []) if t in expressible)


def _compute_class(value: dict | None) -> str | None:
    if not isinstance(value, dict):
        return None
    gpus = int(value.get("gpus") or 0)
    if value.get("access") == "cluster" or gpus >= 16:
        return "cluster"
    return "zero" if gpus == 0 else "single" if gpus == 1 else "multi"


BLIND_COMPUTE = {"none": "zero", "cpu": "zero", "single_gpu": "single", "multi_gpu": "multi", "cluster": "cluster"}


def matches(fact: str, label: Any, value: Any, converted: bool = False) -> bool:
    """Does the reader's `value` say what the blind `label` says (see the module docstring)?"""
    if value is None:
        return False
    if fact in ("problem", "inference_constraints"):
        table = BLIND_PROBLEM if fact == "problem" else BLIND_SERVING
        found = _code_tags(fact, value)
        wanted = [table.get(tag, {tag}) for tag in label]
        # every labelled tag is said by one of the found tags, and every found tag says a labelled one
        return all(found & w for w in wanted) and all(any(t in w for w in wanted) for t in found) and (
            bool(found) == bool(wanted))
    if fact == "compute":
        return _compute_class(value) == BLIND_COMPUTE[label]
    if fact in NUMBERS:
        try:
            got, want = float(value), float(label)
        except (TypeError, ValueError):
            return False
        if want == 0 or got == 0:
            return want == got
        if converted:
            return 1 / CONVERSION_FACTOR <= got / want <= CONVERSION_FACTOR
        return abs(got - want) <= RELATIVE_TOLERANCE * abs(want)
    return value in BLIND_CHOICES[fact][label]


# ---- reading the set --------------------------------------------------------------------------------------------

def load(folder: Path, name: str) -> list[dict]:
    path = folder / name
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc.msg})") from None
    return rows


def _stub_guidance() -> None:
    import knowledge

    def no_passages(query, k=3, approach=None, topic=None):
        return []  # citations do not change the approach; see the module docstring

    knowledge.search = no_passages


# ---- 1. scenarios -----------------------------------------------------------------------------------------------

def score_scenarios(scenarios: list[dict]) -> dict:
    from agent.terminal import run_scenario
    from trainer.state.errors import UserError

    rows = []
    for scenario in scenarios:
        try:
            result = run_scenario(scenario)
        except UserError as exc:  # e.g. the scripted answers ran out before a recommendation: a miss, not a crash
            result = {"approach": f"(none: {exc})", "questions": [], "facts": {}}
        rows.append({"id": scenario["id"], "expect": scenario["expect"], "approach": result["approach"],
                     "questions": [q["fact"] for q in result["questions"]], "facts": result.get("facts", {}),
                     "top1": result["approach"] == scenario["expect"][0],
                     "acceptable": result["approach"] in scenario["expect"]})
    counts = [len(r["questions"]) for r in rows]
    return {
        "scenarios": len(rows),
        "top1": sum(r["top1"] for r in rows) / len(rows),
        "acceptable": sum(r["acceptable"] for r in rows) / len(rows),
        "questions_median": statistics.median(counts), "questions_max": max(counts),
        "rows": rows,
    }


# ---- 2. utterances ----------------------------------------------------------------------------------------------

def read_utterance(text: str, asked: str | None) -> tuple[dict[str, Any], set[str], bool]:
    """What the offline reader makes of one message: ({fact: value}, facts retracted, prompt meets target)."""
    from agent.extract import HOLD, extract

    found = extract(text, asked=asked)
    values = {f.fact: f.value for f in found.findings if f.confidence >= HOLD}
    return values, set(found.retracts), values.get("prompting_tried") == "meets_target"


def score_utterances(utterances: list[dict]) -> dict:
    tally: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for u in utterances:
        got, retracted, meets = read_utterance(u["text"], u.get("asked"))
        labels = u.get("facts") or {}
        converted = bool(u.get("note")) and any(w in u["note"].lower() for w in ("token", "page", "word", "gb",
                                                                                 "document"))
        wrong = []
        for fact in sorted(set(labels) | set(got)):
            if fact in labels and fact in got:
                if matches(fact, labels[fact], _comparable(fact, got[fact]), converted):
                    tally[fact]["tp"] += 1
                    continue
                tally[fact]["fp"] += 1
                tally[fact]["fn"] += 1
            elif fact in labels:
                tally[fact]["fn"] += 1
            else:
                tally[fact]["fp"] += 1
            wrong.append({"fact": fact, "label": labels.get(fact), "read": got.get(fact)})
        for fact in sorted(set(u.get("retracts") or []) | retracted):
            key = "retraction"
            said, read = fact in (u.get("retracts") or []), fact in retracted
            tally[key]["tp" if said and read else "fn" if said else "fp"] += 1
            if not (said and read):
                wrong.append({"fact": key, "label": fact if said else None, "read": fact if read else None})
        said_meets = bool(u.get("prompt_meets_target"))
        if said_meets or meets:
            tally["prompt_meets_target"]["tp" if said_meets and meets else "fn" if said_meets else "fp"] += 1
            if not (said_meets and meets):
                wrong.append({"fact": "prompt_meets_target", "label": said_meets, "read": meets})
        if wrong:
            misses.append({"id": u["id"], "asked": u.get("asked"), "text": u["text"][:300], "wrong": wrong})
    table = {}
    for fact, c in sorted(tally.items()):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        table[fact] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3), **dict(c)}
    facts_only = [v for k, v in table.items() if k not in ("retraction", "prompt_meets_target")]
    return {
        "utterances": len(utterances), "exact": 1 - len(misses) / len(utterances),
        "per_fact": table, "min_f1": min(v["f1"] for v in facts_only),
        "macro_f1": round(sum(v["f1"] for v in facts_only) / len(facts_only), 3),
        "misses": misses,
    }


def _comparable(fact: str, value: Any) -> Any:
    """A typed finding as `matches` compares it: enum members by their value, counts as numbers."""
    if hasattr(value, "value") and not isinstance(value, (int, float, str, list, dict)):
        return value.value  # an Enum member
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="folder with scenarios.jsonl, utterances.jsonl")
    parser.add_argument("--failures", action="store_true", help="print every miss")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parser.add_argument("--only", choices=("scenarios", "utterances"), help="run one half only")
    args = parser.parse_args()
    if not os.environ.get("TUNEWISE_HOME"):
        os.environ["TUNEWISE_HOME"] = tempfile.mkdtemp(prefix="tunewise-blind-")
    _stub_guidance()
    result: dict[str, Any] = {"set": str(args.set)}
    if args.only != "utterances":
        result["scenarios"] = score_scenarios(load(args.set, "scenarios.jsonl"))
    if args.only != "scenarios":
        result["utterances"] = score_utterances(load(args.set, "utterances.jsonl"))
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    if "scenarios" in result:
        s = result["scenarios"]
        if args.failures:
            for r in s["rows"]:
                if not r["top1"]:
                    print(f"[scenario] {r['id']}: got {r['approach']}, expect {r['expect']}; asked {r['questions']}")
                    print(f"           held {json.dumps({k: v for k, v in r['facts'].items() if v is not None})}")
        print(f"scenarios: {s['scenarios']}  top-1 {s['top1']:.1%}  acceptable {s['acceptable']:.1%}  "
              f"questions median {s['questions_median']} max {s['questions_max']}")
    if "utterances" in result:
        u = result["utterances"]
        if args.failures:
            for m in u["misses"]:
                print(f"[utterance] {m['id']} asked={m['asked']}: {m['text'][:160]!r}")
                for w in m["wrong"]:
                    print(f"            {w['fact']}: label {w['label']!r}, read {w['read']!r}")
        print(f"utterances: {u['utterances']}  all facts right {u['exact']:.1%}  macro F1 {u['macro_f1']}  "
              f"min F1 {u['min_f1']}")
        for fact, v in u["per_fact"].items():
            print(f"  {fact:22s} P {v['precision']:.2f}  R {v['recall']:.2f}  F1 {v['f1']:.2f}  "
                  f"(tp {v.get('tp', 0)}, fp {v.get('fp', 0)}, fn {v.get('fn', 0)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
