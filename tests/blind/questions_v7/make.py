"""Writes questions.jsonl for blind question set v7. Every turn's text lives here. Run: python make.py"""
import json
from pathlib import Path

TURNS = []


def t(kind, opening, facts, text, target, must_address, must_not):
    n = sum(1 for x in TURNS if x["kind"] == kind) + 1
    TURNS.append({"id": f"v7-{kind}-{n:02d}", "kind": kind,
                  "context": {"opening": opening, "facts_stated": facts},
                  "text": text, "target": target, "must_address": must_address, "must_not": must_not})


# ---------------------------------------------------------------- why_not
t("why_not",
  "hi, I run the events programme at a mid-sized public library. every month we write ~40 short blurbs (50-80 words) for the newsletter: author talks, toddler rhyme time, repair cafe, that kind of thing. the two of us who do it are tired of it. we have maybe 600 old blurbs in a shared drive. a board member says we should 'train our own AI'",
  "Public library events team of two; ~40 newsletter blurbs a month, 50-80 words each; ~600 old blurbs in a shared drive; nothing tried yet; a board member wants them to train their own model.",
  "ok but couldn't we just give chatgpt a few of our old blurbs and the event details and let it write? why isn't that enough",
  "prompt_engineering",
  ["agrees that it probably is enough to start with: nothing has been tried, and a capable hosted model given the event details, a short style note and a few of their best old blurbs is the right first step",
   "says how to judge it: write next month's ~40 blurbs this way and have the two staff mark each as usable, light edit or rewrite, instead of deciding from one or two tries",
   "keeps the 600 old blurbs in play as a pool of examples to paste in (e.g. ones for the same kind of event), and says training only becomes worth discussing if prompted drafts keep missing the library's voice"],
  ["recommends training or fine-tuning a model before any prompt has been tried and checked"])

t("why_not",
  "We operate a ferry line with 6 routes between the mainland and four islands. Customers ask our web chat about departure times, fares, car lengths, pets, and cancellations due to weather. Timetables change with the seasons and sailings get cancelled at short notice several times a week in winter. Our current bot is a decision tree and people hate it.",
  "Ferry operator, 6 routes, 4 islands; web chat questions on times, fares, vehicle sizes, pets and weather cancellations; seasonal timetables; short-notice cancellations several times a week in winter; current decision-tree bot is disliked.",
  "Why would you put a retrieval system in front of the model rather than just training one on our timetables and FAQ?",
  "rag",
  ["explains that the answers depend on facts that change (seasonal timetables, fares, same-day cancellations), so the model should look them up at question time rather than have them trained into its weights, where they would go stale the day the timetable changes",
   "says the live, structured parts (today's sailings and cancellations, fares) are better fetched from their booking or status system as a tool/API call or fresh data in the prompt, with retrieval over the FAQ and policy pages for the rest",
   "mentions checking it on a set of real past chat questions with known right answers (including cancellation days), and having the bot say when it cannot confirm a sailing instead of guessing"],
  ["recommends fine-tuning the model on the timetable or FAQ as the way to make it know departure times and cancellations"])

t("why_not",
  "Seed company, customer service dept. Farmers send complaints (germination low, wrong variety, damaged bags etc.) and our quality team has to assign one of 80 defect codes. We've got exactly 55 complaints that someone coded carefully last year; the rest of the archive (approx 14 000) is uncoded free text. Tried nothing with AI so far.",
  "Seed producer; farmer complaints to be assigned one of 80 defect codes; 55 carefully coded complaints; ~14,000 uncoded complaints in the archive; nothing tried yet.",
  "why do you say we need to code more of them first? 55 is what we have. can't the model just learn from those",
  "collect_data",
  ["explains that 55 examples spread over 80 codes means most codes have zero or one example, which is far too few to train on or even to measure accuracy per code",
   "suggests a practical way to get more: try a prompt with the 80 code definitions on a sample of the 14,000 uncoded complaints, have the quality team correct its guesses (faster than coding from scratch), and aim for at least a few examples per code and a few hundred to a thousand overall",
   "recommends keeping part of the coded set aside as a test set, coded independently, so the prompt and any later fine-tune can be compared on the same data"],
  ["recommends fine-tuning on the 55 coded complaints now as the solution"])

t("why_not",
  "pest control company, ~30 technicians. after every visit the tech types a rough note (\"rats loft, 3 bait stations, entry pt gap by soffit\") and office staff turn it into a customer-facing service report in our set layout. we have 5 200 pairs of tech note -> final report going back 4 years. we tried gpt-4o-mini with a long prompt + 3 examples, office staff rated 61% of 200 reports ok without edits. we'd want 90%.",
  "Pest control firm, ~30 technicians; rough visit notes turned into customer service reports in a fixed layout; 5,200 note-to-report pairs over 4 years; a long prompt with 3 examples on gpt-4o-mini measured 61% acceptable on 200 reports; target 90%.",
  "So is a LoRA fine-tune actually the right call here or are you just saying that",
  "lora_finetune",
  ["says yes: a fixed layout and house wording learned from 5,200 real pairs is a behaviour/format gap, and the prompt has been tried and measured (61% vs a 90% target), so fine-tuning is justified",
   "says a LoRA adapter on an open model (or the provider's hosted fine-tuning of a small model) is the usual way, and that a few thousand clean pairs is ample for this kind of task",
   "asks them to clean the pairs first (drop reports that were later corrected, old layouts, duplicates) and to hold out a test set the staff rate the same way, comparing the tuned model with the 61% prompt baseline"],
  ["claims fine-tuning will teach the model pest-control facts it gets wrong without any check, or skips the comparison with the measured prompt"])

t("why_not",
  "We are a medicinal chemistry group. We want a model that proposes reactant sets for a target molecule (retrosynthesis), written as SMILES strings. We have ~600k reaction records from our electronic lab notebooks plus public patent reactions. We have one H100 80GB. A colleague fine-tuned a 1.5B chemistry-pretrained model with LoRA r=8 and got 41% top-1 on held-out reactions; papers on full fine-tuning report more.",
  "Medicinal chemistry group; retrosynthesis as SMILES; ~600k reaction records (ELN plus public patents); one H100 80 GB; LoRA r=8 on a 1.5B chemistry model gave 41% top-1 on held-out reactions.",
  "Why not full fine-tuning instead of LoRA? Is there a reason it would not work for us?",
  "full_finetune",
  ["says full fine-tuning is a reasonable option here: a 1.5B model needs roughly 24 GB for weights, gradients and Adam states (~16 bytes/param), which fits on one 80 GB H100 with room for activations",
   "gives a rough compute figure: ~600k reactions × ~120 tokens × 3 epochs ≈ 2e8 tokens → ~2e18 FLOPs, about 1-2 H100-hours (anything from under an hour to a few hours passes), so trying it is cheap",
   "says to compare it fairly with a stronger LoRA (higher rank, more target modules) on the same held-out split, ideally split by reaction or scaffold so near-duplicate reactions do not leak, and to keep the better one"],
  ["says full fine-tuning cannot fit on their H100 or needs a cluster"])

