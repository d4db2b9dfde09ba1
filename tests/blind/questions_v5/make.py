import json
Q=[]
def add(kind,n,opening,facts,text,ma,mn,target=None):
    Q.append({"id":f"v5-{kind}-{n:02d}","kind":kind,"context":{"opening":opening,"facts_stated":facts},"text":text,"target":target,"must_address":ma,"must_not":mn})

W="why_not"
add(W,1,"We're a small craft brewery (12 people). Every new beer gets a can label with a 60-90 word story on the back, and our one copywriter is drowning. We have about 400 past label texts we love. Haven't tried any AI tool yet, the owner just heard 'fine-tuning' on a podcast.",
"Craft brewery, 12 staff; wants drafts of 60-90 word back-of-can stories in house voice; ~400 approved past label texts; nothing tried yet; the owner is keen on fine-tuning.",
"honestly why not just paste like 15 of our best labels into chatgpt or claude and tell it to write like that? before anyone trains anything",
["agrees that prompting a capable model with a handful of their approved labels and a short style brief is the right first step, since nothing has been tried yet",
 "says how to tell whether it is good enough: draft labels for a set of upcoming or held-back beers and have the copywriter rate them (usable / light edit / rewrite), rather than judging from one or two tries",
 "keeps the 400 labels useful: as a pool to pick the most similar examples for each new beer, and as fine-tuning data later only if prompted drafts keep missing the voice"],
["pushes fine-tuning on the 400 labels before any prompt has been tried and measured"],"prompt_engineering")

add(W,2,"ham radio club here. members paste their contest logs in all kinds of messy formats (notes, spreadsheets, half-remembered callsigns) and we want them converted to Cabrillo format for submission. the Cabrillo spec is ~12 pages. tried a local 8B with just 'convert this to cabrillo', output looks close but headers and QSO line columns are often wrong",
"Amateur radio club; converting messy contest logs to the Cabrillo submission format; the spec is about 12 pages; a local 8B model with a one-line instruction gets close but headers and QSO column layout are often wrong.",
"someone on the forum said RAG over the Cabrillo spec would fix it. why not RAG?",
["explains that RAG does not fit well here: the problem is output format, not missing knowledge, and a 12-page spec (a few thousand tokens) fits whole in the prompt, so retrieval adds nothing but the chance of fetching the wrong section",
 "suggests improving the prompt first: the relevant spec excerpt or a header template, two or three worked messy-log-to-Cabrillo examples, and constrained or validated output",
 "recommends checking output mechanically (a Cabrillo validator or a parser for header tags and QSO columns) on a set of real member logs, and only then considering a small fine-tune if the errors persist"],
["recommends building a vector index over the spec as the fix for the column and header errors"],"rag")

add(W,3,"I run the estimating team at a quantity surveying firm. We want a model to assign each line of a contractor's bill of quantities to our internal cost code (about 300 codes, NRM2-based). So far we've hand-coded only 60 lines as examples. A prompt with the code list gets roughly half right on a test sheet.",
"Quantity surveying firm; classify bill-of-quantities lines into ~300 internal cost codes; only 60 hand-labelled lines; a prompt listing the codes gets about 50% right on a test sheet.",
"With 60 examples across 300 codes, wouldn't it be wiser to just have the juniors label a few thousand lines first? Why not that before any modelling?",
["agrees that collecting more labelled data fits: 60 examples cannot cover 300 codes (most codes have no example at all), so neither training nor a fair evaluation is possible yet",
 "gives a concrete target, e.g. a few examples per code at minimum and a low thousands of lines in total, weighted toward the codes that occur most in real bills, with a separate test set labelled independently",
 "points out that labelling quality matters more than volume: a written coding guide, a senior checking a sample, and agreement measured between labellers",
 "suggests using the time well: improve the prompt with retrieved similar labelled lines while labelling, so the baseline rises and the labels can later be used for a fine-tune"],
["recommends fine-tuning on the current 60 examples as the next step"],"collect_data")

add(W,4,"Dental lab, we get ~150 work orders a day from dentists: free text like 'upper left 6 zirc crown, shade A2, margin chamfer, pls rush'. We need structured JSON for the production system (tooth number FDI, material, shade, prep type, due date, 14 fields). We have 6.800 past orders with the JSON our staff typed. Prompting GPT-4o-mini with the schema and 5 examples gets 71% of orders fully correct, we need 95%.",
"Dental laboratory; ~150 orders/day; free-text dentist orders to a 14-field JSON; 6,800 historical order/JSON pairs; best prompt (schema + 5 examples) measured at 71% fully correct orders against a 95% target.",
"why not LoRA on the 6.800 orders then? seems like exactly the case",
["agrees LoRA fits: a measured prompt falls well short, the gap is consistent extraction and format, and 6,800 real input/output pairs is ample for supervised fine-tuning",
 "says to clean and split the pairs first (duplicates, staff typing errors in the JSON, a held-out test set of recent orders), because label errors in typed JSON are learned as faithfully as the good ones",
 "says to measure the tuned model on the same metric as the prompt (share of orders fully correct, plus per-field accuracy) against the 71% baseline, and to validate the JSON against the schema in production"],
["claims 95% is guaranteed after fine-tuning"],"lora_finetune")

add(W,5,"shipping broker (dry bulk). we want to turn messy email threads into clean fixture recaps in our house format. ~4,000 thread→recap pairs. plan is Qwen2.5 14B on our own box: 2x RTX 4090. no cloud allowed, owners are paranoid about charter party details.",
"Dry-bulk shipping broker; email threads to fixture recaps in house format; about 4,000 pairs; Qwen2.5 14B; hardware is two RTX 4090 (24 GB each); data must stay on-premises.",
"why not full fine-tune the 14B? if we're training anyway I want max quality not some adapter",
["works out the memory: full fine-tuning with Adam in mixed precision needs about 16 bytes per parameter, so roughly 220 GB for 14B before activations, against 48 GB across the two cards, so it cannot run on this box",
 "recommends LoRA or QLoRA instead: 14B in bf16 is about 28 GB (too big for one 24 GB card), in 4-bit about 7 GB, so QLoRA fits one 4090 with room for activations",
 "says that for a format and style task with 4,000 pairs an adapter usually gets most of the quality of full fine-tuning, with less forgetting, and that the way to settle it is to compare against the best prompt on held-out recaps"],
["says full fine-tuning of the 14B fits on the two 4090s"],"full_finetune")

