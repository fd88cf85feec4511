"""Measuring an agent (docs/evaluation.md).

- :mod:`.cases`: cases files, running them through a responder, the checks and the report.
- :mod:`.report`: comparing two runs against noise (McNemar, Newcombe, bootstrap); the HTML report
  (its template is ``templates/eval_report.html``).
- :mod:`.suggest`: drafting cases from an agent's own knowledge.
"""