t("why_not",
  "garden centre chain (11 stores). we have an AI plant advisor on the website, it's gpt-4o with a prompt. customers complain it gives wrong watering and pruning advice for specific varieties, and sometimes recommends products we don't stock. we collected 1 100 thumbs-down ratings on answers. someone read about RLHF/DPO.",
  "Garden centre chain, 11 stores; website plant advisor on gpt-4o with a prompt; wrong care advice for specific varieties and recommendations of unstocked products; 1,100 thumbs-down ratings collected.",
  "why not preference tuning with those 1100 thumbs downs? isnt that exactly what RLHF is for",
  "preference_tuning",
  ["explains that the failures are factual (variety-specific care, what is in stock), which preference tuning does not fix; the model needs the right facts at answer time, i.e. retrieval over their plant-care sheets and the current stock list",
   "points out that 1,100 thumbs-downs are unpaired negative ratings, not chosen/rejected pairs, so they do not feed DPO directly, and they cannot fine-tune gpt-4o's preferences themselves in the usual way anyway",
   "suggests using the thumbs-down answers as a test set: group them by cause (wrong fact, out-of-stock product, tone) and check whether retrieval fixes them"],
  ["recommends DPO/RLHF on the thumbs-down ratings as the fix for the wrong care advice"])

t("why_not",
  "Bongu. We are a small team at a Maltese media group. Models write Maltese badly: wrong grammar, English words mixed in, invented words. We have about 0,9 billion tokens of Maltese text (our newspaper archive from 1995, radio transcripts, some books with rights cleared). We can rent H100 at 2,40 €/h. Goal is an assistant that drafts news summaries in correct Maltese.",
  "Maltese media group; models write poor Maltese (grammar, code-mixing, invented words); ~0.9B tokens of Maltese text with rights cleared; H100 at €2.40/h; goal: drafting news summaries in correct Maltese.",
  "why continued pretraining, and not only instruction tuning on summaries? please explain simple",
  "continued_pretraining",
  ["explains that Maltese is under-represented in most base models' pretraining, so the gap is in the language itself, which a few thousand summary examples cannot teach; more raw Maltese text (continued pretraining) shifts that, then instruction tuning on summaries teaches the task",
   "gives a rough cost: 6 × 8B params × 0.9B tokens ≈ 4e19 FLOPs, about 30-40 H100-hours, so roughly €70-100 of compute at €2.40/h (a range of tens to a few hundred euros passes), plus the data cleaning work",
   "names the conditions: first test the best multilingual base models with good prompts, mix some general/English text in to limit forgetting, check the tokenizer's efficiency on Maltese, and evaluate with native speakers on held-out articles"],
  ["recommends pretraining a Maltese model from scratch, or says instruction tuning alone will fix the grammar"])

t("why_not",
  "Plant breeding company. We have genome sequences of ~2 000 wheat lines we sequenced ourselves, around 40 billion bases in total, plus phenotype data (yield, rust resistance). Our bioinformaticians want a language model over DNA to predict traits from sequence regions. Data cannot leave our servers. We have 4 A100 in house.",
  "Plant breeding firm; ~2,000 self-sequenced wheat lines, ~40 billion bases, plus phenotypes; wants a DNA language model for trait prediction; data must stay on premises; 4 A100s in house.",
  "You usually tell people not to pretrain from scratch. Why not in our case? Text LLMs don't know DNA anyway.",
  "pretrain_from_scratch",
  ["acknowledges this is one of the rare cases where pretraining a (small) model can make sense: DNA is not covered by text LLMs' pretraining, the data is proprietary and must stay on site",
   "sizes it: 40B bases at ~5 bases per token ≈ 8B tokens, which suits a model of a few hundred million parameters (~20 tokens/param); a 300M model over 8B tokens is ~1.4e19 FLOPs, on the order of tens of A100-hours on their 4 A100s, so it is affordable",
   "names the conditions: first check published genomic/DNA foundation models (including plant ones) as a starting point to continue pretraining or fine-tune, have a downstream trait-prediction benchmark with a simple baseline (e.g. marker-based models) to beat, and people with the ML depth to run it"],
  ["tells them to fine-tune a general text chat model on DNA strings as the answer"])

t("why_not",
  "We publish a historical wargame (hex-and-counter, 40-page rulebook). We built a rules assistant: Llama 3.1 8B with the whole rulebook in context. Simple lookups are fine, but questions that combine rules (\"my unit retreats through a zone of control into a river hex during night turn, what happens\") are wrong about 60% of the time in our test of 120 questions. We have ~900 answered questions from our forum.",
  "Wargame publisher; rules assistant on Llama 3.1 8B with the 40-page rulebook in context; simple lookups fine, multi-rule questions wrong ~60% of the time on 120 test questions; ~900 answered forum questions.",
  "Would just switching to a bigger/stronger model really help more than fine-tuning on the 900 forum answers? why",
  "stronger_base_model",
  ["says yes: combining several rules step by step is a reasoning gap, and fine-tuning mostly changes style and format within what the model can already do, so a stronger base model is the lever most likely to help",
   "suggests testing it directly: run the same 120 questions through one or two larger or reasoning-capable models with the rulebook in context, and ask for step-by-step rule citation before the verdict",
   "keeps the 900 forum answers useful as an evaluation set and as retrievable worked rulings (precedents) to show as examples, and only considers fine-tuning later for answer format"],
  ["recommends fine-tuning the 8B on the 900 forum answers as the main fix for the multi-rule errors"])

t("why_not",
  "I'm at a mortgage broker (about 25 advisers). After each client meeting an adviser sends a recommendation letter comparing 3-4 mortgage products. The lenders' rates and criteria change weekly, and the regulator requires specific wording and sections in every letter. We have around 3 000 past letters and the lenders' product sheets as PDFs. Nothing built yet.",
  "Mortgage broker, ~25 advisers; client recommendation letters comparing 3-4 products; lender rates/criteria change weekly; regulator mandates wording and sections; ~3,000 past letters; lender product sheets as PDFs; nothing built yet.",
  "why not RAG plus fine-tuning together? seems like we have both problems",
  "rag_and_finetune",
  ["agrees both needs are real: weekly-changing rates and criteria call for retrieval from current product data, and mandated wording and structure is a behaviour/format need that fine-tuning can serve",
   "says to start simpler: retrieval of current product data plus a strict letter template in the prompt, and fine-tune only if letters still drift from the required structure when measured",
   "warns that the 3,000 past letters contain old rates and criteria, so if used for fine-tuning they must teach structure and wording, not numbers (e.g. mask or replace rates), and that every letter gets a compliance check against current sheets"],
  ["says fine-tuning on the 3,000 letters alone will keep rates and criteria current"])