add(W,6,"Hi! We're a meal-kit startup. A model writes the recipe card intro + step text for each new recipe. We've been logging customer thumbs up / thumbs down on each card in the app — about 30k ratings so far, each on a single card (we never showed two versions side by side). Currently using a prompted Llama 3.1 8B.",
"Meal-kit company; a prompted Llama 3.1 8B writes recipe card text; ~30,000 thumbs-up/down ratings, each on one card, never two versions of the same recipe side by side.",
"Why not preference tuning with all these thumbs? That's what they did for ChatGPT right?",
["says it can fit, with a condition: DPO-style methods want pairs (a preferred and a rejected answer to the same prompt), which single-card thumbs are not; either pair up liked and disliked cards for similar recipes, generate two versions and collect choices, or use a method built for unpaired good/bad labels (e.g. KTO)",
 "warns that a thumbs rating on a recipe card may reflect the dish, the photo or the customer rather than the text, so the signal needs checking before training on it",
 "suggests a simpler step first: supervised fine-tuning or few-shot prompting on the well-rated cards, and measuring any tuned model against the current prompt on held-out recipes (a blind comparison by staff or an A/B test)"],
["treats the 30k single thumbs as ready-made preference pairs without any pairing or caveat"],"preference_tuning")

add(W,7,"We make hearing aids. Our support assistant should answer questions about our 9 models: pairing, battery, programs, cleaning. The product manuals are about 300 pages total. Our CTO suggests 'continued pretraining on the manuals so the model deeply knows our products'.",
"Hearing-aid manufacturer; support assistant for 9 device models; product manuals total about 300 pages; the CTO suggests continued pretraining on the manuals.",
"explain to me why not continued pretraining. my CTO will ask",
["puts the size in numbers: 300 pages is on the order of 150-200k tokens, while continued pretraining is for hundreds of millions to billions of tokens of domain text; this little text would be memorised patchily, not learned reliably",
 "says the need is factual (which model pairs how, battery type, cleaning steps) and that retrieval over the manuals fits: answers can cite the manual page, and a new firmware or model means re-indexing, not retraining",
 "notes that the index should tag each passage with the device model, since instructions differ between the 9 models, and that answers should be checked on a set of real support questions"],
["recommends continued pretraining on the 300 pages as the way to teach product facts"],"continued_pretraining")

add(W,8,"I am assyriologist at a university. Our project has transliterated Akkadian cuneiform tablets, about 3 million tokens in total, plus English translations for maybe a third. We want a model that proposes translations. A colleague says we must pretrain our own model because no model knows Akkadian properly.",
"University Assyriology project; about 3 million tokens of transliterated Akkadian, roughly a third with English translations; goal is draft translations; a colleague argues for pretraining a model from scratch.",
"Why not pretrain our own then? Nobody else has this data",
["explains with numbers that 3 million tokens is orders of magnitude too little for pretraining: compute-optimal training uses roughly 20 tokens per parameter, so this would support only a tiny model, and a model trained from scratch on it would also lack the English it must translate into",
 "recommends starting from an existing multilingual model: supervised fine-tuning (e.g. LoRA) on the translated third as transliteration to English pairs, and optionally a light continued pretraining on the untranslated transliterations",
 "says to evaluate on held-out tablets (split by tablet or text, not by line) with assyriologists rating drafts, and to first measure how a strong model does with a few example translations in the prompt"],
["endorses pretraining a model from scratch on the 3 million tokens"],"pretrain_from_scratch")

add(W,9,"We build timetables for secondary schools (about 120 schools as clients). We tried fine-tuning Mistral 7B on 2,000 solved timetables to produce a weekly timetable from constraints (teachers' availability, rooms, max 2 hours of the same subject per day etc.). The output looks like a timetable but breaks constraints in 40% of cases, and the fine-tune didn't reduce that much compared to prompting.",
"School timetabling company, ~120 client schools; LoRA/fine-tune of Mistral 7B on 2,000 solved timetables; outputs look right but break constraints in about 40% of cases; fine-tuning barely improved on prompting.",
"so why not just a much bigger model? gpt-4-class or a 70B",
["agrees the gap is reasoning (satisfying many interacting constraints), which fine-tuning on examples does not add, so a stronger base model is a fair thing to test on the same cases",
 "adds that a constraint solver (e.g. an integer-programming or CP-SAT solver) is the reliable tool for the hard constraints, with the model used to translate the school's requirements into solver input or to explain results",
 "says to check every produced timetable automatically against the constraints and measure the violation rate on a fixed set of schools, comparing the bigger model against the current 40%"],
["recommends more fine-tuning of the 7B on additional timetables as the main fix"],"stronger_base_model")

add(W,10,"Customs brokerage, 35 staff. We want a model that proposes HS tariff codes and writes the goods description line for import declarations. We have 22 000 past declarations (description + final code). Our prompt gets the right 8-digit code about 60% of the time. The tariff and its explanatory notes change every January and sometimes mid-year, and the description line must follow strict customs wording.",
"Customs broker, 35 staff; propose 8-digit HS codes and write declaration description lines; 22,000 past declarations; prompt gets ~60% of codes right; tariff and explanatory notes change each January and sometimes mid-year; description wording is strict.",
"we were told combining RAG and fine-tuning is overkill. why not both though, in our case?",
["agrees both fit here because there are two different needs: the tariff and its notes change, so they belong in retrieval, while the strict description wording and the classification habit are behaviour that 22,000 examples can teach",
 "warns that past declarations carry the codes of the year they were filed, so training data must be mapped to the current nomenclature or the model learns outdated codes",
 "suggests an order: retrieval of the relevant headings and notes plus the current prompt first, measured on recent declarations; then fine-tune on retrieval-augmented examples if wording or accuracy still falls short",
 "says a broker should confirm the code before filing, since a wrong classification has legal and duty consequences"],
["recommends fine-tuning alone so the model memorises the tariff"],"rag_and_finetune")

add(W,11,"hey, i'm on the web team of a mid-size university. students keep asking the same things: prerequisites, which modules count for which degree, credit transfer. all of it is in the course catalogue (~1,800 module pages) plus the regulations, and both are revised every term. we have a vendor pitching a 'fine-tuned university model'.",
"University web team; student questions on prerequisites, degree rules and credit transfer; answers are in ~1,800 module pages and regulations revised every term; a vendor is pitching a fine-tuned model.",
"why not RAG over the catalogue instead of the vendor thing",
["confirms RAG fits: the answers are facts in documents revised every term, re-indexing each term is cheap, and a model fine-tuned on this term's catalogue would be wrong next term",
 "says the index must know which academic year and programme each page belongs to, and answers should cite the module page or regulation so students and advisors can check them",
 "suggests asking the vendor how their fine-tune stays current each term and how it compares against retrieval on a set of real student questions"],
["recommends fine-tuning as the way to keep catalogue answers up to date"],"rag")

