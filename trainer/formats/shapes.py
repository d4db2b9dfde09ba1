"""Record shapes: which keys make which kind of example, and how one record becomes an `Example`.

    messages           {"messages": [{"role", "content", "weight"?, "tool_calls"?, "tool_call_id"?}], "tools"?}
                       OpenAI chat fine-tuning rows, tool-call conversations included; `weight: 0` on an
                       assistant turn keeps it as context but takes no loss on it
    sharegpt           {"conversations": [{"from": "human"|"gpt"|"system"|"function_call"|"observation", "value"}],
                        "system"?, "tools"?}
    prompt_completion  {"prompt", "completion", "system"?}
    alpaca             {"instruction", "input"?, "output", "system"?}
    preference         {"prompt", "chosen", "rejected", "system"?}
    text               {"text"}

Whatever the container (JSONL, a JSON array, CSV, Parquet), a record is a dict; a `mapping` {role: column}
renames the user's columns first ("question" -> prompt). When no shape is recognised, `propose_mapping` guesses
one from common column names, for the user to confirm.
"""

from __future__ import annotations

import json
import re
from typing import Any

from trainer.formats.example import Example, Issue

SHAPES = ("messages", "sharegpt", "prompt_completion", "alpaca", "preference", "text")
LABELS = {
    "messages": "OpenAI chat messages",
    "sharegpt": "ShareGPT conversations",
    "prompt_completion": "prompt/completion pairs",
    "alpaca": "Alpaca instructions",
    "preference": "preference pairs (prompt, chosen, rejected)",
    "text": "plain text documents",
}
ROLES = ("system", "user", "assistant", "tool")
# Keys each shape accepts in a record that came without a mapping; any other key is an `unknown_key` error, because
# a misspelt key ("completon") would silently drop data.
ALLOWED_KEYS = {
    "messages": {"messages", "tools", "functions", "parallel_tool_calls", "id", "metadata"},
    "sharegpt": {"conversations", "system", "tools", "id", "metadata"},
    "prompt_completion": {"prompt", "completion", "system", "id", "metadata"},
    "alpaca": {"instruction", "input", "output", "system", "id", "metadata"},
    "preference": {"prompt", "chosen", "rejected", "system", "id", "metadata"},
    "text": {"text", "id", "metadata"},
}
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system",
                  "function_call": "assistant", "observation": "tool", "tool": "tool"}
MAPPABLE_ROLES = ("prompt", "completion", "instruction", "input", "output", "system", "chosen", "rejected", "text",
                  "messages", "conversations")
# Column names people use for each role, most common first (proposals only; the user confirms).
SYNONYMS = {
    "prompt": ("prompt", "question", "query", "input_text", "user", "human", "request", "source", "q", "context"),
    "completion": ("completion", "answer", "response", "reply", "target", "assistant", "gpt", "label", "summary", "a"),
    "instruction": ("instruction", "instructions", "task"),
    "output": ("output", "response", "answer"),
    "input": ("input", "context"),
    "system": ("system", "system_prompt"),
    "chosen": ("chosen", "preferred", "accepted", "better", "winner"),
    "rejected": ("rejected", "dispreferred", "worse", "loser"),
    "text": ("text", "content", "document", "body", "passage"),
}
SURROGATE = re.compile("[\ud800-\udfff]")
PLAIN_ROLES = frozenset(("system", "user", "assistant"))  # turns needing no check beyond a string content


def shape_from_keys(keys: set[str]) -> str | None:
    if "messages" in keys:
        return "messages"
    if "conversations" in keys:
        return "sharegpt"
    if {"chosen", "rejected"} & keys:
        return "preference"
    if "instruction" in keys or "output" in keys:
        return "alpaca"
    if "prompt" in keys or "completion" in keys:
        return "prompt_completion"
    if "text" in keys:
        return "text"
    return None