t("why_not",
  "we run a 2.000-seat concert venue + bar. the website chat should answer: whats on, ticket prices, door times, bag policy, accessibility, age limits. shows get added and moved every week. I have a google doc FAQ (12 pages) and our ticketing system has an API. my nephew says LoRA fine-tune a llama on the FAQ",
  "Concert venue, 2,000 seats; website chat for what's on, prices, door times, policies; shows added and moved weekly; 12-page FAQ doc; ticketing system has an API; nephew proposes a LoRA fine-tune on the FAQ.",
  "Tell me straight why a LoRA is the wrong idea here, nephew will ask",
  "lora_finetune",
  ["says plainly that a LoRA would bake in this week's facts and go stale as shows are added and moved; fine-tuning is for behaviour and format, not for keeping a changing event list current",
   "proposes the simple alternative: the 12-page FAQ fits in a prompt whole (a few thousand tokens) and show listings, prices and door times come live from the ticketing API",
   "suggests checking it on a list of real visitor questions with known answers before launch"],
  ["recommends fine-tuning on the FAQ or listings as the way to keep event information current"])

t("why_not",
  "Recycling plant operator. Shift supervisors write incident notes (jams, fires in the baler, contamination loads) and we must classify each into 1 of 12 categories for the safety report. We already have 25 000 notes labelled by the safety officer over 6 years. Management wants to label another 25 000 before 'starting AI' so it's 'big enough'. Nothing tried yet.",
  "Recycling plant; supervisor incident notes into 12 safety categories; 25,000 notes already labelled by the safety officer over 6 years; management wants 25,000 more labels before starting; nothing tried yet.",
  "Our plan is collect more data first. Why do you think that's not needed?",
  "collect_data",
  ["says 25,000 labelled notes for 12 categories is already plenty to start (thousands per category on average), so labelling another 25,000 first is likely wasted effort",
   "recommends trying first: a prompt with category definitions and examples, and a fine-tuned small model or classifier on a subset, then a learning curve (e.g. 1k, 5k, 20k examples) to see whether more data still helps",
   "says any new labelling should be targeted: rare categories, confusions the model makes, recent notes, and a fresh independently labelled test set, and to check label consistency over the 6 years"],
  ["agrees to label 25,000 more notes before trying anything"])

# ---------------------------------------------------------------- cost
t("cost",
  "HVAC service company. Technicians dictate job notes and we want them turned into invoices' work descriptions in our standard wording. We have 7.500 pairs (dictation transcript -> final description), average about 600 tokens per pair. Plan is LoRA on an 8B open model. We can rent an A100 80GB at $1.6/h.",
  "HVAC service firm; 7,500 dictation-to-description pairs, ~600 tokens each; planning a LoRA on an 8B open model; A100 80 GB at $1.6/h.",
  "What would the training run itself cost us, roughly? 3 epochs.",
  None,
  ["works it out from their figures: 7,500 × 600 × 3 ≈ 13.5M tokens; at ~6 × 8B × tokens ≈ 6.5e17 FLOPs that is roughly 1-2 A100-hours, i.e. a few dollars at $1.6/h (anything from about $1 to $20 passes)",
   "states the assumptions (e.g. tokens counted per epoch, ~30-40% GPU utilisation) and that a LoRA run is at most this (the frozen base needs no weight gradients)",
   "says the real cost is elsewhere: cleaning and checking the 7,500 pairs, a few trial runs, evaluation against the base model with a good prompt, and hosting the model afterwards"],
  ["gives a figure in the hundreds or thousands of dollars for this single LoRA run"])

t("cost",
  "Czech medical publisher. We have ~12 GB of Czech medical text (journals, textbooks, drug leaflets) and want continued pretraining of an 8B model so it writes proper Czech clinical language. H100 rental is $2.2/h. We have no ML team, one developer.",
  "Czech medical publisher; ~12 GB of Czech medical text; wants continued pretraining of an 8B model; H100 at $2.2/h; no ML team, one developer.",
  "give me a ballpark for compute and time for this. and what's the catch",
  None,
  ["estimates tokens from the size: 12 GB of text ≈ 3B tokens at ~4 characters/token (Czech may tokenize worse, so more), and compute ≈ 6 × 8B × 3B ≈ 1.4e20 FLOPs ≈ 100-130 H100-hours ≈ $220-300 at $2.2/h (anything from about $100 to $1,000 passes)",
   "notes that continued pretraining updates all weights: ~16 bytes/param ≈ 128 GB of training state for 8B, so several GPUs with sharding, not one card (or a smaller subset/model first)",
   "names the catch: with one developer the effort is in cleaning, deduplicating and licensing the text, running multi-GPU training, instruction tuning afterwards and evaluating with clinicians; suggests first testing whether a strong multilingual model with good prompts (or RAG over their texts) already writes acceptable Czech"],
  ["presents it as a from-scratch pretraining costing millions"])

t("cost",
  "indie bookshop, I do the tech. want to fine-tune a 12B model on our staff recommendations (\"if you liked X...\") ~2,5k examples. I have one RTX 4090 24GB at home. what fits",
  "Independent bookshop; ~2,500 staff recommendation examples; wants to fine-tune a 12B model; one RTX 4090 with 24 GB.",
  "so full finetune, normal lora, or qlora on the 4090? numbers pls",
  None,
  ["gives memory figures: 12B full fine-tuning with Adam ≈ 16 bytes/param ≈ 190 GB (impossible on 24 GB); LoRA over bf16 weights needs ~24 GB for the weights alone, so it does not fit with activations; QLoRA with 4-bit weights ≈ 6-7 GB plus adapters and activations fits",
   "recommends QLoRA on the 4090 (or a smaller 7-8B model in bf16 LoRA), with modest sequence length, small batch and gradient checkpointing",
   "says 2,500 examples is a reasonable amount for a voice/style task, and to compare the result with the base model prompted with a few staff recommendations"],
  ["says full fine-tuning of the 12B fits on the 24 GB card"])

t("cost",
  "We lease shipping containers. ~18 000 lease contracts, avg 12 pages each, as PDFs. Staff ask things like 'which contracts with lessee X allow sub-leasing' or 'what's the damage clause in contract 4471'. About 300 questions a day, 22 working days a month. We'd use text-embedding-3-small ($0.02 per 1M tokens) and a chat model at $2.50 in / $10 out per million.",
  "Container leasing firm; ~18,000 lease contracts of ~12 pages; ~300 staff questions/day, 22 working days/month; embedding at $0.02/M tokens; chat model at $2.50/M in, $10/M out.",
  "What does indexing cost once and what does running it cost per month",
  None,
  ["indexing: 18,000 × 12 pages × ~500 tokens ≈ 108M tokens ≈ about $2 to embed once at $0.02/M (anything from under $1 to about $10 passes); ~200k chunks of ~512 tokens at 1,536 float32 dimensions ≈ 1.3 GB of vectors",
   "running: ~6,600 questions/month; at an assumed ~5k tokens of retrieved context in and ~500 out per question that is ≈ $80 input + ≈ $30 output ≈ $100-150/month (tens to a few hundred dollars passes), stating the assumption on context size",
   "points out the real cost is in PDF extraction quality (scans, tables), chunking by clause, and that questions like 'which contracts allow X' across thousands of contracts need structured metadata or an extraction pass, not only top-k similarity search"],
  ["suggests fine-tuning the contracts into a model as the way to answer these questions"])