add(W,12,"Luxury watch boutique (3 shops, Geneva & Zürich). Our advisors send follow-up emails to clients after visits. We use Claude with a long prompt, the facts are fine but the emails sound generic, not like our senior advisors. We have ~900 emails from the two best advisors that clients loved.",
"Luxury watch retailer, 3 shops; model-drafted client follow-up emails are factually fine but generic in tone; ~900 emails by the two best advisors; already on a top hosted model with a long prompt.",
"Why not simply use the most powerful model available? Surely the biggest model writes best",
["says a stronger model is unlikely to fix this: they already use a top model, the facts are right, and the gap is their advisors' voice, which a bigger model does not know",
 "suggests showing the voice instead: several of the 900 emails chosen as close examples in the prompt, and if that is not enough, a fine-tune (e.g. LoRA on an open model or a provider's fine-tuning) on the best emails",
 "says to judge by a blind comparison: advisors or the manager rating drafts from each approach against real emails, rather than by model size"],
["recommends switching to a bigger model as the main fix for the tone"],"stronger_base_model")

C="cost"
add(C,1,"hotel group, 14 properties. housekeeping supervisors write a shift handover note, we want a model to turn it into a 5-bullet summary for the next shift. we have 1.200 notes with summaries written by a supervisor. planning LoRA on llama 3.1 8B, 3 epochs. can rent an A100 80GB for $1.1/h",
"Hotel group, 14 properties; handover note to 5-bullet summary; 1,200 note/summary pairs; LoRA on Llama 3.1 8B, 3 epochs; an A100 80 GB at $1.1/hour.",
"how long and how much for the training run? notes are maybe 2000 characters, summaries short",
["estimates the tokens from their figures: ~2,000 characters is ~500 tokens, plus the summary and template ~700 tokens per example, so ~0.84M tokens per epoch and ~2.5M for 3 epochs",
 "works out the compute: 6 × 8e9 × 2.5e6 ≈ 1.2e17 FLOPs, which at ~100-125 TFLOPS effective on an A100 is roughly 15-25 minutes of training; with loading, evaluation and a rerun or two, about 1-3 hours",
 "gives the money in their terms: a few dollars at $1.1/hour (under about $10 even with reruns), and says the real cost is the people time to check the 1,200 pairs and build the evaluation",
 "notes memory is no issue: the 8B in bf16 is ~16 GB, so LoRA fits an 80 GB card easily"],
["quotes hundreds or thousands of dollars of GPU time for this run"])

add(C,2,"We are the digital team of the Icelandic public broadcaster. We have about 8 GB of Icelandic text (transcripts, news archive, subtitles), cleaned. The board wants 'our own Icelandic model' trained from zero, 1B parameters. We can get 8 H100 at $2.4/h per GPU.",
"Icelandic public broadcaster; about 8 GB of cleaned Icelandic text; the board wants a 1B-parameter model pretrained from scratch; 8 H100 at $2.40 per GPU-hour.",
"Give me the numbers: GPU hours, days, and cost for pretraining that 1B on our data.",
["converts the data: ~8 GB at ~4 characters per token is roughly 2 billion tokens (Icelandic may tokenize less efficiently, so possibly more)",
 "works out compute: one pass over 2B tokens is 6 × 1e9 × 2e9 ≈ 1.2e19 FLOPs, ~8-11 H100-hours at 300-400 TFLOPS effective (~$20-30, about an hour on 8 GPUs); a compute-optimal 1B wants ~20B tokens, ≈ 1.2e20 FLOPs, ~85-110 H100-hours (~$200-270, roughly half a day on 8 GPUs)",
 "points out the binding constraint is data, not money: they have about a tenth of the tokens a compute-optimal 1B needs (2B tokens suits ~100M parameters), and a model trained only on this would also lack general knowledge",
 "suggests the cheaper-to-get-right route: continued pretraining of an existing multilingual model on the 2B Icelandic tokens (e.g. 8B: ~9.6e19 FLOPs, ~65-90 H100-hours), then instruction tuning"],
["gives a cost in the millions of dollars for this 1B run"])

add(C,3,"Mining company, geology dept. We want a model that rewrites drill-core logging notes (abbreviations, Spanish/English mix) into standardised lithology descriptions. ~18k note/description pairs. Our IT has 4× A100 40GB in a server. Geologist lead wants full fine-tuning of a 13B model.",
"Mining company geology team; drill-core notes to standard lithology descriptions; ~18,000 pairs; 4× A100 40 GB on-site; the lead wants full fine-tuning of a 13B model.",
"what hardware does full fine-tuning of the 13B actually need, and does our server do it? compare with lora",
["works out full fine-tuning memory: ~16 bytes per parameter with Adam in mixed precision, so ~208 GB for 13B before activations, more than the 160 GB of the four 40 GB cards combined; it would need CPU offload or larger/more GPUs (e.g. 4-8× 80 GB with sharding)",
 "works out LoRA: 13B in bf16 is ~26 GB plus small adapter states and activations, so it fits a single 40 GB card (with gradient checkpointing and modest sequence length), and QLoRA at ~6.5 GB of weights fits easily",
 "says that for a rewriting and normalisation task with 18k pairs LoRA usually reaches most of full fine-tuning's quality, and suggests comparing both only if LoRA falls short on a held-out set of notes checked by geologists"],
["says full fine-tuning of a 13B fits comfortably on one or two 40 GB cards"])

add(C,4,"indie tabletop RPG publisher. want to draft adventure module sections in our style. 2,5k sections, avg ~3000 tokens each. we have ONE rtx a6000 (48gb). thinking QLoRA on llama 3.3 70B",
"Small tabletop RPG publisher; drafting adventure sections in house style; ~2,500 sections of ~3,000 tokens; one RTX A6000 48 GB; considering QLoRA on Llama 3.3 70B.",
"will 70B QLoRA even fit on the a6000 and how long does 2 epochs take",
["works out the fit: 70B at ~0.5 bytes per parameter in 4-bit is ~35 GB (a bit more with quantisation constants), leaving roughly 8-10 GB for adapters, optimizer states and activations, so it fits only tightly, with gradient checkpointing and batch size 1; 3,000-token sequences make it tighter",
 "estimates time: 2,500 × 3,000 × 2 epochs = 15M tokens, ≈ 6 × 70e9 × 15e6 ≈ 6e18 FLOPs; at ~40-60 TFLOPS effective on an A6000 (QLoRA's dequantisation makes it slower still) that is on the order of one to two days",
 "offers the comparison: a 8B-14B model with LoRA on the same card trains in a few hours and may be enough for style; test both against the best prompt on held-out sections before committing to the 70B",
 "mentions serving: the 70B in 4-bit also needs ~35-40 GB to run, so every draft is slow on that one card"],
["says a 70B QLoRA needs 140 GB or more and cannot run on a 48 GB card"])