def propose_mapping(columns: list[str]) -> dict[str, str]:
    """{role: column} from common names; for two unrecognised text columns, the first is the prompt."""
    lower = {c.lower().strip(): c for c in columns}
    proposal: dict[str, str] = {}
    for roles in (("instruction", "input", "output"), ("prompt", "chosen", "rejected"), ("prompt", "completion"),
                  ("text",)):
        found = {}
        for role in roles:
            match = next((lower[name] for name in SYNONYMS[role]
                          if name in lower and lower[name] not in found.values()), None)
            if match:
                found[role] = match
        required = {"instruction": ("instruction", "output"), "prompt": ("prompt", "chosen", "rejected")
                    if "chosen" in roles else ("prompt", "completion"), "text": ("text",)}[roles[0]]
        if all(r in found for r in required):
            proposal = found
            break
    if not proposal and len(columns) >= 2:
        proposal = {"prompt": columns[0], "completion": columns[1]}
    if proposal and "system" not in proposal:
        system = next((lower[n] for n in SYNONYMS["system"] if n in lower), None)
        if system:
            proposal["system"] = system
    return proposal


def describe_mapping(mapping: dict[str, str]) -> str:
    """'question → prompt, answer → completion'."""
    return ", ".join(f"{column} → {role}" for role, column in mapping.items())


def apply_mapping(record: Any, mapping: dict[str, str]) -> Any:
    """The record with the user's columns renamed to roles (absent or empty cells left out, so the shape's own
    check names the missing field); other columns are dropped."""
    if not isinstance(record, dict):
        return record
    return {role: record[column] for role, column in mapping.items()
            if record.get(column) is not None and record[column] != ""}


def _text(value: Any, where: str, line: int, errors: list[Issue], allow_none: bool = False) -> str | None:
    """A string field; OpenAI-style content parts [{"type": "text", "text"}] are joined. None = error appended."""
    if value is None and allow_none:
        return ""
    if isinstance(value, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                       and isinstance(p.get("text"), str) for p in value):
        value = "".join(p["text"] for p in value)
    if not isinstance(value, str):
        errors.append(Issue(line, "non_string_content", f"{where} must be a string, got {type(value).__name__}"))
        return None
    if SURROGATE.search(value):
        errors.append(Issue(line, "lone_surrogate", f"{where} holds a lone UTF-16 surrogate (an escape like \\ud800 "
                            "without its pair): it cannot be encoded as text; fix or drop that character"))
        return None
    return value


def _strings(record: dict, required: tuple[str, ...], optional: tuple[str, ...], line: int, errors: list[Issue],
             missing_code: str = "missing_field") -> dict[str, str] | None:
    values, ok = {}, True
    for name in required + optional:
        if record.get(name) is None:
            if name in required:
                errors.append(Issue(line, missing_code, f"missing field {name!r}"))
                ok = False
            continue
        text = _text(record[name], f"field {name!r}", line, errors)
        if text is None:
            ok = False
        else:
            values[name] = text
    return values if ok else None


def _system(values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"role": "system", "content": values["system"]}] if values.get("system") else []