t("cost",
  "ride-hailing app, driver support chat. ~50k conversations/day, avg 1,200 input tokens and 250 output tokens per conversation. today we use gpt-4o-mini at $0.15/M input, $0.60/M output. CTO wants to self-host an 8B on L4 GPUs at $0.8/h each to 'save money'.",
  "Ride-hailing driver support; ~50,000 conversations/day, ~1,200 input and ~250 output tokens each; gpt-4o-mini at $0.15/M in, $0.60/M out; CTO proposes self-hosting an 8B on L4s at $0.8/h.",
  "Compare the two on cost, per month. Be concrete.",
  None,
  ["API: 60M input tokens/day × $0.15/M = $9 plus 12.5M output × $0.60/M = $7.5, so ≈ $16.5/day ≈ $500/month (anything from about $300 to $800 passes)",
   "self-hosting: one L4 running 24/7 at $0.8/h ≈ $576/month, and realistically at least two for redundancy and peaks (average load ≈ 840 tokens/s, peaks several times that), so ≈ $1,000-1,500/month before engineering and on-call time",
   "concludes that at this volume the API is likely as cheap or cheaper, and self-hosting is justified by other reasons (data control, latency, a fine-tuned model) rather than by this bill"],
  ["claims self-hosting on L4s will clearly save money at this volume without doing the numbers"])

t("cost",
  "Guten Tag. We are a retail bank's contact-centre quality team. We want to train a model to score recorded calls (as transcripts) against our 15-point quality checklist. For this we need labelled calls: a QA analyst needs about 8 minutes per call. We think 4 000 calls. Analysts cost us €38 per hour.",
  "Retail bank contact-centre QA team; wants a model to score call transcripts against a 15-point checklist; labelling ~8 minutes per call; plans 4,000 calls; analysts at €38/h.",
  "What will the labelling cost, and is 4 000 calls the right number?",
  None,
  ["works out the figure: 4,000 × 8 min ≈ 533 analyst-hours ≈ €20,000 at €38/h (anything from about €15,000 to €25,000 passes), and adds a share for double-scoring to check agreement (e.g. 10% ≈ €2,000)",
   "suggests not committing to 4,000 up front: label a few hundred first, measure analyst agreement per checklist item and how a prompted model does, then grow the set where the model is weak (rare checklist failures)",
   "mentions keeping a held-out set scored independently and that transcripts contain customer personal data, so labelling and any model must follow the bank's data rules"],
  ["gives a labelling figure off by more than a factor of ten"])

t("cost",
  "We make a maths app for kids 8-12. We already have a LoRA-tuned 7B that gives hints. Now we want DPO: teachers compare two hints and pick the better one. Target 20,000 pairs, each side ~350 tokens incl. the prompt. 2 epochs. H100 at $2.5/h. A teacher needs ~45 sec per comparison.",
  "Children's maths app (ages 8-12); LoRA-tuned 7B hint model; plans DPO with 20,000 teacher-picked pairs, ~350 tokens per side, 2 epochs; H100 at $2.5/h; ~45 s per comparison.",
  "what's the cost split between compute and the teachers?",
  None,
  ["compute: 20,000 pairs × 2 sides × 350 tokens × 2 epochs ≈ 28M tokens; with a reference-model pass ≈ 8 × 7B × 28M ≈ 1.6e18 FLOPs ≈ 1-1.5 H100-hours ≈ a few dollars (anything under about $30 passes)",
   "labelling: 20,000 × 45 s ≈ 250 teacher-hours, which at any realistic teacher rate (thousands of currency units) dwarfs the compute",
   "suggests starting smaller (e.g. a few thousand pairs), checking teacher agreement, watching for the preferred hint simply being longer, and evaluating on held-out pairs and with teachers before scaling up"],
  ["says the compute is the main cost of this DPO project"])

t("cost",
  "We are the digital team of a government agency in Kazakhstan. Leadership wants our own 2B-parameter Kazakh model trained from scratch for the e-government portal. We collected about 8B tokens of Kazakh text. H100 rental would be around $3/h.",
  "Government agency, Kazakhstan; leadership wants a 2B Kazakh model trained from scratch for the e-government portal; ~8B tokens of Kazakh text; H100 at ~$3/h.",
  "How much compute would this need and what would one run cost",
  None,
  ["uses the ~20 tokens/parameter rule: a 2B model wants ≈ 40B tokens, so their 8B tokens are ~20% of that; compute ≈ 6 × 2B × 40B ≈ 4.8e20 FLOPs ≈ 330-450 H100-hours ≈ $1,000-1,350 per clean run at $3/h (anything from several hundred to a few thousand dollars passes); on their own 8B tokens only ≈ 70-90 H100-hours",
   "says that the GPU bill is the small part: several runs, tokenizer work, data cleaning, instruction tuning and safety work, evaluation, and a team with pretraining experience cost far more",
   "suggests the usual alternative: continued pretraining of an open multilingual model that already covers Kazakh (or a Kazakh-focused open model) on the 8B tokens, then instruction tuning, and for portal answers retrieval over the agency's documents"],
  ["quotes the tens-of-millions frontier-model cost as the cost of this 2B run"])

t("cost",
  "b2b saas, ~80 people. we write release notes from jira tickets. 1 800 examples (ticket bundle -> release note), avg 450 tokens. the hosted fine-tuning API charges 3 USD per 1M training tokens. planning 4 epochs.",
  "B2B SaaS, ~80 staff; release notes from Jira ticket bundles; 1,800 examples of ~450 tokens; hosted fine-tuning at $3 per million training tokens; 4 epochs planned.",
  "so how much is the fine-tune job",
  None,
  ["computes it: 1,800 × 450 × 4 ≈ 3.2M training tokens ≈ about $10 at $3/M (anything from about $5 to $30 passes), noting that hosted APIs bill tokens × epochs",
   "mentions the other costs: per-token inference prices of the fine-tuned model (often higher than the base), and the time to clean examples and evaluate",
   "asks whether they compared against the base model with a good prompt and a few example release notes first, and suggests holding out some bundles for that comparison"],
  ["gives a figure in the hundreds or thousands of dollars for this job"])