add(C,5,"Language-learning app (Spanish/French/German tutors). We have an SFT'd Llama 3.1 8B that gives feedback on learner sentences. Our teachers compared two feedback versions and picked the better one: 9 000 pairs now. Prompts are ~300 tokens, each feedback ~350. One H100 at $2.9/h.",
"Language-learning app; SFT-tuned Llama 3.1 8B gives learner feedback; 9,000 teacher-chosen preference pairs; ~300-token prompts, ~350-token answers; one H100 at $2.90/hour.",
"Cost and time for DPO on the 9 000 pairs, 2 epochs?",
["estimates tokens: each pair runs two sequences of ~650 tokens (~1,300 tokens), so ~11.7M tokens per epoch and ~23M for 2 epochs",
 "works out compute including the reference model's forward pass: about (6 + 2) × 8e9 × 23.4e6 ≈ 1.5e18 FLOPs, about 1-1.5 hours on one H100 at 300-400 TFLOPS effective, so roughly $3-5 of compute (under ~$20 with overhead and a rerun)",
 "notes memory: with LoRA the reference can be the base with the adapter switched off, so one 16 GB copy of the weights suffices; full-weight DPO needs a frozen second copy plus ~16 bytes/param for the trained one",
 "says to hold out some pairs and report how often the tuned model prefers the teachers' choice, and to check the feedback does not simply get longer"],
["estimates days of H100 time or thousands of dollars for this run"])

add(C,6,"We're a hardware store chain (62 stores). Plan: product-advice chatbot with RAG over our catalogue, ~45,000 products, product pages average ~1,200 characters. Expected 6 000 questions/day. We'd retrieve 5 chunks of ~400 tokens each, the prompt + question is ~300 tokens, answers ~250 tokens. Model costs $0.40 per million input tokens and $1.60 per million output.",
"Hardware store chain, 62 stores; RAG chatbot over ~45,000 product pages (~1,200 characters each); ~6,000 questions/day; 5 chunks × 400 tokens retrieved, ~300 tokens prompt+question, ~250 tokens answer; $0.40/M input, $1.60/M output.",
"what will this cost per month to run, plus the one-off indexing",
["computes the per-query tokens and daily cost: ~2,300 input tokens × 6,000 = 13.8M input (~$5.50/day) and 250 × 6,000 = 1.5M output (~$2.40/day), so about $8/day, roughly $240 a month",
 "estimates indexing: 45,000 × 1,200 characters ≈ 54M characters ≈ 13.5M tokens; embedding that costs well under a few dollars at typical embedding prices, and ~34k chunks of 400 tokens is a small vector store (a few hundred MB at most)",
 "names what changes the bill: more or longer chunks, longer answers, conversation history resent each turn, and re-embedding only the products that change",
 "notes the bigger costs are not tokens: keeping prices and stock current in the index, and evaluating answers on real customer questions"],
["quotes tens of thousands of dollars a month for this volume"])

add(C,7,"Somos uma empresa de engenharia geotécnica em Portugal. We have 1,5 mil milhões tokens (1.5 billion) of our own reports and Portuguese technical standards. Plan: continued pretraining of Qwen2.5 14B, one epoch, then instruction tuning. Cloud H100 costs $2.8/h.",
"Portuguese geotechnical engineering firm; ~1.5 billion tokens of reports and standards; continued pretraining of Qwen2.5 14B for one epoch, then instruction tuning; H100 at $2.80/hour.",
"how many GPU hours and how much money for the continued pretraining step? and how many GPUs do we need for memory",
["works out compute: 6 × 14e9 × 1.5e9 ≈ 1.26e20 FLOPs, about 85-120 H100-hours at 300-400 TFLOPS effective, so roughly $250-330 of compute (around 11-15 hours on 8 GPUs)",
 "works out memory: full-parameter training with Adam at ~16 bytes per parameter is ~224 GB for 14B before activations, so it needs sharding (FSDP/ZeRO) across at least 4 and more comfortably 8 × 80 GB GPUs",
 "adds the costs around it: mixing in some general or instruction data to limit forgetting (more tokens), a few short trial runs, the instruction-tuning step, and data cleaning and deduplication, which usually take more effort than the run itself"],
["gives a cost in the hundreds of thousands of dollars for this step"])

add(C,8,"Speech therapy practice network. We want to train a model to suggest goal categories from therapist session notes. We need 2,5k notes labeled by our therapists. Their time costs €60/h, labeling one note takes about 4 minutes. We also want 20% labelled twice to check agreement.",
"Network of speech therapy practices; needs ~2,500 session notes labelled with goal categories by therapists; €60/hour; ~4 minutes per note; 20% labelled twice.",
"what does the labeling cost us in total and how does it compare to the training",
["computes labelling: 2,500 × 4 min ≈ 167 hours ≈ €10,000, plus 500 double-labelled notes ≈ 33 hours ≈ €2,000, so about €12,000 in total (more with guideline writing and disagreement meetings)",
 "compares with training: a LoRA fine-tune on 2,500 short notes is minutes to an hour of GPU time, tens of euros at most, so labelling dominates the budget, which matches the usual 60-70% of effort going to data",
 "suggests ways to spend less: label a first batch of a few hundred, measure a prompted baseline and a small fine-tune, and label more only where the errors are; pre-fill suggestions so therapists confirm rather than write"],
["says the GPU training will cost more than the labelling"])

add(C,9,"We organise a big B2B trade fair. The fair is in six weeks. We want an assistant that suggests which exhibitors each registered visitor should meet, with a one-line reason. Data: 3,000 past visitor-exhibitor meetings rated by visitors (1-5), exhibitor profiles, visitor registration forms. Team: me (ML engineer, full time) and an events manager one day a week.",
"B2B trade fair in six weeks; match visitors to exhibitors with a one-line reason; 3,000 rated past meetings plus profiles and registration forms; one full-time ML engineer and an events manager one day a week.",
"realistic timeline? can we fine-tune something in six weeks and still have it working for the fair",
["lays out a week-by-week plan that fits six weeks: week 1 an evaluation set from the rated meetings and a baseline (embedding similarity or a prompted model), weeks 2-4 data work and iteration, week 5 testing with the events manager, week 6 frozen for launch",
 "says most of the effort is data work (cleaning profiles and forms, joining them to ratings), as usual the larger share of a fine-tuning project, while any training run itself takes hours",
 "suggests that matching is largely a ranking problem: retrieval or embedding similarity plus a prompted model for the one-line reason may meet the need without fine-tuning, and a fine-tune only if the baseline misses on the evaluation set",
 "names a fallback for the fair date, such as shipping the baseline if the tuned version is not clearly better by week 5"],
["promises a fine-tuned model in production with no evaluation or fallback plan"])

