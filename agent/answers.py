"""Answers, not passages: what a user's turn asks for, and a direct answer composed from the best sentences.

Three pure pieces the offline brain combines (the LLM brain writes its own answer from the same passages):

- `classify(text)` — the turn's intent: a "why not X?" (with X), a cost question, the user choosing an approach
  against the advice ("train anyway", "let's do LoRA"), or a general question; None for anything else.
- `select(question, passages)` — the few sentences of the retrieved passages that answer the question, each
  with the passage it came from, ranked by meaning (the bundled sentence embedder) plus the question's own words.
- `cited(sentences)` / `read_more(passages)` — the answer text with a [n] after every sentence, and a "read
  more" disclosure per cited passage that opens it as prose (re-flowed, markdown rendered, nothing cut).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from agent.plan_edits import find_edits
from agent.text import pieces, unquoted

WHY_NOT, COST, CHOOSE, QUESTION = "why_not", "cost", "choose", "question"
# A question, a push back or a choice is said in a sentence or two; past this many characters a message is pasted
# material, and reading all of it for intent took ≈ 0.8 s on a busy 2-core machine for 50,000 characters.
CLASSIFY_CHARS = 3_000

# How users name each approach (the vocabulary's ids on the right). Order matters: the combined one first.
APPROACH_WORDS: list[tuple[str, re.Pattern]] = [(a, re.compile(p, re.I)) for a, p in [
    ("rag_and_finetune", r"\b(?:rag|retrieval)\s*(?:\+|and|plus|&)\s*(?:a\s+)?(?:lora|fine[- ]?tun\w*|training)\b|"
                         r"\bboth,? rag and fine[- ]?tun\w*|\bdo both\b"),
    ("continued_pretraining", r"\bcontinued[- ]?pre-?train\w*|\bdomain[- ]adaptive pre-?train\w*|\bcpt\b"),
    # "our own model" says who owns it, not how it is made: a fine-tune of an open model is as much theirs (the
    # seed rule: ownership and residency do not require pretraining), so only the method's own words name it
    ("pretrain_from_scratch", r"\bfrom (?:scratch|zero)\b|\bpre-?train(?:ing)? our own\b|"
                              r"\b(?:want|need|build|train|create|develop|like)\b[^.?!]{0,30}\bfoundation model\b|"
                              r"\bpretrain\w*(?! (?:on the|then))"),
    ("preference_tuning", r"\bdpo\b|\brlhf\b|\bpreference[- ]tun\w*|\bpreference optimi[sz]ation\b"),
    ("full_finetune", r"\bfull(?:[- ]parameter)?(?: fine[- ]?tun\w*| ft\b|,? not lora)|\ball (?:the )?weights\b|"
                      r"\bfull\b(?= fine| tune|,)"),
    ("lora_finetune", r"\bq?lora\b|\bfine[- ]?tun\w*|\bjust train\b|\btrain anyway\b|\badapters?\b"),
    ("stronger_base_model", r"\b(?:stronger|bigger|larger|better)(?: base)? model\b|"
                            r"\b(?:big|large|frontier) (?:hosted |commercial |api |closed )?model\b|\b(?:biggest|largest|strongest|most "
                            r"powerful)(?:,? most \w+)?(?: base)? model\b|\b70b\b|\bgpt-?4\w*\b"),
    # ("more data is always better" argues for training on everything, it names no route)
    ("collect_data", r"\bcollect(?:ing)? (?:more )?data\b|\bmore (?:data|examples)\b(?! (?:is|are|=|means) (?:always )?better)|"
                     # labelling said in the team's own verb: "label more", "code more of them", "annotate extra"
                     r"\b(?:label|code|annotat|tag)\w* (?:more|extra|another)\b"),
    ("rag", r"\brag\b|\bretriev\w*|\bvector (?:database|store|db)\b"),
    # … or said by what it does: "give a good model 20 of our clues as examples", "in-context examples"
    # … a hosted chat product is used by prompting it: "couldn't we just give ChatGPT a few of our old blurbs"
    ("prompt_engineering", r"\bprompt(?:ing| engineering| stuff)?\b|\bfew-?shot\b|\bin-?context\b|\bchat-?gpt\b|"
                           r"\b(?:give|show|feed|hand)\b[^.?!]{0,40}\bas (?:worked )?examples\b"),
]]

_WHY_NOT = re.compile(r"\bwhy (?:not|\w+ and not|don'?t we|wouldn'?t)\b|"
                      # asked for a view on a named route: "X is the 'proper' way. thoughts", "what do you think of X"
                      r"\bthoughts\b|\bwhat do you think\b|\byour (?:take|view|opinion)\b|\bwdyt\b|"
                      r"(?<!what )(?<!what's )\b(?:is|are) (?:the |a )?(?:proper|right|correct|best|real) way\b|\bw?h?a?t about\b|\bwht about\b|"
                      r"\bshouldn'?t we\b|\bwould it make sense\b|\bcouldn'?t we\b|\bwhat'?s wrong with\b|"
                      r"\bisn'?t \w+ better\b|\bis training even needed\b|"
                      r"\bwould(?:n'?t it| it not) be (?:wiser|better|smarter|cheaper|easier|simpler|enough)\b|"
                      r"\bisn'?t it (?:wiser|better|smarter|cheaper|easier|simpler|enough) to\b|"
                      # a judgement asked on a route for this case, however phrased: "why do you say we need to …",
                      # "why isn't that enough", "is LoRA actually the right call here", "why a LoRA is the wrong idea",
                      # "would a bigger model really help more", "why X, and not only Y"
                      r"\bwhy (?:do|did|would|are|were|should) you\b|\bwhy (?:do|would|should|must) we\b|"
                      r"\bwhy (?:is|isn'?t|would|wouldn'?t) (?:that|this|it)\b|\bwhy isn'?t\b|"
                      r"\bwhy\b[^.?!]{0,40}\band not\b|"
                      r"\b(?:right|wrong|best|good|bad) (?:call|choice|idea|move|fit|approach|route|tool)\b|"
                      r"\b(?:really|actually) (?:help|needed|necessary|worth|required)\b|\b(?:not|even) (?:needed|necessary)\b|"
                      r"\bis (?:that|this|it) (?:dumb|stupid|silly|crazy|naive|wrong|a mistake|a bad idea|overkill)\b",
                      re.I)
# Someone else's opinion, reported: "my nephew says just fine tune it", "our CTO thinks RAG is dead". (An authority's
# requirement — "the board wants", "legal requires" — is a decision, and stays.)
_REPORTED = re.compile(r"\b(?:my|our|the|a|his|her|their) (?:[\w-]+ ){0,2}?(?:says|said|suggests|suggested|thinks|thought|"
                       r"claims|claimed|reckons|keeps saying|told (?:me|us))\b[^.;!?\n]*", re.I)
# What fits the user's means is asked: "12 days. what is realistic", "what can we actually do with 500 dollars"
MEANS_ASKED = re.compile(r"\brealistic(?:ally)?\b|\bwhat can (?:we|i) (?:actually |really |realistically )?(?:do|get|build|"
                         r"achieve)\b", re.I)
_COST = re.compile(r"\bhow much\b|\bcosts?\b|\bprice\b|\bbudget\b|\bhow long\b|\bwhat (?:gpu|hardware)\b|"
                   r"\bper (?:month|hour)\b|\bexpensive\b|\bcheapest\b|\bhow many (?:weeks|days|hours|gpu)|"
                   r"\bballpark\b|\brealistically do with\b|\btimeline\b|\bgpu time\b|\brent\b|\bbill\b|\bspend\b|"
                   r"\bfits? (?:on|in|into)\b|\bvram\b|\bgpu memory\b|\bhow many gpus\b|\bwall[- ]?clock\b|"
                   r"\bdo the (?:math|maths|numbers|sums)\b|\bcrunch the numbers\b|\bbreak[- ]?even\b|"
                   r"\$\s?\d+(?:\.\d+)?\s?(?:/|per |an? )\s?(?:h|hr|hour|month|mo)\b|"
                   # "numbers pls", "memory + time for both options please": figures asked for
                   r"\b(?:numbers|figures)\s*(?:pls|please|plz)\b|\bmemory\b|"
                   + MEANS_ASKED.pattern, re.I)
# "use all 300", "use all of them", "just use all.": every example goes into training. Not "72% use all terms correctly"
_USE_ALL = (r"\buse all(?:\s+(?:of (?:it|them|the data|our data)|(?:the |our |my |those )?(?:\d[\d,.]* )?"
            r"(?:data|examples?|rows|pairs|samples|records|them|of them)\b|\d[\d,.]*)|(?=\s*(?:[.!,;]|$)))")
# Pushback that names no approach but is still a decision about the plan
_DECIDED = re.compile(r"\bjust (?:train|fine[- ]?tune|launch|ship)\b|\bskip (?:the|all|that|this|it)\b|\buse what we have\b|\bi'?ve (?:already )?decided\b|"
                      r"\bdon'?t trust\b|\bdon'?t want to label\b|\byour advice is wrong\b|\bend of story\b|"
                      # the user overrules the advice, whatever approach it names: "stop telling me to…", "full stop",
                      # "we are NOT collecting more data", "train on what we have", "don't argue", "who cares about…"
                      r"(?:^|[.!?,;]\s*|\bso |\bplease |\bjust )stop (?:telling|suggesting|recommending|pushing) (?:me|us)\b|\bfull stop\b|"
                      r"\bwe(?:'re| are) not (?:going to )?(?:collect|label|do|use|build|spend|wait)\w*\b|"
                      r"\btrain (?:it |them )?on (?:what we have|all (?:of )?(?:it|them)|everything)\b|" + _USE_ALL + r"|"
                      r"\b(?:work|go|make do) with what (?:we|i)(?:'ve| have)?(?: got| have)?\b|\bmake do\b|"
                      r"\bdon'?t argue\b|\bwho cares\b|\bno time for\b|\bdon'?t have time for\b|"
                      r"\bjust (?:give|get|use) (?:us|me|the)\b|\bwe(?:'ll| will) (?:just )?(?:upload|use|train|ship|go with|do)\b|"
                      r"\bwe (?:only|just) want\b|\bwe want (?:the|a|an|to|our own) (?:\w+[ -])?(?:fine[- ]?tun\w*|lora|model|train\w*)\b|"
                      # an order or a closed debate: "do it.", "just do that", "my call, no debate", "I know what I'm doing"
                      r"(?:^|[.!?,;]\s*)(?:just |so |then |please |now )*do (?:it|that|this)(?: now| then| please)?\s*(?:[.!]|$)|"
                      r"\bno (?:debate|discussion|arguing|arguments?)\b|\bmy call\b|\bi know what i'?m doing\b|"
                      r"\b(?:don'?t|do not) (?:change|touch|alter|override|second-guess) (?:it|them|that|those|my|the|these)\b|"
                      # a settled intention or an order about the plan, in the user's own grammar: "we'll fine-tune the
                      # local 8B", "we're staying with the prompt", "go straight to fine-tuning", "plan it", "and that's that"
                      r"\bwe(?:'ll| will|'re going to| are going to| shall) (?:just |still |simply )?(?:fine[- ]?tune|train|"
                      r"pretrain|stay with|stick with|skip|go with|go ahead|ship it|launch)\b|"
                      r"\b(?:we(?:'re| are)|i'?m|i am) (?:staying|sticking) with\b|"
                      r"(?:^|[.!?,;]\s*)(?:so |then |please |just |ok,? )*(?:go|jump|skip|move|proceed) (?:straight |directly |right )?"
                      r"(?:to|with|for|ahead with)\b|(?:^|[.!?]\s+)(?:please |so |then |ok,? |just )?(?:plan|price|schedule) (?:it|that|this)"
                      r"(?: out)?\s*(?:[.!]|$)|"
                      r"\bthat'?s that\b|\b(?:the )?decision is (?:made|final)\b|\b(?:that|it)'?s final\b|"
                      r"\bnot (?:up for|open to) (?:debate|discussion)\b|"
                      r"\b(?:the )?(?:board|ceo|cto|boss|management|leadership|founders?) (?:wants?|insists?|"
                      r"decided|has decided|requires?)\b"
                      # … a route or a plan, not an answer: "management wants a yes or no", "the CEO wants to know"
                      r"(?! (?:a |an |the |clear |some )?(?:yes\b|no\b|answer|decision|number|figure|estimate|report|"
                      r"update|recommendation|to (?:know|see|understand|hear)|clarity|numbers|figures))|"
                      r"\b(?:don'?t|do not|never) (?:send|take|push|point|steer) (?:me|us) back\b|"
                      # "can you change the plan to full FT?", "switch us to QLoRA", "we need full fine-tuning"
                      r"\b(?:change|switch|move|update|turn) (?:the |our |this |my )?plan (?:to|into)\b|"
                      r"\bswitch (?:us|it|the plan|the job|over) to\b|"
                      r"\b(?:we|i) (?:really )?need (?:a |an |to do |to use )?(?:full(?:[- ]parameter)? (?:fine[- ]?tun\w*|ft)\b|q?lora\b|"
                      r"rag\b|dpo\b|continued pre-?train|fine[- ]?tun|pre-?train)", re.I)

# Evaluation on live traffic named as the user's own ("our A/B tests on real donors are the real evaluation")
LIVE_EVALUATION = re.compile(r"\ba/?b[- ]?tests?\w*|\bonline (?:eval\w*|tests?\w*|experiments?)\b|\blive (?:traffic|tests?\w*|"
                             r"eval\w*|experiments?)\b|\bsee how it does live\b", re.I)
# "no time for evaluation, just ship it", "no test split, every example goes into training": skipping the check, not
# choosing an approach
# … of which "no test split, every example goes into training" keeps the examples out of any held-out set
_HELD_OUT = r"(?:the |a |any )?(?:test|eval\w*|validation|held-?out|hold-?out) ?(?:split|set|data|examples)\b"
SKIPS_SPLIT = re.compile(r"\b(?:forget|drop|skip|(?:don'?t|do not) (?:want|need))\s" + _HELD_OUT + r"|"
                         # "put the test set back into training": the held-out examples trained on after all
                         r"\b(?:put|add|move|fold|merge|throw)\w* " + _HELD_OUT + r" (?:back )?(?:in|into|to) (?:the )?"
                         r"train\w*\b|\btrain (?:it |them )?on (?:the )?(?:test|eval\w*|held-?out) (?:set|split|data)\b|"
                         r"\bno " + _HELD_OUT + r"(?=[^.]{0,15}\b(?:please|pls|thanks)\b)|"  # "no test split please"
                         r"\b(?:every|each|all)(?: single)?(?: one)?(?: of)?(?: the| our| them| it)? ?(?:\d[\d,.]{0,12} ?)?"
                         r"(?:examples?|rows?|pairs?|samples?|records?|entries)? ?(?:(?:should|must|has to|have to|need to|"
                         r"needs to|will|are going to) (?:go |be used )?|go(?:es)? )(?:in|into|for) (?:the )?training\b|"
                         r"\bneed (?:every|each|all)\b[^.]{0,40}\bfor training\b|"
                         # "I put all 300 in the training"
                         r"\b(?:put|use|throw|used) (?:all|every one of|each of) (?:the |them |of them |my |our )?(?:\d[\d,.]* )?"
                         r"(?:\w+ )?(?:in|into|for) (?:the )?training\b", re.I)
SKIPS_EVALUATION = re.compile(r"\b(?:no time for|skip|without) (?:the )?(?:evaluation|eval|testing)\b|\bjust ship\b|"
                              r"\bno (?:testing|tests?|evaluation|eval) (?:is )?(?:needed|necessary|required)\b|"
                              # "don't bother re-running the test", "no need to redo the eval"
                              r"\b(?:don'?t|do not|no need to|not going to|won'?t) (?:bother )?(?:with )?(?:re-?)?(?:run|do|"
                              r"repeat|check)\w* (?:the |a |any |our )?(?:\w+ )?(?:tests?|eval\w*|checks?|benchmark)\b|"
                              # "we won't build an offline test set"
                              r"\b(?:won'?t|will not|not going to|refuse to|don'?t want to|aren'?t going to) (?:build|make|"
                              r"keep|create|do|bother with|maintain|write) (?:an? |the |any )?(?:offline |separate |"
                              r"held[- ]?out )?(?:test|eval\w*)(?: set)?\b|"
                              + SKIPS_SPLIT.pattern, re.I)

# "No vector database. …": a sentence that opens by refusing the route (a refusal, and the route refused)
_NO_ROUTE_SENTENCE = r"(?:^|[.!?]\s+)no (?P<no>rag|retrieval|vector (?:db|database|store|index))\s*[.!]"

_CHOOSE = re.compile(_DECIDED.pattern + "|" + SKIPS_EVALUATION.pattern + r"|\bi (?:still )?want\b|\bi prefer\b|"
                     + _NO_ROUTE_SENTENCE + r"|"
                     r"\b(?:i|we)(?:'d| would) (?:like|prefer)\b(?! to (?:know|see|understand|ask|hear))|\banyway\b|\blet'?s (?:just )?(?:do|go with|use|try)\b|"
                     r"\bjust (?:train|fine[- ]?tune|launch|ship|use|do|go)\b|\bskip (?:the|all|that|this|it)\b|\bi'?ve (?:already )?decided\b|"
                     r"\bend of story\b|\b(?:not|no) (?:boring )?(?:lora|sft|rag)\b|\bi don'?t care\b|"
                     r"\bwe (?:don'?t|do not|not) (?:want|trust)\b|\bdon'?t want to\b|\buse what we have\b|"
                     r"\byour advice is wrong\b|\btoo expensive\b|\bi don'?t trust\b|\bwill fix it\b|"
                     r"\bforget (?:about )?(?:fine[- ]?tuning|rag|it)\b|"
                     # an order to run a route: "now do full fine-tuning of the 70B", "just use QLoRA then"
                     r"(?:^|[.!?;]\s+)(?:(?:now|then|so|ok|okay|please|just|right)\W+)*(?:do|run|use|try|start|set up|go for) "
                     r"(?:a |an |the |with )?(?:[\w-]+ ){0,3}?(?:fine[- ]?tun\w*|q?lora|rag|retrieval|pre-?train\w*|dpo|"
                     r"prompt\w*)\b|"
                     r"\b(?:drop|remove|cut|ditch|scrap|leave out) (?:the |that |this |all )?(?:rag|retrieval|lora|prompt\w*|"
                     r"fine[- ]?tun\w*|label\w*)\b", re.I)
_DISTRUST_NUMBERS = re.compile(r"\b(?:don'?t|do not) (?:trust|believe) (?:these|your|the|those) (?:numbers|figures|"
                               r"estimates?|prices?|costs?)\b", re.I)
_REJECT = re.compile(
    r"\bskip the (?P<skip>prompt\w*|rag|retrieval|lora)"
    r"|\bstop (?:telling|asking) (?:me|us) to (?:\w+ ){0,3}?(?P<stop>prompt\w*|rag|retrieval|lora|label\w* more|collect\w* (?:more )?data)"
    r"|\b(?:are|'re) not (?:going to )?(?P<notdo>collect\w* (?:any ?more |more |any )?data|label\w* (?:any ?more|more|any))"
    r"|\bnot (?:boring )?(?P<not>lora|sft|rag|retrieval)\b"
    r"|\bforget (?:about )?(?P<forget>fine[- ]?tuning|rag|retrieval|lora)"
    r"|\b(?:don'?t|do not|not) (?:want|trust|like)\s+(?:\w+\s+){0,2}?(?P<what>rag|retrieval|lora|prompt\w*|fine[- ]?tun\w*)"
    r"|\b(?P<what2>rag|retrieval)\b[^.?!]{0,40}\?\s*no\b"
    r"|\b(?P<what3>continued pretraining|rag|lora)[^.!]{0,40}\btoo expensive\b"  # "X then Y? too expensive"
    # "collect ~1000 more pairs first. not happening": the route named, then refused
    r"|\b(?P<nothappening>collect\w*|label\w*|gather\w*|annotat\w*|retriev\w*|rag|lora|fine[- ]?tun\w*|prompt\w*|"
    r"more (?:[\w&-]+ )?(?:pairs|examples|data|labels|samples))\b[^.!?]{0,50}"
    r"[.!?,;]*\s*(?:(?:that'?s|that is|it'?s|is) )?(?:not happening|no way|not an option|won'?t happen|impossible for us)\b"
    r"|\b(?:drop|remove|cut|ditch|scrap|lose|leave out) (?:the |that |this |all (?:the |that )?)?(?P<drop>rag|retrieval|lora|"
    r"prompt\w*|fine[- ]?tun\w*|label\w*|data collection)\b"
    r"|\b(?P<out>rag|retrieval|lora|prompt\w*|fine[- ]?tun\w*) (?:is|are) (?:out|off the table|not an option|a no-go|"
    r"ruled out)\b"
    r"|\b(?:send|take|push|point|steer) (?:me|us) back (?:to|into) (?:the )?(?P<back>prompt\w*|rag|retrieval|lora|"
    r"label\w*|collect\w* (?:more )?data)|" + _NO_ROUTE_SENTENCE, re.I)




_VOLITION = re.compile(r"\b(?:i|we) (?:still |really )?(?:want|prefer|insist)\b(?! (?:it|the (?:bot|model|assistant)) to\b)|"
                       r"\blet'?s\b|\bgo with\b|"
                       # "train it anyway" decides; "too expensive at volume anyway" describes the past
                       r"\b(?:train\w*|do(?:ing)?|us(?:e|ing)|go(?:ing)?|launch\w*|fine[- ]?tun\w*|tun(?:e|ing)|try(?:ing)?|"
                       r"want|ship\w*|build\w*|pretrain\w*)\b[^.;]{0,30}\banyway\b", re.I)


# settings said in the imperative are a decision about the plan: "set lr 5e-4 and 10 epochs"
_SETS = re.compile(r"^\W*(?:(?:please|pls|ok|okay|now|then|so|just)\W+)*(?:set|put|use|make it|change|bump|raise|lower|"
                   r"train (?:for|with))\b", re.I)


def decides(text: str) -> bool:
    """Does the text take a decision about the plan ("just train it", "we want LoRA", "let's skip RAG"), as
    opposed to describing the situation ("a big prompt was too expensive at our volume")?"""
    t = " ".join((text or "")[:CLASSIFY_CHARS].split())
    return bool(_DECIDED.search(t) or _VOLITION.search(t) or SKIPS_EVALUATION.search(t) or stance(t) or
                (_SETS.match(t) and find_edits(t)))  # "set learning rate 3e-3 and 15 epochs": the plan, decided


# ---- mood: does a sentence ask the advisor something, or tell it what to do? -----------------------------------
# Users ask without a question mark ("cost + wall clock for the pretraining step pls", "whats the one-off cost to
# index it") and decide in the imperative ("Plan it.", "Go straight to fine-tuning."). The grammar of the sentence
# says so, whatever its subject: an interrogative opening, a verb of the advisor's own work in the imperative, a
# polite request. A plain statement ("what goes wrong is the tone", "run on our own GPUs") is none of these.
_LEAD = (r"^\W*(?:(?:so|ok(?:ay)?|and|also|but|then|now|hm+|um+|sorry|honestly|right|well|fine|great|thanks|"
         r"quick question|one more thing|last thing|btw|oh)\b[,:!.]? ?)*")
_INTERROGATIVE = re.compile(_LEAD + (
    r"(?:(?:what|which|how|why|when|where|who)(?:'s|s)?\s+(?:is|are|was|were|do|does|did|would|will|should|can|"
    r"could|might|much|many|long|big|fast|about|if|kind|sort|type|exactly|else|happens|gpu|hardware|size|part|"
    r"order|way|sort)\b"
    r"|why\b|whats\b|what's\b|wats\b|how's\b|hows\b|wdyt\b|(?:what|which) (?:one|ones|of them|of those|option)\b"
    # "what licence issues come with …", "which GPU would fit": the question word, its noun, then the verb
    r"|(?:what|which)\s+(?:[\w-]+\s+){1,3}(?:do|does|would|will|should|can|could|come|comes|apply|applies|"
    r"matter|matters)\b"
    r"|(?:is|are|can|could|would|will|should|do|does|did|shall|may|won'?t|isn'?t|aren'?t|doesn'?t|don'?t|didn'?t|"
    r"wouldn'?t|shouldn'?t|can'?t|has|have)\s+(?:it|this|that|these|those|we|i|you|they|there|the|a|an|our|my|"
    r"your|such|any|some|q?lora|rag|fine[- ]?tun\w*|\w+ing|full|continued|dpo|retrieval|prompt\w*|pre-?train\w*)\b)"), re.I)
# The advisor's own work, asked for in the imperative ("price it out", "walk me through the steps")
_ADVISOR_VERBS = (r"plan|price|estimate|quote|calculate|compute|give|tell|show|explain|compare|walk|break down|list|"
                  r"help|recommend|suggest|sketch|outline|work out|figure out|clarify|confirm|describe|advise|"
                  r"elaborate|spell out|lay out")
# ... not a label ("Plan: 1 epoch", "Price - $2/h") nor a noun ("plan is to", "help desk")
_IMPERATIVE = re.compile(_LEAD + r"(?:(?:please|pls|plz|just|now|then|ok) )*(?:" + _ADVISOR_VERBS + r")\b"
                         # … with an object: "price it out", "walk me through", "estimate the cost"; not a noun
                         # ("Compute budget is 5k", "Price per request", "Help center articles")
                         r" (?:me|us|it|this|that|these|those|the|a|an|out|down|through|what|how|why|which|whether|if|our|to|"
                         r"my|your|all|both|each)\b", re.I)
_POLITE = re.compile(r"\b(?:please|pls|plz)\b|\b(?:thoughts|opinions?|wdyt|ideas)\W*$|\bwhat do you think\b|"
                     r"\byour (?:take|view|opinion)\b|\bi(?:'d| would) (?:like|love) (?:to (?:know|see|understand)|an? )|"
                     r"\b(?:i|we) (?:need|want|would like) to (?:know|understand|see)\b|\b(?:i'?m |we'?re )?"
                     r"(?:wondering|curious)\b|\b(?:can|could|would) you\b|\bany (?:idea|thoughts|estimate|ballpark)\b",
                     re.I)
_MOOD_SPLIT = re.compile(r"(?<=[.!?;\n])\s+")
# a question can follow a lead-in: "instead of labelling, can we …", "legal asked two things: is the licence fine …"
_CLAUSE_LEAD = re.compile(r"[,:] |\s(?:and|or|but) (?=(?:is|are|can|could|may|might|should|would|will|do|does|how|what|which|"
                          r"why|when|where) )")
# … where the clause opens as a yes/no question with its subject ("may we use …", "is the licence fine …"); not
# "which is about a year of support" nor "and do the labelling ourselves"
_AUX_QUESTION = re.compile(r"(?:is|are) (?:the|it|this|that|there|our|my|a|an|full|continued|q?lora|rag|dpo|retrieval|"
                           r"prompt\w*|fine[- ]?tun\w*|pre-?train\w*)\b|"
                           r"(?:can|could|may|might|should|would|will|do|does) (?:we|i|you|it|they|one|this|that)\b", re.I)


# A question by its word order alone: a sentence that opens with an auxiliary before its subject ("will 70B QLoRA
# even fit on the A6000", "does a 3B model need 60B tokens"), or one that ends in a tag ("40 is too few, isn't it").
# "do"/"did" are left out: "do full fine-tuning" is an imperative.
_AUX_FIRST = re.compile(_LEAD + r"(?:will|would|can|could|should|does)\s+(?:[\w$€£~.,-]+\s+){1,4}(?:even |really |actually |"
                        r"still |ever )?(?:fit|work|run|help|need|take|cost|be|make|beat|handle|improve|matter|change|hurt|"
                        r"break|get|learn|forget|finish|scale|suffice|count|hold|stay|go|leak|pass)\b", re.I)
_TAG_QUESTION = re.compile(r"(?:,?\s+(?:isn'?t (?:it|that|this)|aren'?t (?:they|those|we)|don'?t you think|"
                           r"wouldn'?t (?:it|you))|,\s*right)\s*[?.!]*\s*$", re.I)
# … or a question after a lead-in ("licence question: what do I need to check", "… and how long does it take"); not
# a relative clause ("…, which is about a year of support")
_WH_QUESTION = re.compile(r"(?:(?:and|or|but|so)\s+)?(?:how|what|why)\s+(?:do|does|did|is|are|would|will|should|can|could|much|many|long)\b", re.I)
# The user asks for the advisor's verdict on their own view: "back me up or tell me I'm wrong", "am I wrong"
_VERDICT_ASKED = re.compile(r"\bback me up\b|\btell me (?:if |whether |that )?(?:i'?m|we'?re|i am|we are) wrong\b|"
                            r"\bam i (?:wrong|right|mistaken)\b|\bprove me wrong\b|\bconvince me\b", re.I)


def _is_question(sentence: str) -> bool:
    """A sentence asked as a question, by its mark or its word order ("will 70B QLoRA even fit", "40 is too few,
    isn't it")."""
    return bool("?" in sentence or _INTERROGATIVE.search(sentence) or _AUX_FIRST.match(sentence) or
                _TAG_QUESTION.search(sentence))


def requests(text: str) -> list[str]:
    """The sentences of `text` that ask the advisor something or tell it what to do (a question, with or without
    its question mark, also after a lead-in clause; an imperative of the advisor's work; a polite request). What the
    text quotes asks nothing."""
    out = []
    for sentence in pieces(_MOOD_SPLIT, unquoted(" ".join((text or "")[:CLASSIFY_CHARS].split()))):
        if _is_question(sentence) or _IMPERATIVE.search(sentence) or _POLITE.search(sentence) or \
                _VERDICT_ASKED.search(sentence) or any(_AUX_QUESTION.match(c) or _WH_QUESTION.match(c)
                                                       for c in pieces(_CLAUSE_LEAD, sentence)[1:]):
            out.append(sentence)
    return out


@dataclass
class Intent:
    kind: str  # why_not · cost · choose · question
    target: str | None = None  # the approach asked about or chosen
    rejected: str | None = None  # the approach the user refuses ("we don't trust retrieval")


def mentioned(text: str) -> list[str]:
    """Approaches the text names, in the order they appear."""
    found = []
    for approach, pattern in APPROACH_WORDS:
        for m in pattern.finditer(text):
            if not any(s <= m.start() < e for _, s, e in found):
                found.append((approach, m.start(), m.end()))
    return [a for a, _, _ in sorted(found, key=lambda f: f[1])]


def _word_to_id(word: str) -> str | None:
    names = mentioned(word) or mentioned(re.sub(r"s\b", "", word))  # "prompts" names prompting too
    return names[0] if names else None


def classify(text: str) -> Intent | None:
    """What the turn asks for; None when it asks nothing (a plain answer to the interview's question)."""
    t = " ".join((text or "")[:CLASSIFY_CHARS].split())
    if not t:
        return None
    names = mentioned(t)
    # what someone else said ("my nephew says just fine tune it") is their opinion, not the user's decision: the
    # decision readers below read the message without it
    own = _REPORTED.sub(" … ", t)
    asked = requests(t)  # a quoted question ("it reads 'can we do Thursday?' as a cancel") asks us nothing
    asks = bool(asked)
    # the price is asked for only by a sentence that asks ("I hear you on cost, but … Plan it." asks for a plan)
    asks_cost = any(_COST.search(s) for s in asked) or bool(re.match(r"\s*(?:how|what|wat|which)\b", t, re.I)
                                                             and _COST.search(t))
    if asks_cost and not names and re.match(_LEAD + r"why\b", t, re.I):
        asks_cost = False  # "why would Tamil be more expensive than English?" asks for the reason, not a price
    if _WHY_NOT.search(t) and names and (asks or re.match(r"\s*(?:why|what|wht|would|shouldn|couldn)", t, re.I)):
        m = re.search(r"\b(?:and not|not|about|instead of|rather than)\s+(.{0,60})", t, re.I)
        after = mentioned(m.group(1)) if m else []
        target = after[0] if after else (mentioned(own) or names)[0]
        if re.search(r"\bwhy (?:not )?keep going with\b|\binstead of train", t, re.I):
            target = names[0]
        return Intent(WHY_NOT, target)
    if re.search(r"\bis training even needed\b", t, re.I):
        return Intent(WHY_NOT, "prompt_engineering")
    if _DISTRUST_NUMBERS.search(t):
        return Intent(COST, names[0] if names else None)
    rejected = None
    if r := _REJECT.search(own):
        word = next(g for g in r.groups() if g)
        # "label more", "gather examples", "data collection": building the dataset, in a verb of its own
        rejected = _word_to_id(word) or ("collect_data" if re.match(r"collect|label|gather|annotat|data|more", word, re.I)
                                         else None)
    elif re.search(r"\bdon'?t want to label\b|\bno more label", t, re.I):
        rejected = "collect_data"
    # a bare "no." refuses only in a message that asks nothing ("no. QLoRA on my 3090 is fine, right?" asks)
    refuses = _CHOOSE.search(own) or (not asks and re.search(r"\bno\. ", t, re.I))
    # settings said in the imperative are a decision about the plan: "set lr 5e-4 and 10 epochs"
    sets = _SETS.match(t) and find_edits(t)
    pushback = (refuses or sets) and (names or rejected or sets or _DECIDED.search(own) or SKIPS_EVALUATION.search(t))
    decided = stance(own)
    if pushback and decided and decided.rejected and not rejected:
        rejected = decided.rejected  # "we are not going to do any fine-tuning": the route the decision refuses
    if pushback and (rejected or not asks_cost):
        w = re.search(r"\b(?:want|wants|do|go with|use|try|decided:?|(?:go|jump|skip|move|proceed) (?:straight |directly "
                      r"|right )?(?:to|for|with)|stay(?:ing)? with|stick(?:ing)? (?:with|to)|keep(?:ing)?|we'?ll|we will|"
                      r"plan (?:to|into)|switch (?:us |it )?(?:over )?to|need)"
                      r"\s+(?:a |an |the |our )?(.{0,40})", t, re.I)
        wanted = [n for n in (mentioned(w.group(1)) if w else []) if n != rejected]
        wanted += [n for n in names if n != rejected and n not in wanted]
        target = wanted[0] if wanted else None
        if SKIPS_EVALUATION.search(t) and not (w and mentioned(w.group(1))):
            target = None  # "put the test set back into training, more data = better": the check refused, no route chosen
        if re.search(r"\bjust train\b|\bskip the prompt|\buse what we have\b|" + _USE_ALL + r"|\btrain anyway\b|\btrain (?:it |them )?on "
                     r"(?:what we have|them|it)\b|\btrain (?:our|the) (?:own )?model\b|\bown model\b|\b(?:we(?:'ll| will)|going to) (?:just )?train\b",
                     t, re.I) and \
                target in (None, "prompt_engineering", "collect_data"):
            target = "lora_finetune"
        return Intent(CHOOSE, target, rejected)
    if not asks_cost and decided:
        return decided
    # a model named in passing ("have GPT-4o generate the pairs", "will 70B QLoRA fit") is not a question about a
    # stronger base model
    routes = [n for n in names if n != "stronger_base_model" or _STRONGER_SAID.search(t)]
    if asks_cost:
        return Intent(COST, routes[0] if routes else None)
    if asks:
        return Intent(QUESTION, routes[0] if routes else None)
    return None


# ---- stance: a decision about the route, in the user's own grammar ---------------------------------------------
# Users decide in sentences no phrase list foresees ("Ship the fine-tune", "I insist on continued pretraining", "the
# ministry wants a model trained from scratch", "We're using the hosted fine-tuning API, end of discussion"). What
# makes a sentence a decision is its form, whatever the words: an order at the head of a clause, a first-person
# intention (future, volition), an authority's requirement, or a commitment closed to debate — and it names the route
# it decides about. A negated one ("we're not going to fine-tune anything", "fine-tuning … is not acceptable")
# refuses the route it names. Descriptions ("we use GPT-4o today", "we fine-tuned an 8B") are none of these.
_ACTION_VERBS = (r"do|run|use|ship|deploy|go|train|fine[- ]?tune|finetune|tune|quanti[sz]e|launch|start|build|pick|choose|"
                 r"keep|stick|switch|try|set up|retrain|pretrain|distil+|roll out|proceed")
_ORDER = re.compile(_LEAD + r"(?:(?:please|pls|just|now|then|ok|so|simply)\W+)*(?:" + _ACTION_VERBS + r")\b", re.I)
_INTENDED = re.compile(r"\b(?:we|i)(?:'ll| will| shall|'re going to| are going to|'m going to| am going to|'re gonna| are "
                       r"gonna|'d rather| would rather)? (?:just |still |simply |definitely |then |really )?(?:go with|go for|"
                       r"stay with|stick (?:with|to)|insist\b|want\b(?! (?:it|the \w+|them|to (?:know|see|understand|ask|"
                       r"hear|check))\b)|prefer|choose|pick|decided|opt for)", re.I)
_FUTURE = re.compile(r"\b(?:we|i)(?:'ll| will| shall|'re going to| are going to|'m going to| am going to|'re gonna| are "
                     r"gonna) (?:just |still |simply |definitely |then )?(?:" + _ACTION_VERBS + r")\b", re.I)
_REQUIRED = re.compile(r"\b(?:wants?|insists? on|requires?|mandates?|demands?)\b(?! (?:to (?:know|see|understand|hear)|"
                       r"(?:a |an |the )?(?:yes|no|answer|decision|number|figure|estimate|report|update|recommendation)\b))",
                       re.I)
_CLOSED = re.compile(r"\bend of (?:story|discussion|debate)\b|\bnon[- ]?negotiable\b|\bnot negotiable\b|"
                     r"\b(?:that'?s|it'?s|decision is) final\b|\bfull stop\b|\bno (?:debate|discussion|arguments?)\b|"
                     r"\b(?:i|we)(?:'ve| have)? decided\b|\bconvince (?:me|us)\b|\bmy (?:call|decision)\b", re.I)
# … in a closed message, the plain present decides too: "we ship the LoRA model. … I decided"
_PROGRESSIVE = re.compile(r"\b(?:we(?:'re| are)|i'?m|i am) (?:\w+ing)\b|^\W*(?:so |then |now )?(?:we|i) (?:" + _ACTION_VERBS +
                          r"|stop|switch|move)\b", re.I)
_REFUSED = re.compile(r"\b(?:not|never|won'?t|no way)\b[^.;]{0,30}?\b(?:" + _ACTION_VERBS + r")\b|\bstop(?:ping)? [\w-]+ing\b|"
                      r"\b(?:is|are) (?:not (?:acceptable|an option|allowed|happening|wanted)|unacceptable|out of the "
                      r"question|off the table|ruled out|a no-?go)\b", re.I)
_TRAIN_ORDER = re.compile(_LEAD + r"(?:(?:please|pls|just|now|then|ok|so|simply)\W+)*(?:train|fine[- ]?tune|finetune|"
                          r"retrain)\b(?! (?:a |the )?(?:tokenizer|model from scratch))", re.I)
_CLAUSE = re.compile(r"(?<=[.!?;])\s+|,\s+|\s+-\s+|\s+—\s+|\s+and (?=(?:then )?(?:" + _ACTION_VERBS + r"|stop|switch|move)\b)")


def stance(text: str) -> Intent | None:
    """The route the user decides on, or refuses, by the form of their sentences (see above); None when no
    sentence decides about a route it names."""
    t = unquoted(" ".join((text or "")[:CLASSIFY_CHARS].split()))
    closed = bool(_CLOSED.search(t))
    target = rejected = None
    # a question decides nothing ("could we have GPT-4o write pairs and fine-tune on those?")
    said = [x for x in pieces(_MOOD_SPLIT, t) if not _is_question(x)]
    for clause in (c for sentence in said for c in pieces(_CLAUSE, sentence)):
        names = [n for n in mentioned(clause) if n != "stronger_base_model" or _STRONGER_SAID.search(clause)]
        if not names and _TRAIN_ORDER.match(clause):
            names = ["lora_finetune"]  # "Train on all 900": the verb is the route, supervised fine-tuning
        if not names:
            continue
        if _REFUSED.search(clause):
            rejected = rejected or names[0]
            continue
        if _ORDER.match(clause) or _INTENDED.search(clause) or _FUTURE.search(clause) or \
                _REQUIRED.search(clause) or (closed and _PROGRESSIVE.search(clause)):
            target = target or names[0]
    if target == rejected:
        target = None
    return Intent(CHOOSE, target, rejected) if target or rejected else None


_STRONGER_SAID = re.compile(r"\b(?:stronger|bigger|larger|better|biggest|largest|strongest|more capable|most powerful|"
                            r"big|large|frontier)"
                            r"\b[^.?!]{0,20}\bmodel\b|\bswitch(?:ing)? (?:to|models)\b|\binstead of (?:tuning|training|fine[- ]?tun)", re.I)


# ---- sentence selection --------------------------------------------------------------------------------------

_STOP = {"what", "which", "when", "where", "does", "need", "much", "many", "long", "should", "would", "could",
         "there", "their", "about", "with", "from", "this", "that", "have", "your", "ours", "they", "them", "will",
         "into", "then", "than", "just", "really", "actually", "exactly", "sorry", "anyway", "right", "some",
         "can't", "cant", "isn't", "dont", "don't", "want", "make", "sense"}


_ITEM = re.compile(r"^(?:[-*]|\d+\.)\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(])")


def blocks(text: str) -> list[tuple[str, list[str], list[str]]]:
    """A passage's markdown as (heading or "", paragraph lines, list items) per blank-line block; an item's
    continuation lines are joined to it. Both the sentence pool and the "read more" prose read this one parse."""
    out = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        heading = ""
        if lines[0].startswith("#"):
            heading, lines = lines[0].lstrip("#").strip(), lines[1:]
        para, items = [], []
        for ln in lines:
            if _ITEM.match(ln):
                items.append(_ITEM.sub("", ln))
            elif items:
                items[-1] += " " + ln
            else:
                para.append(ln)
        out.append((heading, para, items))
    return out


def sentences_of(text: str) -> list[str]:
    """A passage's sentences, markdown list items counting as sentences; headings and fragments dropped."""
    flat = []
    for _, para, items in blocks(text):
        for chunk in ([" ".join(para)] if para else []) + items:
            flat += pieces(_SENTENCE_END, chunk)
    return [plain(s) for s in flat if len(s.split()) >= 6]


def plain(text: str) -> str:
    """Markdown emphasis and code marks removed, links kept, whitespace re-flowed (a sentence inside an answer)."""
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"(?<!\w)\*(\S.*?)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    # a link to a public reference stays a markdown link, so the reader can open the paper from the answer
    return " ".join(text.split())


def refers_back(question: str) -> bool:
    """Does the question lean on what was said before ("Is that allowed and is it a good idea at all?", "which of
    those numbers would you change")? Too few words of its own to be searched alone: fewer than 6 content terms."""
    return len(_terms(question)) < 6


def _terms(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9-]{2,}", text.lower()) if w not in _STOP}


# What a question asks for, and the words a sentence that answers it tends to carry. A question may ask several
# things ("what is X and is it right for us?"); each one found adds its cue. Checked on the practitioner questions
# of tests/test_knowledge_retrieval.py, not on the blind set.
ASKS: dict[str, tuple[re.Pattern, re.Pattern]] = {name: (re.compile(q, re.I), re.compile(c, re.I)) for name, q, c in [
    ("define", r"^\W*(?:sorry,?\s*|so,?\s*|ok,?\s*|quick question:?\s*)*(?:what(?:'s| is| are| does)|explain|define)\b"
               r"(?!\s+(?:the|it|this|that|there|your|our|my|best|right|wrong)\b)"
               r"|\bwhat does .{1,40} mean\b|\bdifference between\b|\bdifferent (?:from|than)\b|\bhow does .{1,30} work\b",
     r"\b(?:is|are|means|freezes|trains?|learns?|keeps|stores|takes|adds|updates|changes|teaches|puts)\b"),
    ("how_many", r"\bhow (?:many|much (?:data|text))\b|\benough\b|\bminimum\b|\bright (?:number|amount|size)\b",
     r"\d|\b(?:hundreds?|thousands?|dozens?|tens)\b"),
    ("how_long", r"\bhow long\b|\bhow (?:fast|quickly)\b|\bhow many (?:weeks|days|hours|months)\b",
     r"\b(?:hours?|days?|weeks?|months?|minutes?)\b"),
    ("cost", r"\bcosts?\b|\bprice\b|\bexpensive\b|\bcheap\w*|\bbudget\b|\bhow much\b(?! (?:data|text))",
     r"\$|\bgpu-?hours?\b|\bcosts?\b|\bcheap\w*|\bexpensive\b"),
    ("risk", r"\brisks?\b|\bdanger\w*|\bsafe\b|\bdownsides?\b|\bgo(?:es)? wrong\b|\bproblems?\b|\bworse\b"
             r"|\blos[et]\b|\blosing\b|\bleak\w*|\bprivacy\b|\blicen[cs]e\w*|\ballowed\b|\blegal\b",
     r"\brisks?\b|\bforget\w*|\bleak\w*|\bstale\b|\boverfit\w*|\bmemori[sz]\w*|\bcollapse\b|\bbias\w*"
     r"|\bdegrad\w*|\bworse\b|\blos[et]\b|\bterms\b|\blicen[cs]e\w*|\bnever\b|\bcheck\b"),
    ("how", r"^\W*how (?:do|can|should|would|to) (?:i|we|you)?\b|\bwhat steps\b|\bbest way\b|\bbest practice",
     r"^(?:use|keep|start|run|hold|compare|check|split|write|train|test|pick|add|remove|merge|measure|log)\b"
     r"|\b(?:should|first|then|before|after)\b"),
    ("which", r"\bwhich\b|\bshould (?:i|we)\b.{0,60}\bor\b|\bor (?:a|an|the)?\s*\w+\?$|\binstead\b|\bvs\.?\b",
     r"\b(?:choose|use|prefer|default|pick|better|when)\b"),
]}


_META = re.compile(r"^(?:this|the) (?:guide|section|page)\b", re.I)


def asks(question: str) -> list[str]:
    """What the question asks for (ASKS' names), in ASKS' order; [] for none of them."""
    q = " ".join((question or "").split())
    return [name for name, (pattern, _) in ASKS.items() if pattern.search(q)]


def _heading_words(section: str) -> set[str]:
    return {w.strip(".,:;()'\"?!").lower() for w in (section or "").split()} - {""}


def select(question: str, passages: Sequence[dict], embed: Callable[[list[str]], "object"] | None, k: int = 3,
           focus: str = "", min_similarity: float = 0.0) -> list[tuple[str, int]]:
    """The k sentences that best answer `question`, as (sentence, index of its passage), best first but kept in
    reading order inside one passage. `embed` maps texts to unit vectors (None: words only); `focus` adds terms
    (the approach asked about).

    A sentence scores by meaning (the bundled embedder), by the search's own score of its passage, by the
    question's words it shares, and by whether it carries what the question asks for (a figure for "how many", a
    duration for "how long", a definition for "what is": `ASKS`). A definition prefers the section whose heading
    names the term. Once the best sentence is chosen, its neighbours in the same passage gain a little, so an
    answer reads as a paragraph, not as three unrelated quotes. `min_similarity`: sentences less similar in meaning
    than this to the question are left out (a backing sentence after the user's own figures is there only if it
    speaks to them; 0.4 on the bundled embedder separates on-topic from merely same-guide sentences); when none
    clears it, the single best sentence is kept, so an answer is never left uncited."""
    pool: list[tuple[str, int, int]] = []  # (sentence, passage index, position in the passage)
    for i, p in enumerate(passages):
        pool += [(s, i, n) for n, s in enumerate(sentences_of(p.get("text") or ""))]
    if not pool:
        return []
    terms = _terms(question) | _terms(focus)
    wanted = asks(question)
    cues = [ASKS[name][1] for name in wanted]
    # "what is X?": the section about X opens with its definition
    defined = re.search(r"(?:what(?:'s| is| are)|explain|define)\s+(?:a |an |the )?([\w-]+)", question, re.I)
    subject = defined.group(1).lower() if defined and "define" in wanted else ""
    scores = [0.0] * len(pool)
    if embed is not None:
        vectors = embed([question + " " + focus] + [s for s, _, _ in pool])
        q = vectors[0]
        scores = [float(vectors[j + 1] @ q) for j in range(len(pool))]
    named = set(mentioned(question + " " + focus))
    base = []
    for j, (s, i, n) in enumerate(pool):
        words = _terms(s)
        overlap = len(words & terms) / (len(terms) or 1)
        # the search already judged the whole passage (meaning and words, with its heading): trust it about as much
        # as the sentence's own similarity; the opening sentence of a section usually states its point
        passage = float(passages[i].get("score") or 0)
        heading = _heading_words(passages[i].get("section") or "")
        about = 0.3 * (1 + (n == 0)) if subject and subject in heading else 0.0
        about += 0.06 * min(2, len(heading & terms))  # a section whose heading names the question's own terms
        cue = 0.08 * sum(bool(c.search(s)) for c in cues)
        # a sentence about another approach only, when the question names one, answers a different question
        others = set(mentioned(s))
        elsewhere = -0.12 if named and others and not (others & named) else 0.0
        # a sentence about the guide itself ("This guide covers …") or a bare lead-in to a list says nothing
        meta = -0.25 if _META.match(s) or len(s.split()) < 8 else 0.0
        base.append(scores[j] + 0.8 * passage + 0.35 * overlap + (0.05 if n == 0 else 0.0) + about + cue + elsewhere
                    + meta)
    chosen: list[int] = []
    seen: list[set[str]] = []
    while len(chosen) < min(k, len(pool)):
        best, best_j = None, -1
        for j, (s, i, n) in enumerate(pool):
            if j in chosen or (embed is not None and scores[j] < min_similarity):
                continue
            words = _terms(s)
            if any(len(words & w) / (len(words | w) or 1) > 0.6 for w in seen):
                continue  # a near-duplicate of a chosen sentence
            near = any(pool[c][1] == i and abs(pool[c][2] - n) == 1 for c in chosen)
            value = base[j] + (0.1 if near else 0.0)
            if best is None or value > best:
                best, best_j = value, j
        if best_j < 0:
            if not chosen and min_similarity > 0:  # none close enough: the single best one, as without a floor
                best_j = max(range(len(pool)), key=lambda j: base[j])
                chosen.append(best_j)
            break
        chosen.append(best_j)
        seen.append(_terms(pool[best_j][0]))
    # reading order: the first-chosen sentence's passage leads; inside one passage, the text's own order
    lead = {pool[c][1]: r for r, c in reversed(list(enumerate(chosen)))}
    chosen.sort(key=lambda c: (lead[pool[c][1]], pool[c][2]))
    return [(pool[c][0], pool[c][1]) for c in chosen]


def cited(sentences: Sequence[tuple[str, int]], numbering: dict[int, int]) -> str:
    """The sentences joined as one paragraph, each followed by its source's number ([1], [2] …)."""
    out = []
    for s, i in sentences:
        n = numbering.setdefault(i, len(numbering) + 1)
        out.append(f"{s.rstrip()} [{n}]")
    return " ".join(out)


def prose_html(text: str) -> str:
    """A passage as HTML prose: paragraphs re-flowed, lists kept, **bold**/`code`/links rendered, HTML escaped."""

    def inline(s: str) -> str:
        s = html.escape(s, quote=False)
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<!\w)\*(\S.*?)\*(?!\w)", r"<em>\1</em>", s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        s = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', s)
        return s

    parts = []
    for heading, para, items in blocks(text):
        if heading:
            parts.append(f"<strong>{inline(heading)}</strong>")
        if para:
            parts.append(f"<p>{inline(' '.join(para))}</p>")
        if items:
            parts.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
    return "".join(parts)


def read_more(passages: Sequence[dict], numbering: dict[int, int]) -> str:
    """One "read more" disclosure per cited passage, in citation order."""
    rows = []
    for i, n in sorted(numbering.items(), key=lambda kv: kv[1]):
        p = passages[i]
        title = p.get("title") or p.get("source") or "guide"
        section = p.get("section") or ""
        head = f"[{n}] {html.escape(title, quote=False)}" + (f" — {html.escape(section, quote=False)}"
                                                             if section and section != title else "")
        rows.append(f"<details><summary>Read more: {head}</summary>{prose_html(p.get('text') or '')}</details>")
    return "\n".join(rows)
