import json,collections,re
A={"prompt_engineering","rag","collect_data","lora_finetune","full_finetune","preference_tuning","continued_pretraining","pretrain_from_scratch","stronger_base_model","rag_and_finetune"}
KEYS=["id","kind","context","text","target","must_address","must_not"]
rows=[json.loads(l) for l in open("questions.jsonl")]
ids=set(); kinds=collections.Counter(); texts=set(); tg=collections.Counter(); ops=set()
for r in rows:
    assert list(r)==KEYS, r["id"]; assert list(r["context"])==["opening","facts_stated"]
    m=re.fullmatch(r"v5-(why_not|cost|side_question|pushback)-(\d\d)",r["id"]); assert m and m.group(1)==r["kind"]
    assert r["id"] not in ids; ids.add(r["id"]); kinds[r["kind"]]+=1
    assert 2<=len(r["must_address"])<=4 and 1<=len(r["must_not"])<=2, r["id"]
    if r["kind"]=="why_not": assert r["target"] in A; tg[r["target"]]+=1
    else: assert r["target"] is None
    assert r["text"] not in texts; texts.add(r["text"])
    assert r["context"]["opening"] not in ops; ops.add(r["context"]["opening"])
    assert all(isinstance(x,str) and x for x in r["must_address"]+r["must_not"]+[r["text"]])
assert all(kinds[k]==12 for k in ["why_not","cost","side_question","pushback"]) and len(rows)==48
assert set(tg)==A
print("OK",dict(kinds),dict(tg))
print("q-marks missing:",sum('?' not in r["text"] for r in rows))