t("cost",
  "Regional football league, referees write match reports (bookings, incidents) and the disciplinary office needs them as structured records. Season starts in 12 days and the office wants 'an AI model' by then. We have 300 old reports with the structured record next to them, 2 people part-time.",
  "Regional football league; referee match reports into structured disciplinary records; season starts in 12 days; 300 old report/record pairs; 2 part-time staff.",
  "12 days. what is realistic to get done and what's not",
  None,
  ["says 12 days is realistic for a prompted model with a strict output schema, a few worked examples from the 300 pairs, and a validation step for the structured fields, tested on held-out reports",
   "says a fine-tune is possible in time technically (300 pairs, a short LoRA run) but only worth it if the prompt measurably falls short; checking and fixing the 300 pairs (e.g. ~4 min each ≈ 20 hours for two part-timers) is the limiting step",
   "recommends keeping a person checking every record at season start, since disciplinary records affect players"],
  ["promises a fine-tuned, fully automatic system that needs no human check in 12 days"])

t("cost",
  "Subtitle company. We have 200k pairs (raw ASR transcript -> cleaned, line-broken subtitle), ~300 tokens per pair. Base is a 3B model. We have one A100 40GB of our own. Is full fine-tuning an option or only LoRA? 2 epochs",
  "Subtitle company; 200,000 ASR-to-subtitle pairs of ~300 tokens; 3B base model; one A100 40 GB in house; 2 epochs.",
  "need memory + time for both options please",
  None,
  ["memory: 3B full fine-tuning with Adam ≈ 16 bytes/param ≈ 48 GB, more than the 40 GB card without tricks (8-bit optimiser, offloading); LoRA over bf16 weights ≈ 6 GB plus activations fits easily",
   "time: 200,000 × 300 × 2 ≈ 120M tokens → ≈ 6 × 3B × 120M ≈ 2.2e18 FLOPs ≈ 5-6 hours on one A100 (roughly 3-15 hours passes) for either option, since the forward and backward passes dominate",
   "says with this much data full fine-tuning can be a bit better, but LoRA is the practical start on this card; compare both on held-out episodes from different shows"],
  ["says full fine-tuning of the 3B fits comfortably in 40 GB with standard Adam"])

t("cost",
  "Two-person startup. We write product titles + short descriptions for Shopify stores. Total budget for the AI part: $500. That's it. About 40k titles a month at the moment, and we have 3,000 good examples.",
  "Two-person startup; Shopify product titles and descriptions; total AI budget $500; ~40,000 titles/month; 3,000 good examples.",
  "What can we actually do with 500 dollars.",
  None,
  ["says $500 goes far with a hosted small model and a good prompt: at assumed ~250 input and ~60 output tokens per title and $0.15/$0.60 per M tokens, 40,000 titles/month costs a few dollars a month (under about $20 passes)",
   "says a LoRA fine-tune on the 3,000 examples is also cheap as compute (3,000 × 200 tokens × 3 epochs ≈ 1.8M tokens, minutes on one rented GPU, a few dollars), but that self-hosting the result on a GPU 24/7 (e.g. an L4 at ~$0.8/h ≈ $576/month) would use up the budget in about a month, so hosted fine-tuning or serverless serving fits better",
   "recommends prompt first with a handful of the best examples, measure on held-out products, and fine-tune only if quality falls short"],
  ["recommends pretraining or buying dedicated GPUs within the $500"])

# ---------------------------------------------------------------- side_question
t("side_question",
  "Housing co-operative with 140 flats. Volunteers take minutes at monthly meetings from a recording, and we want an AI to draft the minutes from the transcript: decisions, action points with names, votes. We have 4 years of minutes (~50) but no transcripts of the old meetings. We'd start with a prompt on a hosted model.",
  "Housing co-op, 140 flats; AI to draft meeting minutes from transcripts (decisions, actions with owners, votes); ~50 old minutes but no matching transcripts; starting with a prompt on a hosted model.",
  "How do we even know if the minutes it writes are good? there's no 'right answer' for a summary",
  None,
  ["proposes a concrete check: for the next few meetings, have a volunteer write or correct the minutes as usual and compare them with the AI draft on a short checklist (every decision captured, action owners and deadlines right, vote counts right, nothing invented)",
   "says the factual items (decisions, names, vote counts) can be scored as right/wrong against the transcript, while wording can be rated by volunteers (usable / minor edits / rewrite)",
   "notes that the 50 old minutes without transcripts can show the house format and serve as examples in the prompt, but cannot be used to score accuracy"],
  ["says a summary cannot be evaluated, or relies only on automatic overlap scores like ROUGE"])

t("side_question",
  "auto parts distributor. we're fine-tuning a model that turns messy supplier part descriptions into our catalogue format. 22k rows, but the same part number shows up many times from different suppliers with slightly different wording. we did a random 80/10/10 split.",
  "Auto parts distributor; fine-tuning messy supplier descriptions into catalogue format; 22,000 rows; the same part number appears many times with slightly different wording; random 80/10/10 split.",
  "is a random split fine here or are we fooling ourselves",
  None,
  ["says a random split likely leaks: the same part (with near-identical wording) lands in both train and test, so test scores overstate how it will do on new parts",
   "recommends splitting by part number (or part family/supplier), so every row of a part is on one side, and removing near-duplicates across the split",
   "suggests also keeping a test slice of recent or new suppliers that look like what production will see"],
  ["says a random split is fine for this data"])

t("side_question",
  "We make an interactive plush toy for children that talks (offline, on a small chip board with 4GB RAM). We're looking at open-weight models around 1-3B to fine-tune and ship inside the toy, sold in EU and US. Legal asked me a question I can't answer.",
  "Toy maker; talking children's plush toy, offline on a 4 GB board; considering 1-3B open-weight models to fine-tune and ship on the device in the EU and US; legal has questions.",
  "What should legal check in the model licence before we ship weights inside a product?",
  None,
  ["says open-weight licences differ: some are permissive (e.g. Apache-2.0, MIT) while others are custom community licences with conditions (acceptable-use policies, attribution or naming rules, user-count thresholds, restrictions on certain uses), and that shipping weights in a device is distribution, so the licence terms apply to the fine-tuned derivative too",
   "lists what to check: commercial use allowed, redistribution of weights (and of modified weights), attribution/notice requirements, use-policy restrictions, and the licence of any data used for fine-tuning",
   "flags the child-specific side: EU/US child data and safety rules (e.g. GDPR for children, COPPA) for anything the toy records, and testing the tuned model's safety behaviour for children"],
  ["says any open-weight model can be used commercially without checking its licence"])

t("side_question",
  "Small psychotherapy practice (6 therapists). We would like help drafting session summaries from our own notes. We are considering uploading 2 years of session notes to a hosted fine-tuning service so the model learns our style.",
  "Psychotherapy practice, 6 therapists; drafting session summaries from therapists' notes; considering uploading 2 years of session notes to a hosted fine-tuning service.",
  "Is it even legal to upload therapy notes for fine-tuning? We are in Germany.",
  None,
  ["says therapy notes are health data, a special category under GDPR (Art. 9), and are also covered by professional confidentiality, so uploading them needs a lawful basis (typically explicit consent or a specific exemption), a data processing agreement, and a check of where the provider stores and processes data and whether it retains or trains on it",
   "says a fine-tuned model can memorise and reproduce details from training notes, so patient data in training data is a risk in itself, not just during upload",
   "suggests alternatives: prompting with a style guide and a few de-identified example summaries, or an open model run on their own hardware, and involving their data protection officer or a lawyer before any upload"],
  ["says uploading the notes is fine as long as the provider is reputable"])

