"""What keeps a customer-facing agent safe: what the public sees, instructions hidden in ingested
content, hazardous messages, and the agent saying it is an AI. docs/security.md has the threat model.

Injection detection (issue 18 item 3), hazard classification (item 4) and AI disclosure (item 5):
owned by the safety work; see docs/security.md. Modules: :mod:`.disclosure` (one detector of
"are you a bot?" for agents and characters, and the fixed answer), :mod:`.injection` and
:mod:`.hazards` (rules) with :mod:`.hazard_model` (the fitted classifier beside them).
"""
