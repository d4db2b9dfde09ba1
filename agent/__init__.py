"""The advisor: interview state, fact extraction, decision engine, question policy, plan builder, and the two
brains (offline and LLM) behind one event stream.

For the UI (all the UI needs):

    from agent import brain, conversations
    cid = conversations.create(owner=user)                 # or conversations.list_conversations(owner=user)
    for event in brain.turn(cid, text, attachments=[path, ...] or None):
        ...   # agent.events: AssistantMessage | ToolStep | Question | RecommendationEvent | ApprovalRequest | JobUpdate
    for event in brain.approve(cid, job_id, approver=user): ...   # the Approve button (the only approval path)
    for event in brain.reject(cid, job_id): ...                   # the Reject button
    conversations.events(cid)     # the stored events (agent.events), oldest first, to redraw a conversation
    brain.warm()                  # optional, at start: loads the embedding model, caches citations

Modules, by what changes together: facts (state) · numbers + extract (reading answers) · engine (the decision) ·
policy (which question) · plan (training plan → trainer config) · prompts (all wording) · events (the stream) ·
conversations (storage) · brain (offline flow and entry points) · llm (LLM mode) · toolset (every tool the
model sees, and the advisor's own two: recommend, plan_training) · terminal (advise / ask). The vocabulary (approach
ids, fact keys, labels) is `trainer.state.vocabulary`.
"""