t("side_question",
  "Tamil-language news site. We want to generate short summaries of our articles (about 500 words each). We tried an English-centric open model and the summaries are OK-ish but it is very slow and expensive for us compared to English.",
  "Tamil news site; short summaries of ~500-word articles; an English-centric open model gives OK-ish results but is slow and costly compared with English.",
  "why would Tamil be more expensive than english for the same article? the model is the same",
  None,
  ["explains tokenization: an English-centric tokenizer splits Tamil script into many more tokens per word, so the same article costs several times as many tokens (e.g. ~650 tokens at ~1.3 tokens/word in English vs ~2,500 at ~5 tokens/word), and cost and latency scale with tokens",
   "says it also eats the context window and tends to hurt quality",
   "suggests measuring tokens per article with candidate models' tokenizers and choosing a model whose tokenizer handles Tamil well (multilingual or Indic-focused models)"],
  ["claims the cost difference comes from the model 'thinking harder' in Tamil or gives no tokenization explanation"])

t("side_question",
  "mountain rescue service. we want an assistant on the team laptops to fill out incident forms from radio-log notes. laptops have no GPU, 16GB RAM, no internet in the field a lot of the time. we fine-tuned an 8B (LoRA) at the office on our forms.",
  "Mountain rescue service; assistant on team laptops to fill incident forms from radio-log notes; no GPU, 16 GB RAM, often offline; an 8B LoRA fine-tuned at the office.",
  "will it run on the laptops at all and how fast",
  None,
  ["says yes with quantisation: merge the LoRA, quantise to 4-bit (≈ 4-5 GB), and run it with a CPU runtime such as llama.cpp/Ollama, which fits in 16 GB",
   "gives a rough speed: CPU generation is bound by memory bandwidth, so an 8B 4-bit model gives a few to ~10 tokens/s on a typical laptop, and a 3B model about two to three times faster, so a form takes seconds to a minute",
   "says to re-check form accuracy after quantisation on held-out notes, since 4-bit can cost a little quality"],
  ["says an 8B model cannot run without a GPU"])

t("side_question",
  "Hotel chain (38 hotels) HR team. Our onboarding chatbot for new staff needs training data. We don't have real Q&A logs. Idea: have GPT-4o generate 5 000 synthetic question-answer pairs from our handbook and fine-tune an open model on them.",
  "Hotel chain, 38 hotels, HR; onboarding chatbot for staff; no real Q&A logs; plans to generate 5,000 synthetic Q&A pairs from the handbook with GPT-4o and fine-tune an open model.",
  "Is that allowed and is it a good idea at all?",
  None,
  ["says to check the provider's terms on using outputs to train other models (some restrict training competing models), and the open model's licence",
   "says the handbook answers are facts that change (policies, rotas, benefits), so retrieval over the handbook suits them better than baking synthetic Q&A into weights",
   "if they still generate synthetic data, advises using it for evaluation or for format, having HR review a sample for errors, and testing on real questions from new staff"],
  ["endorses fine-tuning on the 5,000 synthetic pairs as the way to teach the handbook, without any caveat"])

t("side_question",
  "Notary office, we're doing our first LoRA fine-tune (Mistral 7B) on 1.400 deed summaries. The tutorial had rank 64, alpha 16, learning rate 2e-4, 5 epochs. I have no idea if these make sense.",
  "Notary office; first LoRA on Mistral 7B with 1,400 deed summaries; tutorial settings: rank 64, alpha 16, lr 2e-4, 5 epochs.",
  "Which of those numbers would you change and why",
  None,
  ["says the learning rate 2e-4 is a common LoRA value, while 5 epochs on 1,400 examples risks overfitting; suggests 2-3 epochs and watching validation loss, keeping the checkpoint where it is lowest",
   "says rank 8-16 (alpha ≈ rank to 2×rank) is usually enough for a format/style task, and that alpha 16 with rank 64 scales the update down (alpha/r = 0.25), so pick them together",
   "recommends holding out part of the 1,400 and comparing the tuned model with the base model prompted with a few deed summaries"],
  ["says hyperparameters do not matter for LoRA"])

t("side_question",
  "Consumer electronics, returns desk. We use a fine-tuned model from a hosted provider (fine-tuned on 2,000 return-reason emails). Provider just announced the base model will be retired in 6 months.",
  "Consumer electronics returns desk; hosted fine-tuned model on 2,000 return-reason emails; the provider will retire the base model in 6 months.",
  "what happens to our fine-tune then, and what do we do now",
  None,
  ["says a fine-tune is tied to its base model: when the base is retired, the fine-tuned model goes with it (or loses support), and it does not carry over to the new base automatically",
   "recommends re-running the fine-tune on the successor base with the same 2,000 emails (kept clean and versioned) and comparing it with the old model and with the new base plus a good prompt on a held-out set",
   "suggests treating the base model as a versioned dependency: keep the training data and eval set ready, and consider an open-weight base they control if retirements are a recurring problem"],
  ["says the fine-tune will keep working or migrate automatically"])

t("side_question",
  "Genealogy society, volunteers. We fine-tuned a model to transcribe typed-up 18th century parish register entries into a standard record format. 3 epochs on 2 600 examples. Training loss went down to 0.05, but validation loss was lowest after epoch 1 and went up after.",
  "Genealogy society; fine-tuned a model from parish register entries to a standard record format; 3 epochs on 2,600 examples; training loss 0.05, validation loss lowest after epoch 1 and rising after.",
  "what does it mean that the validation loss goes up while training loss goes down?",
  None,
  ["explains that this is overfitting: after epoch 1 the model memorises the training examples instead of learning what carries over to new ones",
   "advises using the epoch-1 checkpoint (or training about one epoch / lowering the learning rate) and evaluating that on held-out entries with a task metric such as field-level accuracy, not only loss",
   "mentions checking that validation entries are not near-duplicates of training ones, and that more varied examples help more than extra epochs"],
  ["says the final checkpoint is best because its training loss is lowest"])

t("side_question",
  "Online gaming platform for teens (13-17). We fine-tuned an open 8B chat model on 9 000 of our support conversations so it answers in our style. In testing, it now sometimes goes along with requests it used to refuse (e.g. how to get around parental controls).",
  "Teen gaming platform (13-17); fine-tuned an open 8B chat model on 9,000 support conversations; in tests it now sometimes complies with requests it used to refuse.",
  "why did fine-tuning on harmless support chats make it less safe?",
  None,
  ["explains that fine-tuning can erode safety behaviour learned in the base model's alignment even when the data is harmless, because the update shifts the model towards always helping in the trained style and away from its refusals",
   "suggests mixing in examples of correct refusals for their risky topics, using LoRA with a lower learning rate or fewer epochs, and adding a moderation/safety filter in front of and behind the model",
   "recommends a fixed safety test set (including parental-control bypass and other teen-risk prompts) run on the base and the tuned model before each release"],
  ["says harmless data cannot affect safety behaviour or that it is just a coincidence"])

