"""A pairwise LLM judge for free-text answers: tuned vs base-with-its-best-prompt, both orders, ties allowed.

Word-overlap metrics (ROUGE-L, token F1) miss a reply that says the right thing in other words. When
TUNEWISE_LLM names a chat model (LangChain's `provider:model`, with TUNEWISE_LLM_BASE_URL / TUNEWISE_LLM_API_KEY as
for the advisor), each test row is judged twice: once with the tuned answer shown first and once with it shown
second, because judges favour one position. Per order the tuned answer scores 1 (preferred), 0.5 (tie) or 0
(the other preferred); the row's score is the mean of the two orders, so a judge that just picks the first answer
both times gives a tie. The win rate is the mean row score with a bootstrap interval: above 0.5 and clear of it
means the judge prefers the tuned model.
"""

from __future__ import annotations

import os
import re
from typing import Any

from trainer.scoring import mean_with_interval

JUDGE_SYSTEM = ("You compare two answers to the same request against a reference answer. Judge correctness first, "
                "then how closely the answer follows the reference's format, tone and length. If the two are equally "
                "good or equally bad, say TIE.")
JUDGE_REQUEST = ("Request:\n{prompt}\n\nReference answer:\n{reference}\n\nAnswer A:\n{a}\n\nAnswer B:\n{b}\n\n"
                 "Which answer is better? End your reply with one line: VERDICT: A, VERDICT: B or VERDICT: TIE.")
VERDICT = re.compile(r"VERDICT:\s*(A|B|TIE)\b", re.I)


def model_from_env() -> Any | None:
    """The chat model named by TUNEWISE_LLM, or None when it is not set (the judge is then skipped)."""
    spec = os.environ.get("TUNEWISE_LLM")
    if not spec:
        return None
    from langchain.chat_models import init_chat_model  # heavy, and only needed when a judge is configured

    kwargs: dict[str, Any] = {}
    if os.environ.get("TUNEWISE_LLM_BASE_URL"):
        kwargs["base_url"] = os.environ["TUNEWISE_LLM_BASE_URL"]
        kwargs["api_key"] = os.environ.get("TUNEWISE_LLM_API_KEY") or "not-needed"  # local servers ignore it
    elif os.environ.get("TUNEWISE_LLM_API_KEY"):
        kwargs["api_key"] = os.environ["TUNEWISE_LLM_API_KEY"]
    return init_chat_model(spec, temperature=0, **kwargs)


def ask(chat, prompt: str, reference: str, a: str, b: str) -> str:
    """"A", "B" or "TIE" from one judge call; an unreadable reply counts as a tie."""
    reply = chat.invoke([("system", JUDGE_SYSTEM),
                         ("human", JUDGE_REQUEST.format(prompt=prompt, reference=reference, a=a, b=b))])
    found = VERDICT.findall(str(getattr(reply, "content", reply)))
    return found[-1].upper() if found else "TIE"


def judge(chat, prompts: list[str], references: list[str], tuned: list[str], base: list[str],
          on_row=None) -> dict:
    """Position-swapped pairwise judgement of every row; {win_rate: {value, low, high}, wins, ties, losses,
    inconsistent, rows}. A row is a win when the tuned answer is preferred in both orders, a loss when the base
    answer is, and a tie otherwise."""
    scores, wins, losses, ties, inconsistent = [], 0, 0, 0, 0
    for prompt, reference, t, b in zip(prompts, references, tuned, base):
        first = ask(chat, prompt, reference, t, b)  # tuned shown as A
        second = ask(chat, prompt, reference, b, t)  # tuned shown as B
        row = ({"A": 1.0, "TIE": 0.5, "B": 0.0}[first] + {"B": 1.0, "TIE": 0.5, "A": 0.0}[second]) / 2
        scores.append(row)
        wins += row == 1.0
        losses += row == 0.0
        ties += 0 < row < 1
        inconsistent += first == second != "TIE"  # the same letter both times: the judge followed the position
        if on_row:
            on_row(1)
    return {"win_rate": mean_with_interval(scores), "wins": wins, "ties": ties, "losses": losses,
            "inconsistent": inconsistent, "rows": len(scores),
            "method": "pairwise, each row judged in both orders; ties allowed; win = preferred in both orders"}
