"""Turning the advisor's events, stored transcripts, validation reports, job summaries and evaluation reports into
chat messages (Gradio's message dicts: {role, content, metadata?, options?}) and markdown. Pure functions: no
database, no Gradio import, so every card is testable on its own.

Options on a message become buttons inside the chat; their `value` is an action string the app dispatches:
    say:TEXT          send TEXT as the user's message (example openings, "launch")
    approve:JOB_ID    the user's Approve click
    reject:JOB_ID     the user's Reject click
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any, Iterable

from agent.answers import prose_html
from agent.plan import config_summary
from agent.verdicts import VERDICT_LABELS
from trainer.progress import PHASE_LABELS, PHASES
from trainer.scoring import LABELS as METRIC_LABELS
from trainer.state.vocabulary import APPROACH_IDS, JOB_STATE_LABELS, JobState, approach_label

# ---------------------------------------------------------------------------------------------------------------
# Welcome

WELCOME = (
    "### Hi, I'm tunewise.\n"
    "Tell me what you want a model to do and, if you have tried one, what goes wrong. I'll ask only the questions "
    "that could change my advice, then recommend **prompting, retrieval (RAG), fine-tuning or pretraining** — with reasons, costs "
    "and sources. If training is worth it, drop your data file here, review the plan, press **Approve**, and watch "
    "the run and its honest evaluation right in this chat.\n\n"
    "Pick an example to start, or write your own:"
)

# Openings a user can click (short versions of what teams tell us; see shared/scenarios).
EXAMPLE_OPENINGS = [
    ("Support bot with changing docs",
     "Our support assistant answers product questions, but the docs change every week and it gives outdated answers."),
    ("JSON extraction from invoices",
     "We need a model to turn invoices into strict JSON. Prompting gets the format wrong about 20% of the time; "
     "we have about 3,000 labeled examples."),
    ("Brand voice for 30 clients",
     "Our agency writes content for 30 clients and each has its own voice. Prompts with style guides give "
     "inconsistent results."),
    ("Clinical notes, on-prem only",
     "We turn physician dictations into structured SOAP notes. We have around 12,000 dictations paired with "
     "clinician-reviewed notes, and everything must stay on our own servers."),
]

# The vocabulary's names for the approaches, capitalised for headings.
APPROACH_LABELS = {key: approach_label(key, capitalised=True) for key in APPROACH_IDS}

TOOL_TITLES = {
    "search_guidance": "🔎 Searched the guidance",
    "inspect_dataset": "📄 Checked the data file",
    "recommend": "🧭 Weighed the approaches",
    "request_launch": "🚀 Prepared a job",
    "plan_training": "📝 Drafted a training plan",
    "job_status": "📈 Checked the job",
    "cancel_job": "⏹ Cancelled a job",
    "resume_job": "▶ Resumed a job",
    "evaluation_report": "📊 Read the evaluation",
}

STATE_ICONS = {
    JobState.AWAITING_APPROVAL: "⏸", JobState.VALIDATING: "🔍", JobState.QUEUED: "⏳", JobState.RUNNING: "🏃",
    JobState.SUCCEEDED: "✅", JobState.FAILED: "❌", JobState.CANCELLED: "⏹", JobState.INTERRUPTED: "⚠",
}
STATE_LABELS = {state: f"{STATE_ICONS[state]} {label}" for state, label in JOB_STATE_LABELS.items()}


def welcome_message(with_examples: bool = True) -> dict:
    msg: dict[str, Any] = {"role": "assistant", "content": WELCOME}
    if with_examples:
        msg["options"] = [{"value": f"say:{text}", "label": label} for label, text in EXAMPLE_OPENINGS]
    return msg


def esc(text: Any) -> str:
    """Text safe inside markdown/HTML (a user's file or message must never inject markup)."""
    return html.escape(str(text), quote=False)


def cell(text: Any, limit: int = 200) -> str:
    """One markdown table cell: single line, pipes escaped, cut at `limit` characters."""
    s = " ".join(esc(text).split()).replace("|", "\\|")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def human_duration(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


# ---------------------------------------------------------------------------------------------------------------
# Advisor events


def tool_step(name: str, args: dict | None, summary: str) -> dict:
    """A collapsed step: title says what the advisor did, the body what it found."""
    title = TOOL_TITLES.get(name, f"🔧 {name}")
    args = args or {}
    detail = args.get("query") or (Path(str(args["path"])).name if args.get("path") else "") or args.get("plan") or ""
    lines = []
    if detail:
        lines.append(f"*{esc(str(detail)[:300])}*")
    lines.append(esc(summary))
    return {"role": "assistant", "content": "\n\n".join(lines),
            "metadata": {"title": f"{title}" + (f": {esc(str(detail)[:80])}" if detail else ""), "status": "done"}}


def citations_block(citations: Iterable[dict], passages: dict[str, str] | None = None) -> str:
    """Each citation as a disclosure that opens the guide passage it came from."""
    out = []
    for i, c in enumerate(citations, 1):
        title, source = c.get("title") or c.get("source") or "source", c.get("source", "")
        text = (c.get("text") or (passages or {}).get(source) or "").strip()
        head = f"[{i}] {esc(title)}"
        if text:
            out.append(f"<details><summary>{head}</summary><blockquote>{prose_html(text)}</blockquote></details>")
        else:
            out.append(f"<p>{head}</p>")
    return "\n".join(out)


VERDICT_ICONS = {"recommended": "✅", "fits": "🟢", "would_fit_if": "🟡", "does_not_fit": "⛔"}


def comparison_table(verdicts: list[dict]) -> str:
    """Every approach in one compact table: the verdict, the deciding fact with the user's value, and what would
    make it fit."""
    if not verdicts:
        return ""
    lines = ["| approach | verdict | why, for you |", "|---|---|---|"]
    for v in verdicts:
        why = v.get("reason", "")
        if v.get("condition"):
            why += f" — would fit {v['condition']}"
        lines.append(f"| {cell(APPROACH_LABELS.get(v['approach'], v['approach']), 60)} | "
                     f"{VERDICT_ICONS.get(v['verdict'], '')} {cell(VERDICT_LABELS.get(v['verdict'], v['verdict']), 30)} | "
                     f"{cell(why, 320)} |")
    return "\n".join(lines)


def price_block(price: dict | None) -> list[str]:
    """The user's own price: the arithmetic lines and the assumptions they can change."""
    if not price or not price.get("lines"):
        return []
    lines = ["**Your cost, worked out:** " + esc(price.get("summary", "")) + "."]
    lines += [f"- {esc(line)}" for line in price["lines"]]
    if price.get("labour"):
        lines.append(f"- {esc(price['labour'])}")
    if price.get("assumptions"):
        lines.append("*Assumed (say yours and I'll redo it):* " + esc("; ".join(price["assumptions"])) + ".")
    return lines


def recommendation_card(rec: dict, preface: str = "", passages: dict[str, str] | None = None) -> str:
    """The recommendation as one card: approach, reasons, alternatives, what would change it, cost and time,
    citations that open their passage, and the next step."""
    approach = rec.get("approach", "")
    lines = []
    if preface.strip():
        lines += [esc(preface.strip()), ""]
    lines += [f"## 🧭 Recommendation: {APPROACH_LABELS.get(approach, approach)}", ""]
    reasons = rec.get("reasons") or []
    if reasons:
        lines.append("**Why**")
        lines += [f"- {esc(r)}" for r in reasons[:8]]
        lines.append("")
    alts = rec.get("alternatives") or []
    if alts:
        lines.append("**Alternatives:** " + ", ".join(APPROACH_LABELS.get(a, a) for a in alts))
    changes = rec.get("would_change") or []
    if changes:
        lines.append("")
        lines.append("**What would change this**")
        lines += [f"- {esc(w.get('text', w))}" for w in changes]
    if rec.get("verdicts"):
        lines += ["", "**Every approach, for your case**", "", comparison_table(rec["verdicts"])]
    if rec.get("price"):
        lines += [""] + price_block(rec["price"])
    cost = rec.get("cost") or {}
    if cost.get("usd") and not rec.get("price"):
        lo, hi = cost["usd"]
        days = cost.get("days") or [None, None]
        lines.append("")
        lines.append(f"**Cost and time:** about ${lo:,}–${hi:,}" + (f", {days[0]:g}–{days[1]:g} days" if days[0] is not None else "")
                     + (f" — {esc(cost['note'])}" if cost.get("note") else ""))
    plan = rec.get("plan") or {}
    if plan.get("summary"):
        lines.append("")
        lines.append(f"**Plan:** {esc(plan['summary'])}")
    if plan.get("steps") and not plan.get("config"):
        lines.append("")
        lines += [f"{i}. {esc(s)}" for i, s in enumerate(plan["steps"], 1)]
    if rec.get("citations"):
        lines.append("")
        lines.append("**Sources** (click to read the passage)")
        lines.append(citations_block(rec["citations"], passages))
    if plan.get("config"):
        lines.append("")
        lines.append("Attach your training data (drag the file into the message box), then say **launch** — "
                     "you will review the plan and press **Approve** before anything runs.")
    return "\n".join(lines)


def recommendation_message(rec: dict, preface: str = "", passages: dict[str, str] | None = None) -> dict:
    """The card as a chat message; its Launch button comes from the conversation's state (ui.transcript)."""
    card = recommendation_card(rec, preface, passages)
    if rec.get("collapsed"):  # the same advice as before: folded, one click away
        label = APPROACH_LABELS.get(rec.get("approach", ""), "")
        card = f"<details><summary>Recommendation unchanged: {esc(label)} (open the full card)</summary>\n\n{card}\n\n</details>"
    return {"role": "assistant", "content": card}


KIND_LABELS = {"sft": "supervised fine-tuning", "continued_pretraining": "continued pretraining",
               "pretraining": "pretraining from scratch"}
METHOD_LABELS = {"lora": "LoRA adapters", "qlora": "QLoRA (4-bit base, LoRA adapters)", "full": "all weights"}


def plan_card(job_id: str, plan: dict, estimate: dict | None, config: dict | None = None,
              state: str = JobState.AWAITING_APPROVAL, approved_by: str | None = None, cancel_reason: str | None = None) -> str:
    """The plan the user approves: what runs, on what, for how long, at what cost, and the job's state."""
    config = config or plan.get("config") or {}
    model, data, lora, train = (config.get(k) or {} for k in ("model", "data", "lora", "training"))
    lines = [f"## 📋 Training plan — job `{esc(job_id)}`", ""]
    if config.get("training"):  # read from the job's config, like the table below, so the two always agree
        lines += [esc(config_summary(config)), ""]
    elif plan.get("summary"):
        lines += [esc(plan["summary"]), ""]
    lines += [
        "| setting | value |", "|---|---|",
        f"| kind | {cell(KIND_LABELS.get(config.get('kind', plan.get('kind')), '—'))} |",
        f"| method | {cell(METHOD_LABELS.get(lora.get('method'), '—'))}" + (f", rank {lora.get('r')}" if lora.get("method") != "full" and lora.get("r") else "") + " |",
        f"| base model | {cell(model.get('base', '—'))} |",
        f"| data | {cell(Path(str(data.get('train', '—'))).name)} |",
    ]
    if data.get("columns"):  # the column mapping the user confirmed, stored in the job's config (data.columns)
        lines.append(f"| data columns | {cell(mapping_text(data['columns']))} |")
    lines += [
        f"| epochs | {fmt(train.get('epochs'))}" + (f" (max {train['max_steps']} steps)" if train.get("max_steps") else "") + " |",
        f"| learning rate | {fmt(train.get('learning_rate'))} |",
        f"| batch size | {fmt(train.get('batch_size'))} |",
        f"| max sequence length | {fmt(model.get('max_seq_len'))} tokens |",
    ]
    lines += ["", estimate_block(estimate)]
    scale = plan.get("scale_up") or {}
    if scale.get("base"):
        method = METHOD_LABELS.get(scale.get("method"), scale.get("method", ""))
        lines += ["", f"**Model at production scale:** {esc(scale['base'])}, {esc(method)} — "
                  f"{esc(scale.get('why', ''))}"]
    if plan.get("evaluation"):
        lines += ["", "**Evaluation:** " + "; ".join(esc(e) for e in plan["evaluation"])]
    lines += ["", approval_status(state, approved_by, cancel_reason)]
    return "\n".join(lines)


def _gib(n: float | None) -> str:
    return "—" if n is None else f"{n / 2**30:.1f} GiB"


def estimate_block(estimate: dict | None) -> str:
    """What the pre-flight probe measured for this config on this machine (or that it is measuring, failed or is
    switched off), how the default plan was sized from it and how to make it longer; then, apart and labelled
    as such, the advisor's cost band at production scale."""
    estimate = estimate or {}
    # an estimate stored straight from trainer.preflight.probe (no status) is a measured one
    measured = estimate.get("preflight") or (estimate if estimate.get("seconds_per_step") is not None else None)
    status = estimate.get("status") or ("measured" if measured else None)
    lines = []
    if status == "measuring":
        lines.append("**Measured on this machine:** measuring… a few real training steps and the evaluation are "
                     "running in the background; the figures appear here in a minute or two.")
    elif status == "failed":
        lines.append(f"**Measured on this machine:** the pre-flight probe failed — {esc(estimate.get('error'))}")
    elif status == "off":
        lines.append("**Measured on this machine:** not measured (the pre-flight probe is switched off: "
                     "`TUNEWISE_PREFLIGHT=off`).")
    elif measured and measured.get("seconds_per_step") is None:  # out of memory within the first steps
        lines.append(f"**Measured on this machine:** ❌ {esc(measured.get('summary'))}")
    elif measured:
        m = measured
        fits = "✅ fits" if m.get("fits") else "❌ does not fit"
        evaluation = m.get("evaluation_seconds")
        how = m.get("evaluation_measured") or ""
        parts = [f"{m['seconds_per_step']:.2f} s per step",
                 f"{m['tokens_per_s']:,.0f} tokens/s" if m.get("tokens_per_s") else "tokens/s not measured",
                 f"peak memory {_gib(m.get('peak_memory_bytes'))} of {_gib(m.get('available_memory_bytes'))} "
                 f"available ({esc(str(m.get('memory_device', '')).upper())}) — {fits}"]
        at_least = how == "at least"  # the probe stopped timing an evaluation that ran past its budget
        whole = (f"**whole job {'at least' if at_least else '≈'} {human_duration(m.get('estimated_seconds'))}**: "
                 f"start-up {human_duration(m.get('startup_seconds'))} + training {m.get('total_steps')} steps × "
                 f"{m['seconds_per_step']:.2f} s"
                 + (f" and {m['total_steps'] // m['steps_per_validation']} validation passes × "
                    f"{m['validation_pass_seconds']:.1f} s" if m.get("validation_seconds") else "")
                 + f" = {human_duration(m.get('train_seconds'))}"
                 + ((f" + evaluation at least {human_duration(evaluation)} (the probe stopped timing it)" if at_least
                     else f" + evaluation {human_duration(evaluation)}"
                     + (f" ({esc(how)})" if how and how != "whole" else ""))
                    if evaluation is not None else " (evaluation not measured)")
                 + (f" + report {human_duration(m.get('report_seconds'))}" if m.get("report_seconds") else ""))
        lines.append(f"**Measured on this machine** ({m.get('steps_measured')} real steps and the evaluation, in "
                     f"{human_duration(m.get('probe_seconds'))}): " + " · ".join(parts) + ".")
        lines.append(whole + ".")
        if estimate.get("busy_with"):
            lines.append(f"Measured while {len(estimate['busy_with'])} other job(s) were training here, which slows "
                         "every step; the run will be faster if they finish first.")
    sizing = estimate.get("sizing") or {}
    if sizing:
        minutes = sizing["target_seconds"] / 60
        if sizing.get("shortened"):
            lines.append(f"Sized to finish in about {minutes:.0f} minutes on this machine: {sizing['steps']} of the "
                         f"{sizing['full_steps']} optimizer steps the epochs would take. For a longer run, say "
                         "\"2 epochs\" or \"train for 300 steps\" (or set max steps in *Plan settings*).")
        elif (measured or {}).get("estimated_seconds", 0) <= sizing["target_seconds"]:
            lines.append(f"The whole plan fits the default of about {minutes:.0f} minutes on this machine, so it "
                         "runs every epoch; ask for more epochs or steps (\"5 epochs\", \"train for 300 steps\") for "
                         "a longer run.")
        if sizing.get("overrun"):
            lines.append("Start-up and evaluation alone take longer than that here: fewer evaluation examples "
                         "(*Plan settings*) shorten it.")
    elif estimate.get("target_seconds") and status == "measuring":
        lines.append(f"This default plan will be sized from the measurement to finish in about "
                     f"{estimate['target_seconds'] / 60:.0f} minutes here.")
    production = estimate.get("production") or {}
    band = []
    if production.get("usd"):
        usd = production["usd"]
        lo, hi = usd if isinstance(usd, (list, tuple)) else (usd, usd)
        band.append(f"${lo:,}–${hi:,}" if lo != hi else f"${lo:,}")
    if production.get("days"):
        d = production["days"]
        band.append(f"{d[0]:g}–{d[1]:g} days" if isinstance(d, (list, tuple)) else f"{d} days")
    if production.get("hours"):
        h = production["hours"]
        band.append(f"{h[0]:g}–{h[1]:g} hours" if isinstance(h, (list, tuple)) else f"{h:g} hours")
    if band:
        lines.append("**At production scale** (the advisor's cost band for this approach, not measured): "
                     + ", ".join(band) + (f" — {esc(production['note'])}" if production.get("note") else "") + ".")
    if production.get("caveat"):  # the user chose this against the advice: the caveat stays with the job
        lines.append(f"**Advisor's caveat** (you chose this over {esc(production.get('advised') or 'the advice')}): "
                     f"{esc(production['caveat'])}")
    if not lines:
        return "**Measured on this machine:** not measured."
    return "\n\n".join(lines)


def approval_status(state: str, approved_by: str | None = None, cancel_reason: str | None = None) -> str:
    if state == JobState.AWAITING_APPROVAL:
        return ("**Nothing runs until you press Approve** (under the last message, or in the job panel). You can "
                "change the settings in the *Plan settings* panel first.")
    if state == JobState.CANCELLED and not approved_by:
        if (cancel_reason or "").startswith("replaced by "):
            return f"**Replaced** by job `{esc(cancel_reason.removeprefix('replaced by '))}` — nothing was run."
        return "**Rejected** — nothing was run."
    who = f" by {esc(approved_by)}" if approved_by else ""
    return f"**Approved{who}** — state: {STATE_LABELS.get(state, state)}."


def approval_message(job_id: str, plan: dict, estimate: dict | None, config: dict | None, state: str,
                     approved_by: str | None, cancel_reason: str | None = None) -> dict:
    """The plan card as a chat message; its Approve / Reject buttons come from the conversation's state
    (ui.transcript puts them under the last message, wherever the card is)."""
    return {"role": "assistant",
            "content": plan_card(job_id, plan, estimate, config, state, approved_by, cancel_reason)}


# ---------------------------------------------------------------------------------------------------------------
# Data


def validation_report(name: str, report: dict, max_errors: int = 20) -> str:
    """The validation report inline: counts, located errors, warnings, stats, and what to do next."""
    ok = report.get("ok")
    rows, fmt_name = report.get("rows", 0), report.get("format_label") or report.get("format", "?")
    stats = report.get("stats") or {}
    examples = stats.get("examples", report.get("examples"))
    head = "✅" if ok else "❌"
    lines = [f"### {head} Data check: {esc(name)}", "",
             f"**Format:** {esc(fmt_name)} · **rows:** {rows:,}" + (f" · **valid examples:** {examples:,}" if examples is not None else "")
             + f" · **errors:** {report.get('error_count', len(report.get('errors') or [])):,}"
             + f" · **warnings:** {len(report.get('warnings') or [])}"]
    errors = report.get("errors") or []
    if errors:
        lines += ["", "| line | problem | code |", "|---|---|---|"]
        for e in errors[:max_errors]:
            lines.append(f"| {e.get('line') or 'file'} | {cell(e.get('message', ''))} | `{cell(e.get('code', ''), 40)}` |")
        total = report.get("error_count", len(errors))
        if total > min(len(errors), max_errors):
            lines.append(f"\n… and {total - min(len(errors), max_errors):,} more error(s) "
                         f"(`tunewise validate-data FILE` lists them all).")
    warnings = report.get("warnings") or []
    if warnings:
        lines += ["", "**Warnings**"]
        lines += [f"- {esc(w.get('message', ''))} `{esc(w.get('code', ''))}`" for w in warnings]
    if stats.get("tokens"):
        p = stats.get("length_tokens") or {}
        parts = [f"{stats['tokens']:,} tokens"]
        if p:
            parts.append(f"length p50 {p.get('p50')} / p90 {p.get('p90')} / max {p.get('max')} tokens")
        if stats.get("trained_share") is not None:
            parts.append(f"{stats['trained_share']:.0%} of tokens trained on")
        if stats.get("truncated") is not None:
            parts.append(f"{stats['truncated']} truncated at {stats.get('max_seq_len', '?')}")
        if stats.get("duplicates") is not None:
            parts.append(f"{stats['duplicates']} duplicates")
        lines += ["", "**Stats:** " + " · ".join(parts)]
    if report.get("mapping"):
        lines += ["", f"**Columns used:** {esc(mapping_text(report['mapping']))}"]
    if report.get("proposed_mapping"):
        lines += ["", f"**Columns:** tunewise does not know these column names. Use "
                  f"**{esc(report.get('proposed_mapping_text') or '')}** Confirm below, or edit it by sending "
                  f"`map {mapping_arg(report['proposed_mapping'])}` with your own ROLE=COLUMN pairs."]
    if ok:
        lines += ["", "Looks good — this file can be trained on."]
    elif report.get("proposed_mapping") and [e.get("code") for e in errors] == ["unmapped_columns"]:
        lines += ["", "Once you confirm the columns, the file is checked again with them; nothing is trained on it "
                  "before."]
    else:
        lines += ["", "Fix the lines above and drop the corrected file here again; nothing is trained on a file with "
                  "errors."]
    return "\n".join(lines)


def mapping_text(mapping: dict) -> str:
    return ", ".join(f"{column} → {role}" for role, column in mapping.items())


def mapping_arg(mapping: dict) -> str:
    """{prompt: question} -> 'prompt=question' (what `--map`, and the chat's `map` message, take)."""
    return ",".join(f"{role}={column}" for role, column in mapping.items())


def mapping_options(path: str, report: dict) -> list[dict]:
    """The confirm button under a proposed mapping: `map:PATH|ROLE=COLUMN,...` goes to the app's `act`."""
    proposal = report.get("proposed_mapping")
    if not proposal:
        return []
    return [{"value": f"map:{path}|{mapping_arg(proposal)}", "label": f"✅ Use {mapping_text(proposal)}"}]


# ---------------------------------------------------------------------------------------------------------------
# Jobs


def progress_bar(progress: float | None, label: str = "") -> str:
    pct = 0.0 if progress is None else max(0.0, min(1.0, progress)) * 100
    return (f'<div class="tw-progress" role="progressbar" aria-valuenow="{pct:.0f}" aria-valuemin="0" '
            f'aria-valuemax="100"><div class="tw-progress-fill" style="width:{pct:.1f}%"></div>'
            f'<span>{esc(label) or f"{pct:.0f}%"}</span></div>')


def _latest(rows: list[dict], key: str) -> Any:
    return next((r[key] for r in reversed(rows) if r.get(key) is not None), None)


def phase_steps(phase: dict | None, state: str) -> str:
    """validating → loading model → **training** → evaluating → writing report, with the phases before the
    current one ticked (all of them once the job succeeded) and the one it stopped in marked when it did not."""
    if not phase:
        return ""
    current = PHASES.index(phase["name"]) if phase.get("name") in PHASES else -1
    parts = []
    for i, name in enumerate(PHASES):
        label = PHASE_LABELS[name]
        if state == JobState.SUCCEEDED or i < current:
            parts.append(f"✓ {label}")
        elif i == current:
            mark = {JobState.FAILED: "✗ ", JobState.CANCELLED: "⏹ ", JobState.INTERRUPTED: "⚠ "}.get(state, "▶ ")
            parts.append(f"**{mark}{label}**")
        else:
            parts.append(label)
    return " → ".join(parts)


def phase_now(phase: dict | None, state: str) -> str:
    """The current phase in words: `evaluating — 3 of 12 · ETA 40 s · 1 min 02 s in this phase`."""
    if not phase or state == JobState.SUCCEEDED:
        return ""
    bits = [f"**{esc(phase.get('label') or phase.get('name'))}**" + (f" — {esc(phase['detail'])}"
                                                                     if phase.get("detail") else "")]
    # training reports its phase once, at its start (0 of N); the live step is the bar's "step k/N" below
    if phase.get("total") is not None and phase.get("done") is not None and phase.get("name") != "training":
        bits.append(f"{phase['done']} of {phase['total']}")
    if phase.get("eta_s") is not None and state == JobState.RUNNING:
        bits.append(f"ETA {human_duration(phase['eta_s'])}")
    if phase.get("elapsed_s") is not None:
        bits.append(f"{human_duration(phase['elapsed_s'])} in this phase")
    return " · ".join(bits)


def job_panel(summary: dict | None, rows: list[dict] | None = None) -> str:
    """The job panel's status block: state, step/total with a progress bar, ETA, loss, eval loss, tokens/s.
    `rows` (the job's metric rows) give the latest value of each metric even when the last row lacks it (an
    evaluation row has no training loss)."""
    if not summary:
        return "#### No training job yet\nWhen you approve a plan, its progress shows here."
    state = summary.get("state", "?")
    m = dict(summary.get("metrics") or {})
    for key in ("loss", "tokens_per_s", "learning_rate"):
        if m.get(key) is None and rows:
            m[key] = _latest(rows, key)
    step, total = summary.get("step") or 0, summary.get("total_steps")
    label = f"step {step}/{total}" if total else (f"step {step}" if step else STATE_LABELS.get(state, state))
    progress = summary.get("progress")
    phase = summary.get("phase") or {}
    eta = summary.get("eta_s") if state == JobState.RUNNING else None
    if phase.get("name") not in (None, "training"):  # past training the step ETA says nothing: the phase's own
        eta = phase.get("eta_s")
        if phase.get("total") and phase.get("done") is not None and state == JobState.RUNNING:
            progress, label = phase["done"] / phase["total"], f"{phase['label']} {phase['done']}/{phase['total']}"
    if state == JobState.SUCCEEDED:
        progress, label = 1.0, f"done — {step} steps"
    lines = [f"#### Job `{esc(summary.get('id'))}` — {STATE_LABELS.get(state, state)}"]
    if phase:
        lines += [phase_steps(phase, state), "", phase_now(phase, state)]
    lines += [progress_bar(progress, label), "",
             "| measure | now |", "|---|---|",
             f"| ETA | {human_duration(eta) if state == JobState.RUNNING else '—'} |",
             f"| elapsed | {human_duration(summary.get('wall_elapsed_s', summary.get('elapsed_s')))} |",
             f"| train loss | {fmt(m.get('loss'))} |",
             f"| eval loss | {fmt(summary.get('eval_loss'))} |",
             f"| tokens/s | {fmt(m.get('tokens_per_s'), 3) if m.get('tokens_per_s') is not None else '—'} |",
             f"| learning rate | {fmt(m.get('learning_rate'), 3)} |"]
    if summary.get("cancel_requested"):
        lines += ["", "⏹ cancel requested — saving a checkpoint and stopping."]
    err = summary.get("error")
    if err:
        lines += ["", f"**Error** `{esc(err.get('code'))}`: {esc(err.get('message'))}"]
        for d in (err.get("details") or [])[:5]:
            where = f"line {d.get('line')}: " if d.get("line") else ""
            lines.append(f"- {esc(where)}{esc(d.get('message', ''))}")
    return "\n".join(lines)


def export_note(job_id: str, label: str, name: str, size_bytes: int) -> str:
    """What the job panel says under a finished export's download."""
    return (f"Job `{esc(job_id)}` exported as {esc(label)}: **{esc(name)}** ({size_bytes / 2**20:.1f} MiB). "
            "Unzip it into one folder of the same name.")


def event_log(events: list[dict], limit: int = 200) -> str:
    rows = events[-limit:]
    return "\n".join(f"{e.get('time', '')[11:19]}  {e.get('level', 'info'):<7} {e.get('message', '')}" for e in rows)


def milestone_text(job_id: str, state: str, summary: dict) -> str:
    """What the chat says when a job reaches a milestone."""
    err = summary.get("error") or {}
    if state == JobState.QUEUED:
        return f"🔍 Job `{job_id}`: data validated — queued."
    if state == JobState.RUNNING:
        total = summary.get("total_steps")
        return f"🏃 Job `{job_id}` started" + (f" ({total} steps)." if total else ".") + " Follow it in the job panel."
    if state == JobState.SUCCEEDED:
        return f"✅ Job `{job_id}` finished training. Results below."
    if state == JobState.FAILED:
        details = "".join(f"\n- line {d.get('line')}: {esc(d.get('message', ''))}" if d.get("line") else
                          f"\n- {esc(d.get('message', ''))}" for d in (err.get("details") or [])[:10])
        return (f"❌ Job `{job_id}` failed — `{esc(err.get('code', 'error'))}`: {esc(err.get('message', ''))}{details}\n\n"
                "Fix the problem and send the corrected file; I'll prepare a new job for your approval.")
    if state == JobState.CANCELLED:
        return f"⏹ Job `{job_id}` was cancelled."
    if state == JobState.INTERRUPTED:
        return (f"⚠ Job `{job_id}` was interrupted (the process stopped). Press **Resume** in the job panel to "
                "continue from its last checkpoint.")
    return f"Job `{job_id}`: {STATE_LABELS.get(state, state)}."


def _interval(ci: dict | None) -> str:
    """" [low, high]" of a 95% interval from the evaluation report, or nothing when the report has none."""
    return f" [{fmt(ci['low'], 2)}, {fmt(ci['high'], 2)}]" if ci else ""


def results_markdown(job_id: str, report: dict, card: dict | None = None) -> str:
    """The evaluation inline — verdict, base-vs-tuned table, samples side by side (a DPO report: `dpo_results`) —
    then the run's reproducibility card in short (`card_block`; `card` is tools.jobs.RunCard's fields)."""
    body = dpo_results(job_id, report) if report.get("kind") == "dpo" else sft_results(job_id, report)
    return body + "\n\n" + card_block(card)


def sft_results(job_id: str, report: dict) -> str:
    """An SFT evaluation (trainer/evaluate.py): verdict, base-vs-tuned table, samples side by side."""
    m = report.get("metrics") or {"base": {}, "tuned": {}}
    verdict_code = report.get("verdict_summary", "")
    icon = {"better": "🟢", "worse": "🔴", "no_clear_difference": "🟡"}.get(verdict_code, "📊")
    lines = [f"## {icon} Results — job `{esc(job_id)}`", "", f"**Verdict:** {esc(report.get('verdict', ''))}", ""]
    if report.get("baseline"):
        lines += [f"Compared on {report.get('test_examples', '?')} held-out test examples "
                  f"({report.get('generated_examples', '?')} generated) against the {esc(report['baseline'])}.", ""]
    lines += ["| metric | base + prompt | tuned |", "|---|---|---|"]
    loss, ppl = report.get("loss") or {}, report.get("perplexity") or {}
    if loss:
        lines.append(f"| test loss (nats/token) | {fmt(loss.get('base'))} | {fmt(loss.get('tuned'))} |")
        if loss.get("base_zero_shot") is not None:  # the base without the prompt's shots: the tuned model's input
            lines.append(f"| test loss, base zero-shot | {fmt(loss['base_zero_shot'])} | |")
    if ppl:
        lines.append(f"| test perplexity | {fmt(ppl.get('base'))} | {fmt(ppl.get('tuned'))} |")
    intervals = report.get("comparison") or {}
    for key, value in (m.get("base") or {}).items():
        if value is None:
            continue
        star = " ★" if key == report.get("primary_metric") else ""
        base_ci, tuned_ci = (intervals.get("base") or {}).get(key), (intervals.get("tuned") or {}).get(key)
        lines.append(f"| {esc(METRIC_LABELS.get(key, key))}{star} | {fmt(value, 3)}{_interval(base_ci)} | "
                     f"{fmt(m['tuned'][key], 3)}"
                     f"{_interval(tuned_ci)} |")
    f = report.get("forgetting")
    if f:
        lines.append(f"| general-text perplexity (forgetting) | {fmt(f.get('base_perplexity'))} | "
                     f"{fmt(f.get('tuned_perplexity'))} ({f.get('change_pct', 0):+.1f}%, {esc(f.get('verdict', ''))}) |")
    if report.get("next_steps"):
        lines += ["", "**What to do next:** " + esc(" ".join(report["next_steps"]))]
    samples = report.get("samples") or []
    if samples:
        lines += ["", "**Sample outputs, side by side**", "",
                  "| prompt | reference | base + prompt | tuned |", "|---|---|---|---|"]
        for s in samples:
            lines.append(f"| {cell(s.get('prompt'), 160)} | {cell(s.get('reference'), 160)} | "
                         f"{cell(s.get('base'), 160)} | {cell(s.get('tuned'), 160)} |")
    lines += ["", "Try your own prompt on both models in the **Try it** box beside the chat."]
    return "\n".join(lines)


# trainer/dpo.py's verdict codes: "improved" needs the tuned share's 95% interval wholly above the base's.
DPO_VERDICTS = {
    "improved": ("🟢", "improved — the tuned model prefers the chosen answers more often than the base, beyond "
                      "both 95% intervals"),
    "no_measurable_difference": ("🟡", "no measurable difference — the tuned model prefers the chosen answers at "
                                      "least as often as the base, but the two 95% intervals overlap"),
    "worse": ("🔴", "worse — the tuned model prefers the chosen answers less often than the base"),
}
NO_BASE_MARGIN = "— ¹"  # the base is the reference the margin is measured from: it has no margin of its own


def _share(value: float | None, interval: list | None = None) -> str:
    """A share of pairs as a percentage, with its 95% interval when the report gives one; — when absent."""
    if value is None:
        return "—"
    return f"{value:.0%}" + (f" [{interval[0]:.0%}, {interval[1]:.0%}]" if interval else "")


def dpo_results(job_id: str, report: dict) -> str:
    """A DPO evaluation (trainer/dpo.py's eval/report.json): on held-out pairs, how often base and tuned score the
    chosen answer above the rejected one (per answer token: the headline and the verdict; summed: beside it), the
    tuned model's preference accuracy and reward margin against the base, and the forgetting probe. Only the keys
    the report holds: an absent one shows as —, never as 0."""
    base, tuned = report.get("base") or {}, report.get("tuned") or {}
    icon, verdict = DPO_VERDICTS.get(report.get("verdict"), ("📊", "—"))
    head, summed = "chosen_scored_higher_per_token", "chosen_scored_higher"
    interval = f"{head}_95ci"  # [low, high] of the headline share
    n = report.get("test_pairs")
    lines = [f"## {icon} Results — job `{esc(job_id)}` (preference tuning)", "", f"**Verdict:** {esc(verdict)}", ""]
    if report.get("verdict_summary"):  # the recipe's own one-line account of the figures below
        lines += [f"*In short:* {esc(report['verdict_summary'])}.", ""]
    lines += [f"Compared on {n if n is not None else '?'} held-out preference pairs (never trained on): the base "
              "model against the tuned one, each scoring the chosen and the rejected answer to the same prompt.", "",
              "| measure, on held-out pairs | base | tuned |", "|---|---|---|",
              f"| chosen answer scored higher, per answer token ★ | {_share(base.get(head), base.get(interval))} | "
              f"{_share(tuned.get(head), tuned.get(interval))} |",
              f"| chosen answer scored higher, summed over the answer | {_share(base.get(summed))} | "
              f"{_share(tuned.get(summed))} |"]
    margins = [("preference accuracy against the base (reward margin above 0)", "preference_accuracy", _share),
               ("mean reward margin against the base (β × nats)", "reward_margin",
                lambda v: "—" if v is None else f"{v:+.3f}")]
    for label, key, shown in margins:
        lines.append(f"| {label} | {shown(base[key]) if key in base else NO_BASE_MARGIN} | {shown(tuned.get(key))} |")
    f = report.get("forgetting")
    if f:
        change = f"{f['change_pct']:+.1f}%" if f.get("change_pct") is not None else "change —"
        noise = f", base noise ±{f['noise_pct']:.1f}%" if f.get("noise_pct") is not None else ""
        lines.append(f"| general-text perplexity (forgetting probe) | {fmt(f.get('base_perplexity'))} | "
                     f"{fmt(f.get('tuned_perplexity'))} ({change}{noise}) |")
    lines += ["", "★ the verdict's measure, with its 95% interval: per answer token, because a summed "
              "log-probability mostly measures length (it favours the shorter answer).", "",
              "¹ the base is the reference the reward margin is measured from, so it has no margin of its own."]
    if f:
        lines += ["", ("⚠ " if f.get("flagged") else "") + f"**Forgetting:** {esc(f.get('verdict') or '—')}"]
    else:
        lines += ["", "**Forgetting:** not measured (the forgetting probe was off for this run)."]
    if report.get("next_steps"):
        lines += ["", "**What to do next:** " + esc(" ".join(report["next_steps"]))]
    lines += ["", "Try your own prompt on both models in the **Try it** box beside the chat (here the base answers "
              "without examples: preference tuning searches no prompt)."]
    return "\n".join(lines)


def _hardware_text(hw: dict) -> str:
    """"NVIDIA H200 ×2, 2 processes" or "CPU, 2 cores, 2 torch threads (x86-64 Linux)" from the card's hardware."""
    if hw.get("gpus"):
        names = hw["gpus"]
        where = ", ".join(f"{name} ×{names.count(name)}" for name in dict.fromkeys(names))
    elif hw:
        cpus, threads = hw.get("cpus"), hw.get("torch_threads")
        where = "CPU" + (f", {cpus} core{'s' * (cpus != 1)}" if cpus else "") + (
            f", {threads} torch thread{'s' * (threads != 1)}" if threads else "")
    else:
        return "—"
    if (hw.get("world_size") or 1) > 1:
        where += f", {hw['world_size']} processes"
    # x86_64 written x86-64 (the architecture's usual spelling): an underscored word on screen reads as a code name
    system = " ".join(str(hw[k]).replace("_", "-") for k in ("machine", "system") if hw.get(k))
    return where + (f" ({system})" if system else "")


# The data files a card hashes (trainer/tracking.py's keys), by what they are.
CARD_DATA_LABELS = {"data.train": "training data", "data.validation": "validation data", "data.test": "test data",
                    "pretrain.corpus": "corpus", "pretrain.eval_text": "evaluation text"}
SHORT_HASH = 12  # hex characters of a SHA-256 or a commit shown; the full value is in the card


def _digest_text(digest: Any) -> str:
    if digest is None:
        return "not found when the run started"
    if isinstance(digest, dict):  # a folder: the digest of its listing of names and sizes, not of the contents
        return (f"folder listing {str(digest.get('listing_sha256', ''))[:SHORT_HASH]}… "
                f"({digest.get('files', '?')} files, names and sizes)")
    return f"sha256 {str(digest)[:SHORT_HASH]}…"


def card_block(card: dict | None) -> str:
    """The reproducibility card in short under the results: seed, base model, data hashes, code revision, package
    versions, hardware, measured throughput, and where the whole card (JSON) lies."""
    if not card:
        return "**Reproducibility card:** none was recorded with these results."
    revision = card.get("code_revision")
    code = "unknown (not run from a git checkout)" if not revision else (
        f"git {revision.split('+')[0][:SHORT_HASH]}" + (" with uncommitted changes" if "+dirty" in revision else ""))
    seeds = f"{fmt(card.get('seed'))} (training), {fmt(card.get('split_seed'))} (data split)"
    data = "; ".join(f"{CARD_DATA_LABELS.get(role, 'data')} {_digest_text(d)}" for role, d in
                     (card.get("data") or {}).items()) or "—"
    packages = " · ".join(f"{name} {version}" for name, version in (card.get("packages") or {}).items()) or "—"
    speed = card.get("tokens_per_s")
    measured = (f"{speed:,.0f} tokens/s (median of the logged steps)" if speed is not None else "tokens/s not measured")
    if card.get("optimizer_steps") is not None:
        measured += f", {card['optimizer_steps']} optimizer steps"
    if card.get("train_seconds") is not None:
        measured += f" in {human_duration(card['train_seconds'])}"
    lines = ["**Reproducibility card**", "", "| to rerun this run | it had |", "|---|---|",
             f"| seed | {cell(seeds)} |", f"| base model | {cell(card.get('base_model') or '—')} |",
             f"| data | {cell(data, 400)} |", f"| code | {cell(code)} |", f"| packages | {cell(packages)} |",
             f"| hardware | {cell(_hardware_text(card.get('hardware') or {}))} |", f"| measured | {cell(measured)} |",
             "", f"The whole card (resolved config, every package version, the command): `{esc(card.get('path'))}`"]
    return "\n".join(lines)


TRY_IT_TITLES = {"base": "Base + few-shot prompt", "tuned": "Tuned"}


def try_it_pending(model: str, max_new_tokens: int) -> str:
    return f"**{TRY_IT_TITLES[model]}**\n\n⏳ generating (up to {max_new_tokens} tokens) …"


def try_it_answer(model: str, answer: str) -> str:
    return f"**{TRY_IT_TITLES[model]}**\n\n{esc(answer) or '*(an empty answer)*'}"


# ---------------------------------------------------------------------------------------------------------------
# All jobs

JOB_LIST_HEADERS = ["job", "state", "approach", "created", "duration", "verdict", "conversation"]


def job_list_rows(rows: list[dict]) -> list[list[str]]:
    """The job list across conversations, one row per job (agent.actions.job_list), for a table."""
    out = []
    for r in rows:
        state = STATE_LABELS.get(r["state"], r["state"])
        if r.get("reason", "").startswith("replaced by "):
            state = "↪ replaced"
        elif r["state"] == "cancelled" and r.get("reason", "").startswith("rejected"):
            state = "✖ rejected"
        out.append([r["job_id"], state, r.get("approach") or "—", f"{r['created_at']:%Y-%m-%d %H:%M}",
                    human_duration(r.get("duration_s")), r.get("verdict") or "—", r.get("conversation") or ""])
    return out or [["—", "no jobs yet", "", "", "", "", ""]]


# ---------------------------------------------------------------------------------------------------------------
# Profile


def profile_rows(profile: dict, labels: dict[str, str], describe=None) -> list[list[str]]:
    """[label, value] per fact for the profile table, in the advisor's order; unknown facts show "—", skipped
    ones "skipped"."""
    rows = []
    for key, fact in (profile.get("facts") or {}).items():
        value = fact.get("value")
        if value is None:
            shown = "skipped" if fact.get("skipped") else "—"
        else:
            shown = describe(key, value) if describe else str(value)
        rows.append([labels.get(key, key), shown])
    return rows