t("side_question",
  "e-bike rental app. 6 months ago we launched a LoRA-tuned 8B that writes replies to rider complaints; it was 88% acceptable at launch on our 300-case test set. We added two new cities and a new bike model since.",
  "E-bike rental app; LoRA-tuned 8B replying to rider complaints, launched 6 months ago at 88% acceptable on a 300-case test set; two new cities and a new bike model since.",
  "How do we know when it's time to retrain it",
  None,
  ["recommends monitoring in production: regularly sample recent replies for human rating, and track signals such as agent edits, escalations and complaint reopen rates, broken down by city and bike model",
   "says to refresh the test set with recent cases (new cities, new bike) and re-run it; retrain when the score falls meaningfully below the 88% launch level or new case types fail",
   "notes that facts like city rules and bike specs are better supplied by retrieval or the prompt than by retraining, so retraining is mainly for changed behaviour or tone"],
  ["says a fine-tuned model never needs to be re-evaluated after launch"])

# ---------------------------------------------------------------- pushback
t("pushback",
  "Regional bus company, lost property office. Passengers describe lost items in a web form and we match them against items drivers logged. We built a prompt with gpt-4o-mini that suggests the 5 most likely matches; on 400 past cases the right item is in the top 5 in 95% of them. Staff confirm every match anyway.",
  "Regional bus company lost-property matching; prompted gpt-4o-mini suggests top-5 matches; 95% top-5 hit rate on 400 past cases; staff confirm every match.",
  "We're not going to fine-tune anything. 95% with a human confirming is good enough for a lost umbrella.",
  None,
  ["agrees the user is right: 95% top-5 on 400 real cases with a human confirming is a good result, and fine-tuning would add data work, training and hosting for little gain",
   "suggests light upkeep instead: keep the 400 cases as a regression test, re-run them when the prompt or model version changes, and log the misses to see if a pattern appears",
   "leaves the decision with the user without pushing a fine-tune"],
  ["keeps arguing for fine-tuning after the user's decision"])

t("pushback",
  "Municipal leisure department, 9 swimming pools. Our staff and the public ask about opening hours, lane swim times, prices, course schedules and rules. These change every month and during holidays. The advisor suggested fine-tuning a small model on our past Q&A.",
  "Municipal leisure department, 9 pools; questions on hours, lane times, prices, courses and rules; these change monthly and in holidays; the advisor had suggested fine-tuning on past Q&A.",
  "No. I want RAG over our current schedules, not a fine-tune. Those schedules change every month, a trained model would be wrong by February",
  None,
  ["agrees the user is right: information that changes monthly belongs in retrieval (or fetched from the schedule source), not in weights that go stale",
   "gives a short plan: index the current schedules, price lists and rules with dates, re-index on every change, and have the answer cite the source and date",
   "suggests testing with real questions, including holiday periods"],
  ["insists on fine-tuning the schedules into the model"])

t("pushback",
  "Guild of pipe organ builders (about 20 workshops). We have 300 PDFs of technical documentation: voicing notes, restoration reports, parts lists, ~20 pages each. We want an assistant that answers members' technical questions.",
  "Pipe organ builders' guild (~20 workshops); 300 technical PDFs of ~20 pages; assistant for members' technical questions.",
  "I insist on continued pretraining on our 300 PDFs, the model must really understand organ building, not look things up",
  None,
  ["explains the risk with their figures: 300 × 20 pages × ~500 tokens ≈ 3M tokens, which is far too little to shift a base model by continued pretraining (runs of that kind are normally measured in hundreds of millions of tokens or more) and can cause forgetting, while facts answered from weights are hard to check",
   "says retrieval over the 300 PDFs with citations gives answers members can verify, and a strong base model with the documents in context likely handles the terminology",
   "leaves the choice with the user: if they still want to try it, offer a small continued-pretraining run as an experiment, compared against retrieval on a set of real member questions"],
  ["refuses outright to set up the user's experiment", "gives in without mentioning that 3M tokens is very little for continued pretraining"])

t("pushback",
  "Online jewellery shop (high-end). We want product descriptions in our voice. We have 200 approved descriptions and a 4x H100 node from our parent company. Advisor recommended LoRA on a 7B.",
  "High-end online jeweller; product descriptions in house voice; 200 approved descriptions; a 4×H100 node available; advisor recommended LoRA on a 7B.",
  "we have 4 H100s sitting there, do a full fine-tune of the 7B. max quality, no compromises",
  None,
  ["acknowledges it fits: a 7B full fine-tune needs ~112 GB of training state, which fits across 4 × 80 GB with sharding (e.g. FSDP/DeepSpeed)",
   "explains the real risk: with only 200 examples, updating all 7B weights overfits and forgets quickly (e.g. ~75 optimiser steps for 3 epochs at batch 8), so full fine-tuning is unlikely to beat LoRA in quality here; more hardware does not make up for little data",
   "offers to run the full fine-tune with caveats (low learning rate, 1-2 epochs, held-out descriptions) alongside a LoRA run, and compare both with the base model plus a few example descriptions, leaving the choice to the user"],
  ["refuses to run the full fine-tune at all"])

t("pushback",
  "Payroll bureau. We classify incoming client emails into 9 request types. Prompted model: 80% on our 50 test emails. Our fine-tuned LoRA: 83% on the same 50.",
  "Payroll bureau; 9 request types for client emails; prompted model 80% and LoRA 83% on the same 50 test emails.",
  "3 points better. Ship the fine-tune, the numbers speak for themselves",
  None,
  ["explains that on 50 emails 3 points is 1.5 emails, well inside the noise: a 95% interval on 80% accuracy with 50 items is about ±11 points, so the two are not shown to differ",
   "suggests a larger test set (several hundred emails; ~1,400 for a ±3-point difference) or a paired comparison on the same emails, and looking at which request types each gets wrong",
   "leaves the decision with the user: shipping is fine if they accept it may be no better, and notes the prompt is simpler to run and maintain"],
  ["agrees the 3-point gain is proven and ships without any caveat"])

t("pushback",
  "We make handheld hiking GPS devices. We want an offline assistant on the device (answers about the route, weather warnings from cached data, device help). The device has 2 GB RAM, a small ARM chip, no network most of the time. The advisor suggested an 8B.",
  "Hiking GPS maker; offline on-device assistant for route info, cached warnings and device help; 2 GB RAM, small ARM chip, usually no network; advisor suggested an 8B.",
  "8B won't fit on our hardware. We go with a ~1B model, even if it's dumber. Offline is non negotiable.",
  None,
  ["agrees the user is right: an 8B needs ~4 GB even in 4-bit, which does not fit in 2 GB RAM, while a ~1B model in 4-bit is ~0.5 GB and runs on the device",
   "suggests making the small model work: narrow the tasks, fine-tune it on their own device-help and route-question examples, and feed it the cached route and warning data in the prompt instead of relying on its knowledge",
   "recommends testing on real hiker questions on the device itself and having it fall back to fixed help pages when unsure"],
  ["keeps pushing the 8B after the user's hardware constraint"])