def _tools(value: Any, line: int, errors: list[Issue]) -> list[dict] | None | bool:
    """The `tools` list (a JSON string is parsed, as ShareGPT stores it); False when invalid."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError, ValueError):
            errors.append(Issue(line, "invalid_tools", "'tools' is a string but not valid JSON"))
            return False
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        errors.append(Issue(line, "invalid_tools", "'tools' must be a list of tool (function) schemas"))
        return False
    return value


def _tool_calls(calls: Any, where: str, line: int, errors: list[Issue]) -> list[dict] | None:
    """OpenAI tool calls, arguments parsed to objects (chat templates render them with `tojson`)."""
    if not isinstance(calls, list) or not calls:
        errors.append(Issue(line, "invalid_tool_call", f"{where}.tool_calls must be a non-empty list"))
        return None
    clean = []
    for j, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            errors.append(Issue(line, "invalid_tool_call", f"{where}.tool_calls[{j}] needs function.name"))
            return None
        arguments = fn.get("arguments", {})
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except (json.JSONDecodeError, RecursionError, ValueError):
                errors.append(Issue(line, "invalid_tool_call", f"{where}.tool_calls[{j}].function.arguments is not "
                                    "valid JSON"))
                return None
        clean.append({"id": call.get("id") or f"call_{j}", "type": "function",
                      "function": {"name": fn["name"], "arguments": arguments}})
    return clean


def _messages(messages: Any, line: int, errors: list[Issue]) -> list[dict[str, Any]] | None:
    if not isinstance(messages, list) or not messages:
        what = "missing" if messages is None else "not a non-empty list"
        errors.append(Issue(line, "missing_messages", f"'messages' is {what}; expected a list of {{role, content}} "
                            "objects"))
        return None
    clean, bad = [], False
    for i, message in enumerate(messages):
        if type(message) is dict and len(message) == 2 and message.get("role") in PLAIN_ROLES \
                and type(message.get("content")) is str and not SURROGATE.search(message["content"]):
            clean.append({"role": message["role"], "content": message["content"]})  # the common case, fast
            continue
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            errors.append(Issue(line, "not_an_object", f"{where} must be an object with role and content"))
            bad = True
            continue
        extra = sorted(set(message) - MESSAGE_KEYS)
        if extra:
            errors.append(Issue(line, "unknown_key", f"{where} has unknown key(s) {', '.join(map(repr, extra))} "
                                f"(allowed: {', '.join(sorted(MESSAGE_KEYS))})"))
            bad = True
        role = message.get("role")
        if role is None:
            errors.append(Issue(line, "missing_role", f"{where} has no 'role'"))
            bad = True
            continue
        if role not in ROLES:
            errors.append(Issue(line, "unknown_role", f"{where} has role {role!r}; use one of {', '.join(ROLES)}"))
            bad = True
            continue
        out: dict[str, Any] = {"role": role}
        calls = message.get("tool_calls")
        if calls is None and isinstance(message.get("function_call"), dict):  # the older single-call form
            calls = [{"function": message["function_call"]}]
        if calls is not None:
            if role != "assistant":
                errors.append(Issue(line, "invalid_tool_call", f"{where} has tool_calls but role {role!r}; only "
                                    "assistant turns call tools"))
                bad = True
                continue
            out["tool_calls"] = _tool_calls(calls, where, line, errors)
            bad = bad or out["tool_calls"] is None
        if "content" not in message and not calls:
            errors.append(Issue(line, "missing_content", f"{where} has no 'content'"))
            bad = True
            continue
        content = _text(message.get("content"), f"{where}.content", line, errors, allow_none=bool(calls))
        if content is None:
            bad = True
            continue
        out["content"] = content
        if "weight" in message:
            if role != "assistant" or message["weight"] not in (0, 1) or isinstance(message["weight"], bool):
                errors.append(Issue(line, "invalid_weight", f"{where}.weight must be 0 or 1 and only on assistant turns"
                                    f" (got {message['weight']!r} on a {role} turn)"))
                bad = True
            out["weight"] = message["weight"]
        if role == "tool":
            out["tool_call_id"] = message.get("tool_call_id") or ""
        if message.get("name") and isinstance(message["name"], str):
            out["name"] = message["name"]
        clean.append(out)
    if bad:
        return None
    if not any(m["role"] == "assistant" for m in clean):
        errors.append(Issue(line, "no_assistant_message", "no assistant message: there is nothing to learn from this "
                            "example"))
        return None
    if not any(m["role"] == "assistant" and m.get("weight", 1) for m in clean):
        errors.append(Issue(line, "all_weights_zero", "every assistant turn has weight 0: nothing is trained on this "
                            "example"))
        return None
    return clean


def _sharegpt(turns: Any, line: int, errors: list[Issue]) -> list[dict[str, Any]] | None:
    """ShareGPT turns as chat messages; function_call/observation become an assistant tool call and a tool reply."""
    if not isinstance(turns, list) or not turns:
        errors.append(Issue(line, "missing_messages", "'conversations' must be a non-empty list of {from, value}"))
        return None
    messages = []
    for i, turn in enumerate(turns):
        where = f"conversations[{i}]"
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            errors.append(Issue(line, "missing_role", f"{where} must be an object with 'from' and 'value'"))
            return None
        role = SHAREGPT_ROLES.get(turn["from"])
        if role is None:
            errors.append(Issue(line, "unknown_role", f"{where} is from {turn['from']!r}; use human, gpt, system, "
                                "function_call or observation"))
            return None
        if turn["from"] == "function_call":
            messages.append({"role": "assistant", "content": "", "tool_calls": turn["value"]})
        else:
            messages.append({"role": role, "content": turn["value"]})
    for m in messages:  # reuse the OpenAI checks: one set of rules for every chat shape
        if "tool_calls" in m:
            call = m["tool_calls"]
            if isinstance(call, str):
                try:
                    call = json.loads(call)
                except (json.JSONDecodeError, RecursionError, ValueError):
                    errors.append(Issue(line, "invalid_tool_call", "a function_call value is not valid JSON "
                                        "({\"name\", \"arguments\"})"))
                    return None
            calls = call if isinstance(call, list) else [call]
            m["tool_calls"] = [{"function": c} for c in calls]
    return _messages(messages, line, errors)


def to_example(record: Any, shape: str, line: int, errors: list[Issue], strict_keys: bool = True) -> Example | None:
    """Check one record against `shape`; append its problems to `errors`; return the example or None.

    `strict_keys`: keys the shape does not know are errors (JSON without a mapping); CSV/Parquet columns and
    mapped records ignore the columns not used."""
    if not isinstance(record, dict):
        errors.append(Issue(line, "not_an_object", f"each row must be a JSON object, got {type(record).__name__}"))
        return None
    bad = False
    if strict_keys:
        extra = sorted(set(record) - ALLOWED_KEYS[shape])
        if extra:
            errors.append(Issue(line, "unknown_key", f"unknown key(s) {', '.join(map(repr, extra))} for "
                                f"{LABELS[shape]} (allowed: {', '.join(sorted(ALLOWED_KEYS[shape]))})"))
            bad = True
    if shape in ("messages", "sharegpt"):
        tools = _tools(record.get("tools"), line, errors)
        if shape == "messages":
            messages = _messages(record.get("messages"), line, errors)
        else:
            messages = _sharegpt(record.get("conversations"), line, errors)
            system = record.get("system")
            if messages is not None and isinstance(system, str) and system:
                messages = [{"role": "system", "content": system}] + messages
        if messages is None or tools is False or bad:
            return None
        return Example(line, messages, tools=tools)
    if shape == "prompt_completion":
        values = _strings(record, ("prompt", "completion"), ("system",), line, errors)
        if values is None or bad:
            return None
        return Example(line, _system(values) + [{"role": "user", "content": values["prompt"]},
                                                {"role": "assistant", "content": values["completion"]}])
    if shape == "alpaca":
        values = _strings(record, ("instruction", "output"), ("input", "system"), line, errors)
        if values is None or bad:
            return None
        prompt = values["instruction"] + (f"\n\n{values['input']}" if values.get("input") else "")
        return Example(line, _system(values) + [{"role": "user", "content": prompt},
                                                {"role": "assistant", "content": values["output"]}])
    if shape == "preference":
        values = _strings(record, ("prompt", "chosen", "rejected"), ("system",), line, errors,
                          "missing_preference_field")
        if values is None or bad:
            return None
        return Example(line, _system(values) + [{"role": "user", "content": values["prompt"]},
                                                {"role": "assistant", "content": values["chosen"]}],
                       rejected=values["rejected"])
    if shape == "text":
        values = _strings(record, ("text",), (), line, errors)
        if values is None or bad:
            return None
        return Example(line, text=values["text"])
    raise ValueError(f"unknown shape {shape}")
