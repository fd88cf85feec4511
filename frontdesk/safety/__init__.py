"""What keeps a customer-facing agent safe: what the public sees, instructions hidden in ingested
content, hazardous messages, and the agent saying it is an AI. docs/security.md has the threat model.
"""