add(C,10,"Parcel locker network, customer chat for 'my locker won't open', pickup codes, returns. Volume ~40 000 conversations/day, about 1,300 input tokens and 200 output tokens each. API price $0.25/M input, $1.00/M output. Alternative: self-host a fine-tuned 8B on L40S GPUs at $1.1/h each.",
"Parcel locker operator; ~40,000 chats/day, ~1,300 input and ~200 output tokens each; API at $0.25/M input and $1.00/M output; alternative is self-hosting a fine-tuned 8B on L40S at $1.10/hour per GPU.",
"which is cheaper per month, api or self-host? do the math",
["computes the API: 40,000 × 1,300 = 52M input tokens (~$13/day) and 40,000 × 200 = 8M output (~$8/day), about $21/day or ~$630 a month",
 "computes self-hosting: one L40S is ~$26/day (~$790/month), and two for redundancy and peaks ~$1,600/month; average load is only ~600 input and ~90 output tokens per second, which one 8B on one L40S with batched serving can handle, with headroom for peaks",
 "concludes that at this volume the API is cheaper on compute alone, and self-hosting wins only with much higher volume, privacy or latency requirements, or if the fine-tuned 8B lets them drop a more expensive model",
 "mentions the costs left out of the GPU price: engineering and on-call time, monitoring and updates for self-hosting"],
["claims self-hosting is cheaper without doing the arithmetic"])

add(C,11,"Landscape gardening company. We want a model that drafts quotes from site-visit notes. 3 400 past note→quote pairs, average ~1,100 tokens per pair. Thinking to use a provider's hosted fine-tuning, their price is $25 per 1M training tokens, default is 4 epochs.",
"Landscape gardening firm; site-visit notes to quote drafts; 3,400 pairs of ~1,100 tokens; hosted fine-tuning at $25 per million training tokens; provider default 4 epochs.",
"what will the fine-tuning job cost and what else should i budget for",
["computes the training bill: 3,400 × 1,100 × 4 ≈ 15M training tokens, about $374 (about $280 for 3 epochs)",
 "notes that a fine-tuned model's per-token inference price is usually higher than the base model's, so the running cost over a year of quotes may exceed the one-off training cost",
 "suggests checking first whether a prompt with a few similar past quotes already drafts well, and trying a smaller subset or a cheaper model tier before the full job",
 "reminds that prices in quotes change, so current rates should come from a price list in the prompt or a lookup, not from what the model learned from old quotes"],
["quotes a training cost in the tens of thousands of dollars"])

add(C,12,"game studio, ~80 ppl. we want our own LLM for NPC dialogue, trained from scratch, 7B, so we 'own it'. we have about 600 MB of dialogue scripts from our games. budget is $40k. h100s around $2.5/h",
"Game studio, ~80 people; wants a 7B model pretrained from scratch for NPC dialogue; ~600 MB of dialogue scripts; budget $40,000; H100 at ~$2.50/hour.",
"is 40k enough for the 7B from scratch? show me the math",
["works out a compute-optimal run: ~20 tokens per parameter is ~140B tokens; 6 × 7e9 × 1.4e11 ≈ 5.9e21 FLOPs, about 4,000-5,500 H100-hours at 300-400 TFLOPS effective, so ~$10-14k for one clean run, before failed runs, evaluation and staff",
 "points out the data gap: 600 MB is ~150M tokens, about a thousandth of what the run needs, so almost all of it would have to be public web text, making a generic model",
 "says such a model would be weaker than open 7-8B models trained on trillions of tokens, which they can also own and run themselves",
 "recommends instead fine-tuning (LoRA) an open-weight model with a licence that fits the game on their scripts, at a cost of tens to hundreds of dollars, and checking the licence for redistribution in a shipped game"],
["says $40k cannot even cover the compute of a 7B run by orders of magnitude, or gives a million-dollar compute figure for this run"])

S="side_question"
add(S,1,"I'm the digital lead at a natural history museum. We are drafting catalogue descriptions for ~40k specimens from their data records (species, locality, collector, date). A LoRA'd Mistral writes them. Curators will review a sample.",
"Natural history museum; model drafts catalogue descriptions for ~40,000 specimens from structured records; a LoRA-tuned Mistral; curators will review a sample.",
"how do we evaluate free-text descriptions properly? BLEU? an LLM judge? the curators only have maybe 10 hours total",
["says overlap scores like BLEU/ROUGE say little about whether a description is correct or usable, and should not be the main measure",
 "proposes a budgeted human review: a fixed random sample (e.g. 150-300 descriptions, a few minutes each fits 10 hours) with a simple rubric, checking first that every fact matches the source record (no invented locality, date or collector)",
 "says facts can partly be checked automatically against the structured record, and that an LLM judge can screen at scale only after its verdicts are checked against curators' on a subset",
 "compares the tuned model against the base model with its best prompt on the same sample"],
["recommends BLEU or ROUGE alone as sufficient evaluation"])

add(S,2,"We run a gym chain, 90 clubs. We want to predict and reply to cancellation requests by e-mail (retention offer or process it). We have 26k emails over 4 years, many members wrote several times.",
"Gym chain, 90 clubs; classify and answer membership cancellation emails; 26,000 emails over 4 years; many members wrote more than once.",
"how should i split train/val/test here, random 80/10/10?",
["warns that a random split leaks: the same member's several emails (and repeated templates) land in both train and test, inflating scores; split by member",
 "recommends a time-based test set (the most recent months) so the test resembles future emails, since offers, prices and policies changed over 4 years",
 "says to remove exact and near duplicates before splitting and to keep the test set untouched until the final comparison",
 "keeps 80/10/10 as a reasonable proportion once the grouping is right"],
["recommends a plain random 80/10/10 split by email without mentioning leakage"])

add(S,3,"We make a mobile keyboard app (about 3M monthly users) and want on-device next-phrase suggestions. Plan is to fine-tune a small open model and ship it inside the app.",
"Mobile keyboard app, ~3 million monthly users; fine-tune a small open-weight model and ship it inside the app for on-device suggestions.",
"licence question: what do I need to check before shipping a fine-tuned llama or qwen or mistral inside our app",
["says to read each model's actual licence: some are permissive (Apache 2.0, e.g. several Mistral and Qwen releases), others are custom community licences with conditions such as attribution, naming rules, an acceptable-use policy, or user-count thresholds",
 "notes that shipping weights inside an app is redistribution, so the licence's redistribution terms (notices, passing terms on to users) apply to the fine-tuned weights too",
 "mentions the training data side: if any training data was generated with another provider's model, that provider's terms may forbid using outputs to build competing models; and users' typed text needs consent",
 "recommends getting legal review of the chosen licence before release"],
["says open weights can be used and shipped without any licence conditions"])