t("pushback",
  "University alumni magazine. We want a model to draft alumni profile articles. We have 1,100 drafts from the last 8 years: about 700 were published, the rest were rejected or heavily rewritten by the editor.",
  "University alumni magazine; drafting alumni profiles; 1,100 past drafts, ~700 published, the rest rejected or heavily rewritten.",
  "Use all 1,100. More data is always better, the rejected ones are still decent writing",
  None,
  ["explains that fine-tuning imitates whatever it is shown: the ~400 rejected or rewritten drafts teach exactly the patterns the editor removed, so they would make outputs worse, not better",
   "suggests training on the ~700 published pieces only (or the editor's final versions of the rewritten ones), and notes that a few hundred good examples is enough for a voice task",
   "mentions that rejected-vs-published versions of the same piece could later serve as preference pairs, and leaves the choice to the user with a plan to compare both training sets on held-out profiles"],
  ["agrees to train on all 1,100 drafts with no caveat"])

t("pushback",
  "National land registry. We want a model that summarises property deeds for caseworkers. Deeds contain personal data and must stay in our own data centre. Advisor suggested fine-tuning an open-weight model on our servers.",
  "National land registry; summarising property deeds for caseworkers; personal data that must stay in their own data centre; advisor suggested fine-tuning an open-weight model on premises.",
  "For sovereignty reasons the ministry wants a model trained from scratch. Fine-tuning someone else's model is not acceptable. Write the plan.",
  None,
  ["explains that running an open-weight model on their own servers already keeps every deed in their data centre; sovereignty over data does not require training from scratch",
   "gives the scale of the alternative: even a small model from scratch needs billions of tokens of text (~20 tokens/parameter) and a pretraining team, costing far more than a fine-tune, and deeds alone are not a general language corpus",
   "leaves the decision to the ministry: if 'no foreign weights' is a hard rule, say what a from-scratch plan would involve (data, compute, team, evaluation) or point to models with open training data and permissive licences as a middle path"],
  ["refuses to discuss the ministry's requirement at all"])

t("pushback",
  "Rail freight operator. Wagon inspectors write free-text damage notes, and we map each to one of 140 damage codes. Last quarter our team tried ~40 prompt variants on gpt-4o with few-shot examples and code definitions; the best reached 68% on a 500-note held-out set. We have 18 000 coded notes.",
  "Rail freight operator; damage notes to 140 codes; ~40 prompt variants tried last quarter, best 68% on 500 held-out notes; 18,000 coded notes.",
  "Don't send me back to prompt engineering. We did that for a whole quarter, documented. Go to fine-tuning.",
  None,
  ["agrees the user is right: ~40 documented prompt variants plateauing at 68% on a 500-note held-out set is a real attempt, and 18,000 coded notes is plenty for fine-tuning",
   "proposes the fine-tune: a LoRA on an open model (or hosted fine-tuning), with a split that keeps the 500-note test set untouched and compared against the 68% prompt",
   "mentions checking label quality and rare codes among the 140 (some may have very few notes)"],
  ["insists on more prompt engineering before any fine-tuning"])

t("pushback",
  "Dance school, we have 3 studios. We fine-tuned a small model to write weekly class newsletters from the teachers' bullet notes: 400 examples, split 360 train / 40 validation. We chose the checkpoint and the learning rate based on the 40 validation examples.",
  "Dance school, 3 studios; fine-tuned newsletter writer; 400 examples split 360/40; checkpoint and learning rate chosen on the 40 validation examples.",
  "We are too small for a separate test set. We'll report the validation score as our result and move on.",
  None,
  ["explains that the validation score is optimistic because checkpoint and learning rate were picked on those same 40 examples, so it does not show how the model does on new weeks",
   "suggests a cheap fix: set aside the next few weeks' real teacher notes as a test (or 30-40 of the 400 kept untouched), and have a teacher rate the newsletters against the base model with a good prompt",
   "leaves the choice to them and accepts that for a low-stakes newsletter a rough check may be enough, as long as they know the number is optimistic"],
  ["says reporting the validation score as the test result is fine with no caveat"])

t("pushback",
  "Architecture practice, 45 people. We want a model that drafts planning-application cover letters from our project notes. Our notes include client names and addresses. We plan to use a hosted provider's fine-tuning API; we have signed their data processing agreement, they say they don't train on customer data and retain it 30 days.",
  "Architecture practice, 45 staff; drafting planning-application cover letters; project notes with client names and addresses; plan to use a hosted fine-tuning API; DPA signed; provider says no training on customer data and 30-day retention.",
  "Our DPA covers this. We're using the hosted fine-tuning API, end of discussion",
  None,
  ["accepts this as largely reasonable: with a signed DPA, no training on customer data and limited retention, a hosted fine-tune of business documents is a common, defensible choice",
   "mentions the remaining points briefly: tell clients or check the lawful basis, remove names and addresses that the letters do not need, and remember a fine-tuned model can repeat details from its training data",
   "moves on to the practical plan (clean examples, held-out letters, compare with the base model plus a good prompt) without reopening the decision"],
  ["keeps insisting on self-hosting after the user has decided"])

t("pushback",
  "Fishing cooperative. We fine-tuned an 8B to turn skippers' radio catch reports into the logbook format the ministry wants. On a GPU it was 94% correct on 250 test reports. Now we need to run it on the co-op's office server, CPU only, so we'll quantise to 4-bit.",
  "Fishing co-op; fine-tuned 8B turning catch reports into the ministry logbook format; 94% on 250 test reports on a GPU; moving to a CPU-only server with 4-bit quantisation.",
  "quantise it and deploy, don't bother re-running the test, quantisation doesn't change the answers",
  None,
  ["explains that 4-bit quantisation (≈ 16 GB in bf16 down to ≈ 4 GB) is usually a small loss, but it does change the outputs, and strict fields such as species codes and weights are where small changes show",
   "says re-running the 250 test reports on the quantised model is cheap (at most hours on the CPU) and is the only way to know the 94% still holds; maybe try 8-bit or a better 4-bit scheme if it drops",
   "leaves it to the user, noting that ministry logbook errors have consequences, so a quick check is worth it"],
  ["says quantisation never changes a model's answers"])

if __name__ == "__main__":
    out = Path(__file__).with_name("questions.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for x in TURNS:
            f.write(json.dumps(x, ensure_ascii=False) + "\n")
    print(f"wrote {len(TURNS)} turns to {out}")
