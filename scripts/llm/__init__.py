"""LLM access shared by ATPrompt (attribute bases) and AnchorOPT (class descriptions).

Public API (stdlib only, no SDK):

    from scripts.llm.client import ChatClient, LLMError, LLMHTTPError, MalformedResponseError
    client = ChatClient.from_env()                       # OPENAI_BASE_URL / OPENAI_MODEL / OPENAI_API_KEY
    text = client.complete([{"role": "user", "content": "hi"}])
    obj = client.complete_json(messages)                 # parsed JSON, or MalformedResponseError
"""