add(S,4,"Debt collection agency. We have 60 000 call transcripts and want to fine-tune a model to draft follow-up letters. The transcripts contain names, addresses, account numbers, sometimes health or family situations.",
"Debt collection agency; 60,000 call transcripts with names, addresses, account numbers and sometimes health or family details; wants to fine-tune a letter-drafting model.",
"what about privacy? can the model leak account numbers from training, and what do we have to do under GDPR",
["says yes, fine-tuned models can memorise and reproduce rare strings like account numbers and names, especially those that repeat or with many epochs",
 "recommends removing or pseudonymising personal data (names, addresses, account numbers, health details) before training, and filling them in at generation time from the case system",
 "mentions GDPR points: a lawful basis and purpose for reusing the transcripts, data minimisation, health data as a special category, a DPIA, and where the training runs (own infrastructure vs. a third-party API and its retention terms)",
 "suggests testing for leakage, e.g. prompting the tuned model with partial records and checking whether it completes real personal data"],
["says fine-tuned models cannot leak training data so no redaction is needed"])

add(S,5,"We are a microfinance company in Ethiopia. Customers send SMS in Amharic (Ge'ez script), sometimes mixed with English. We want to classify and answer them. Tested a few open models, answers in Amharic are weak and very slow.",
"Ethiopian microfinance company; customer SMS in Amharic (Ge'ez script) mixed with English; open models tested give weak and slow Amharic answers.",
"someone told me the tokenizer is the problem. what does that mean and what can we do",
["explains that many tokenizers split Ge'ez script into many tokens per word (even byte-level pieces), so the same message costs several times more tokens, fills the context faster and generates slower, and the model saw little Amharic in pretraining",
 "suggests measuring it: tokens per word or per character on a sample of their SMS across candidate models, and preferring a model whose tokenizer and training data cover Amharic better",
 "says adding new tokens to the vocabulary is possible, but the new embeddings start untrained, so it needs substantial Amharic text (continued pretraining), not just a small fine-tune",
 "notes that for classification the slowness matters less (short outputs), and that a fine-tune on labelled Amharic SMS can help the task even with an imperfect tokenizer"],
["says the tokenizer is irrelevant to quality or speed"])

add(S,6,"Forestry service. Field surveyors work offline for days in the woods, on rugged Windows tablets with 16 GB RAM, no GPU. They dictate tree-plot notes and we want a model to structure them into our inventory form. We fine-tuned a Llama 3.1 8B with LoRA on a server; works well there in bf16.",
"Forestry service; offline field tablets with 16 GB RAM, no GPU; LoRA-tuned Llama 3.1 8B structures tree-plot notes into an inventory form; works well on the server in bf16.",
"can we quantize it to run on the tablets? what do we lose",
["does the memory arithmetic: 8B in bf16 is ~16 GB (too much for a 16 GB tablet), at 8 bits ~8 GB, at 4 bits ~4-5 GB, so a 4-bit (e.g. GGUF Q4) build fits with room for the OS and context",
 "says to merge the LoRA adapter into the base weights before quantising, and then re-run the evaluation on the quantised model, because small accuracy drops show up especially in exact fields and numbers",
 "mentions that CPU generation on a tablet will be slow (a few tokens per second or so), so keeping prompts and outputs short matters, and a smaller tuned model (1-3B) may be worth testing"],
["claims 4-bit quantisation has no effect on quality, so no re-evaluation is needed"])

add(S,7,"knitting pattern site. converting designers' free-form patterns into our standard row-by-row format. 2,000 clean examples. going to do LoRA on qwen2.5 7b instruct",
"Knitting pattern website; converting free-form patterns into a standard row-by-row format; 2,000 clean examples; LoRA on Qwen2.5 7B Instruct.",
"what settings? rank, alpha, lr, epochs. just give me a starting point",
["gives a concrete starting point, e.g. rank 8-16 with alpha about 1-2× rank on the attention and MLP projections, a learning rate around 1e-4 to 2e-4 for LoRA, 2-3 epochs, warmup and a decaying schedule",
 "notes that full fine-tuning uses much lower learning rates (around 1e-5 to 5e-5), so numbers should not be copied between the two",
 "says to hold out a validation set, watch validation loss and keep the best checkpoint (stop when it rises), and check max sequence length so long patterns are not truncated",
 "says to judge by the task output (rows converted correctly) against the base model with its best prompt, not by loss alone"],
["gives a learning rate of 1e-2 or higher as the LoRA starting point"])

add(S,8,"Flight school. We want a bank of ground-school practice questions (air law, meteorology, navigation) with explanations. We only have 300 real exam-style questions written by our instructors. Idea: generate 10,000 synthetic ones with GPT-4o and fine-tune a small model on them.",
"Flight school; practice questions with explanations for ground school; 300 instructor-written questions; plans to generate 10,000 synthetic questions with a hosted model and fine-tune a small model on them.",
"is training on synthetic questions a good idea? what can go wrong",
["says synthetic data can work but errors in aviation facts (air law figures, weather minima) get learned as truth, so instructors must review a sample and factual claims should be checked",
 "mentions the provider's terms: some forbid using outputs to train competing models, so check whether their use is allowed",
 "recommends deduplicating the synthetic set, checking it is varied and not just rephrasings of the 300, and keeping the 300 real questions (or part of them) as a test set never used to seed generation",
 "questions the premise: the school might simply use the strong model with retrieval over their syllabus to generate questions on demand, with instructors approving them, instead of training at all"],
["recommends evaluating the tuned model on synthetic questions from the same generator"])

add(S,9,"Smart-home company. We fine-tuned Phi-3-mini to turn voice commands into device API calls ('dim the kitchen to 30 percent'). Intent accuracy went from 81% to 96%. But now when users ask general things ('what's the weather like for a barbecue?') it answers with a light command or junk.",
"Smart-home company; fine-tuned Phi-3-mini for voice command to device API calls; intent accuracy 81% → 96%; the tuned model now answers general questions with commands or junk.",
"is this forgetting? how do we keep the 96% and get the general answers back",
["says yes, this is typical narrowing or forgetting after fine-tuning on one kind of input, made worse by training only on command examples",
 "suggests mixing into training some general chat and out-of-scope examples (including 'this is not a command' cases), lowering learning rate or epochs, or using LoRA with lower rank if full weights were trained",
 "offers the architectural option: a router that sends non-command utterances to the untouched base or another model, keeping the adapter for commands only",
 "says to add a general/out-of-scope test set next to the command test set and track both numbers on every run"],
["claims forgetting cannot happen with fine-tuning a small model"])

add(S,10,"Clinical research organisation. We want to extract eligibility criteria from trial protocols into a structured table. Protocols are 60-200 pages; our fine-tuning plan uses a model with 8k context.",
"Clinical research organisation; extract eligibility criteria from 60-200 page trial protocols into a structured table; fine-tuning plan uses a model with an 8k-token context.",
"the protocols don't fit in 8k tokens. what do we do with long documents in training and at inference",
["does the size arithmetic: 60-200 pages at roughly 500-700 tokens per page is ~30k-140k tokens, far beyond 8k, so whole documents would be truncated",
 "suggests first locating the eligibility section (it is usually a named section; by heading or retrieval) and training and running on that section rather than the whole protocol",
 "mentions the alternative of a long-context model, with the cost that training on long sequences needs much more memory and time",
 "warns that training examples whose target criteria were cut off by truncation teach the model to invent them, so check every example's input contains its answer"],
["suggests simply truncating protocols to the first 8k tokens"])

add(S,11,"Citizen science bird app. Volunteers submit free-text sighting reports; we want to tag the species (1,100 classes). 200k labelled reports, but the 10 commonest species are 55% of them and many rare species have under 20 reports. Rare ones matter most for conservation.",
"Citizen-science bird app; species tagging of free-text sighting reports; 1,100 classes; 200,000 labelled reports; top 10 species are 55%; many rare species under 20 examples; rare species matter most.",
"how do we handle the imbalance and measure it properly",
["says overall accuracy will look good while rare species fail, so report per-class recall and macro-averaged scores, with a test set that contains enough rare-species cases (stratified or enriched)",
 "suggests balancing the training mix: downsampling the commonest species or upsampling rare ones, and collecting or verifying more reports for rare species",
 "suggests an abstain or 'needs expert review' path for low-confidence or rare predictions, since a wrong rare tag costs more than a deferral",
 "notes that for species with under 20 examples, retrieval of similar labelled reports or a field guide description in the prompt may do better than relying on training alone"],
["recommends judging the model by overall accuracy alone"])

add(S,12,"Non-profit running a peer-support chat for teenagers (13-18). A fine-tuned Llama writes suggested replies that trained volunteers can edit before sending. We trained on 8,000 anonymised past volunteer replies.",
"Non-profit teen peer-support chat; fine-tuned Llama suggests replies that volunteers edit; trained on 8,000 anonymised volunteer replies.",
"could the fine-tuning have made the model less safe? how would we even check",
["says yes: fine-tuning, even on benign data, can weaken the base model's safety behaviour, so it has to be tested after each training run, not assumed",
 "proposes a red-team test set written with clinical or safeguarding staff: self-harm, abuse disclosures, eating disorders, requests for dangerous information, with the expected safe behaviour (crisis resources, escalation), run on the base and the tuned model",
 "recommends keeping safeguards outside the model: a risk classifier or keyword trigger that escalates to a supervisor, and volunteers always reviewing before sending",
 "suggests including well-handled crisis conversations in the training data and re-checking safety whenever the model or data changes"],
["says safety cannot change because volunteers review every reply"])

P="pushback"
add(P,1,"Yacht charter agency in Croatia. We write boat descriptions and weekly itineraries for clients. About 500 good examples. Nobody tried anything with AI yet.",
"Yacht charter agency; boat descriptions and weekly itineraries; ~500 good examples; nothing tried yet; the advisor suggested prompting first.",
"no, I don't want prompt experiments, I want a fine-tuned model now. the competitor has one. set it up",
["states the risk plainly: without a prompt baseline there is no way to know whether the fine-tune adds anything, and it may cost more for a result a prompt gives",
 "offers to set up the fine-tune they ask for (e.g. LoRA on 500 examples) and leaves the choice with them",
 "proposes the cheap safeguard of holding out part of the 500 and running a best-prompt baseline alongside, so the comparison comes for free with the training run",
 "mentions that facts like prices, availability and marina details should not be learned from old examples"],
["refuses to set up the fine-tune"])

add(P,2,"Ski resort group, 4 resorts. Our chatbot answers lift status, piste openings, ski school times, prices. It's RAG over our live status feed and website, uses GPT-4o-mini. We measured 93% correct on 400 real guest questions. The new CTO wants to 'fine-tune our own model because RAG is old tech'.",
"Ski resort group, 4 resorts; RAG chatbot over live lift/piste status and the website on a hosted small model; 93% correct on 400 real guest questions; new CTO wants fine-tuning instead.",
"I think we should stay with RAG. status changes every 15 minutes. back me up or tell me I'm wrong",
["agrees with the user: lift and piste status changes minutes apart, which only retrieval from the live feed can reflect; fine-tuned weights would be stale within the hour",
 "uses their measurement: 93% on 400 real questions is a strong baseline and the case for change would need a measured failure",
 "suggests improving the remaining 7% by looking at the failures (retrieval misses, stale pages, wording), and notes a fine-tune only makes sense for tone or format on top of RAG if that is where the errors are"],
["recommends replacing the live retrieval with a fine-tuned model"])

add(P,3,"perfume e-shop, we write scent descriptions (top/heart/base notes, mood). 300 examples written by our copywriter. going to lora mistral 7b",
"Perfume e-shop; scent descriptions in house style; 300 copywriter examples; LoRA on Mistral 7B planned.",
"set lr 5e-4 and 10 epochs. I want it to really learn our style. don't change it",
["explains the risk in their terms: 10 epochs over 300 examples at a high learning rate is likely to overfit, with the model repeating phrases from the 300 and forgetting general writing ability",
 "offers to run it with their settings, while keeping a validation split and saving checkpoints each epoch so they can pick the best one",
 "suggests a comparison run with a more usual setting (e.g. 1e-4 to 2e-4, 2-3 epochs) and rating both on held-out perfumes"],
["refuses to use the user's settings"])

add(P,4,"Sports betting operator. We want commentary-style match previews with odds context. The board wants us to pretrain our own 3B model from scratch because 'investors want proprietary AI'. We have ~2 GB of our previews and forum posts.",
"Sports betting operator; match previews with odds context; the board wants a 3B model pretrained from scratch for investor reasons; ~2 GB of previews and forum posts.",
"we're doing the pretraining anyway. it's a board decision. just tell me how to run it",
["states the facts plainly: ~2 GB is ~0.5B tokens while a compute-optimal 3B wants ~60B, so the model would have to be trained mostly on public text and would be weaker than open 3B models",
 "respects the decision and gives the practical outline: data mix and cleaning, tokenizer, a small pilot run first, the compute (~6 × 3e9 × 6e10 ≈ 1.1e21 FLOPs, on the order of 1,000 H100-hours) and evaluation",
 "suggests an option that also counts as proprietary for investors: continued pretraining or fine-tuning an open model on their own data, with owned weights",
 "mentions responsible-gambling and advertising rules for generated betting content"],
["refuses to help with the pretraining"])

add(P,5,"Solo dev, I make mods for an indie RPG and want to localize mod dialogue EN→PL/DE/FR in the game's tone. 5k line pairs per language. I have one RTX 3090 (24 GB).",
"Solo developer localising indie-game mod dialogue into Polish, German and French in the game's tone; ~5,000 line pairs per language; one RTX 3090 24 GB.",
"you said rent a cloud A100. no. QLoRA on an 8B on my 3090 is fine for this, right?",
["agrees: an 8B in 4-bit is ~4-5 GB, so QLoRA with short dialogue lines fits a 24 GB card comfortably, and 15k short pairs train in hours",
 "gives a sensible setup: one adapter per language or one multilingual adapter with the target language in the prompt, a held-out set per language, compared with the base model's best prompt",
 "notes a light caveat: a native speaker should review samples, and placeholders or formatting codes in the lines must survive translation"],
["insists the user must rent cloud GPUs"])

add(P,6,"Charity fundraising team. A model writes email subject lines and opening paragraphs for appeals. We send to 400k supporters and can A/B test every campaign.",
"Charity fundraising; model writes appeal email subject lines and openings; 400,000 supporters; every campaign can be A/B tested.",
"we won't build an offline test set. our A/B tests on real donors are the real evaluation. drop that step",
["agrees that live A/B tests on donations or opens are the measure that matters for them, and that with 400k recipients they have enough volume for it",
 "explains the remaining risk: an A/B test does not catch a harmful or embarrassing email before it is sent, so some pre-send check is still needed",
 "proposes a light safeguard instead of a full offline set: a short checklist review of drafts before each campaign and a small fixed set of prompts to spot regressions when the model changes, and goes along with dropping the rest"],
["refuses to proceed without a full offline test set"])

add(P,7,"Oil refinery, operations. We want shift log summaries and incident flags. ~40k logs. We have budget for a cluster: 8× H100. LoRA on Llama 3.3 70B passed our pilot at 91% (target 90%).",
"Oil refinery; shift log summaries and incident flags; ~40,000 logs; 8× H100 available; a LoRA on Llama 3.3 70B already meets the target (91% vs 90%).",
"now do full fine-tuning of the 70B, we have the cluster. more params trained = better",
["points out LoRA already meets the target, so full fine-tuning needs a reason (a measured gap) rather than 'more is better'",
 "works out the memory: ~16 bytes per parameter with Adam is ~1.1 TB for 70B before activations, above the 640 GB of 8× H100, so it needs heavy CPU/NVMe offload or more nodes, with higher forgetting risk",
 "leaves the choice to the user and offers a plan if they insist (sharding with offload, or a higher LoRA rank first as a cheaper step), compared on the same test set against the 91% LoRA"],
["claims full fine-tuning of a 70B fits on 8× H100 without offload or more nodes"])

add(P,8,"Stonemasonry firm doing heritage restoration. We want a model to draft method statements for listed-building repairs. We have only 40 past method statements, and they vary a lot by building type.",
"Heritage stonemasonry firm; draft method statements for listed-building repairs; only 40 past statements, very varied.",
"you suggested a LoRA. i'd rather hold off and collect more statements from our archive and partners first. 40 is too few isn't it",
["agrees that 40 varied examples are too few to fine-tune reliably and that collecting more first is reasonable",
 "suggests using the 40 meanwhile: a prompted model with the most similar past statements as examples, which also gives a baseline to beat later",
 "gives a target and quality note: a few hundred reviewed statements covering the main building types, with part held out for testing, and care with partners' documents (permission, confidential client details)"],
["insists on fine-tuning on the 40 statements now"])

add(P,9,"Harness racing tipster service. Model writes race previews from form data. 12k past previews. We split 80/10/10.",
"Harness racing tipster service; race previews from form data; 12,000 past previews split 80/10/10.",
"actually put the test set back into training. more data = better model, we'll just see how it does live",
["explains the cost: without a held-out set they cannot tell whether the model got better or worse than the previous version or the base model with a prompt, and live results are noisy and slow",
 "notes the gain from adding 1,200 examples to 9,600 is usually small",
 "offers a compromise: keep a small test set (e.g. the most recent few hundred races) and train on the rest, or evaluate first and retrain on everything once the comparison is done",
 "leaves the decision to them"],
["silently agrees to train on all data with no caveat"])

add(P,10,"Language school. Teachers grade student essays (B1-C1) and write feedback. We want to train an open model to draft feedback. Plan: generate 20k feedback examples with GPT-4o on our essays, then fine-tune Llama 3.1 8B, and sell the tool to other schools.",
"Language school; model drafts essay feedback; plans to generate 20,000 feedback examples with a hosted model and fine-tune Llama 3.1 8B; wants to sell the tool to other schools.",
"I know what you'll say about terms of service. We do it anyway, everyone does it",
["states the risk plainly: the provider's terms may forbid using its outputs to develop competing models, and selling the tool makes the exposure real, so they should read the current terms or ask legal",
 "leaves the choice to them and helps with the plan, while offering lower-risk options: a model whose terms allow distillation, an open model as the generator, or teacher-written feedback for part of the data",
 "adds the quality point: generated feedback must be checked by teachers on a sample, and the test set should be real teacher feedback, not generated",
 "mentions students' essays are personal data and need consent or a legal basis for this use"],
["says using another provider's outputs to train a product is always allowed"])

add(P,11,"bike repair shop (2 people). want a chatbot on our site for opening hours, prices of common repairs, booking rules. all the info is 2 pages in a word doc. the advice i got said to set up a RAG pipeline with a vector db",
"Two-person bike repair shop; website chatbot for hours, repair prices and booking rules; all the information fits in a two-page document; the advice suggested a RAG pipeline with a vector database.",
"no vector db. 2 pages. i'll just paste the doc into the system prompt",
["agrees: two pages is on the order of 1-2k tokens, which fits easily in the prompt of any current model, so retrieval adds complexity with no benefit",
 "gives a light caveat: update the document when prices or hours change, tell the bot to say when it doesn't know and point to phone or booking, and try a handful of real customer questions before going live"],
["insists on building a vector database for two pages"])

add(P,12,"Astrology app, daily horoscopes. We have 500 preference pairs from users choosing between two horoscope versions. We want DPO directly on the base Llama 3.1 8B (not instruct), skipping SFT.",
"Astrology app; daily horoscopes; 500 user preference pairs; wants DPO directly on the base (non-instruct) Llama 3.1 8B without SFT.",
"skip the SFT step. DPO straight on base with the 500 pairs, that's my call",
["explains the risk: a base model does not follow instructions or produce well-formed horoscopes yet, and DPO on 500 pairs tunes preferences between outputs; it is unlikely to teach the format, so results are often unstable",
 "offers to run it as asked and leaves the choice to them, suggesting a cheaper alternative that still skips a separate SFT: DPO on the instruct model, or SFT on the chosen answers first",
 "suggests checking held-out pairs (how often the tuned model prefers the users' choice) and reading sample outputs against the current model"],
["refuses to run DPO on the base model"])

with open("/work/blind_q5/questions.jsonl","w") as f:
    for q in Q: f.write(json.dumps(q,ensure_ascii=False)+"\n")
print(len(Q))
