"""The tables of evaluation runs and production signals (a mixin of :class:`frontdesk.store.sql.SQLStore`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain import utcnow
from ..errors import NotFound


class EvalTables:
    if TYPE_CHECKING:  # provided by the store
        def _tx(self) -> AbstractContextManager[Any]: ...
        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...
        def _json_flag(self, column: str, key: str) -> str: ...

    # -- evaluation runs --------------------------------------------------------------------

    def create_eval_run(self, agent_id: int, model: str, label: str, cases_file: str, cases_hash: str,
                        report: dict[str, Any]) -> int:
        with self._tx() as db:
            return int(db.execute(
                "INSERT INTO eval_runs (agent_id, model, label, cases_file, cases_hash, passed, total, report, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (agent_id, model, label, cases_file, cases_hash, report["passed"], report["cases_total"],
                 json.dumps(report), utcnow().isoformat())).fetchone()[0])

    @staticmethod
    def _run(r: Any, with_report: bool) -> dict[str, Any]:
        run = {"id": r["id"], "agent_id": r["agent_id"], "model": r["model"], "label": r["label"],
               "cases_file": r["cases_file"], "cases_hash": r["cases_hash"], "passed": r["passed"],
               "total": r["total"], "created_at": r["created_at"]}
        report = json.loads(r["report"])
        run.update(accuracy=report["accuracy"], accuracy_ci=report["accuracy_ci"],
                   unsupported_fact_rate=report["unsupported_fact_rate"], latency_p50_s=report["latency_p50_s"])
        if with_report:
            run["report"] = report
        return run

    def get_eval_run(self, run_id: int) -> dict[str, Any]:
        rows = self._query("SELECT * FROM eval_runs WHERE id = ?", (run_id,))
        if not rows:
            raise NotFound(f"no evaluation run {run_id} (see `frontdesk eval runs`)")
        return self._run(rows[0], True)

    def list_eval_runs(self, agent_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        if agent_id is None:
            rows = self._query("SELECT * FROM eval_runs ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._query("SELECT * FROM eval_runs WHERE agent_id = ? ORDER BY id DESC LIMIT ?", (agent_id, limit))
        return [self._run(r, False) for r in rows]

    # -- production signals -----------------------------------------------------------------

    def set_feedback(self, conversation_id: int, helpful: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE conversations SET feedback = ?, feedback_at = ? WHERE id = ?",
                       ("helpful" if helpful else "not_helpful", utcnow().isoformat(), conversation_id))

    def agent_signals(self, agent_id: int, *, days: int = 30, idle_minutes: int = 30) -> dict[str, Any]:
        """What customers' conversations say about the agent (evaluation conversations left out).

        A conversation is *confirmed* resolved when the customer said it helped, *assumed* resolved when
        its last answer was grounded, no person was involved and the customer left (nothing for
        ``idle_minutes``), *unresolved* when it was handed to a person, ended on a decline or the customer
        said it did not help, and *open* while it may still go on.
        """
        since = (utcnow() - timedelta(days=days)).isoformat()
        idle = (utcnow() - timedelta(minutes=idle_minutes)).isoformat()
        grounded, handoff = self._json_flag("m.payload", "grounded"), self._json_flag("m.payload", "handoff")
        rows = self._query(
            "SELECT c.id, c.status, c.feedback, c.updated_at, "
            "  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user') AS questions, "
            "  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'assistant' "
            f"     AND {grounded} = 0) AS declined, "
            "  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'human') AS human, "
            f"  (SELECT {grounded} FROM messages m WHERE m.conversation_id = c.id "
            "     AND m.role = 'assistant' ORDER BY m.id DESC LIMIT 1) AS last_grounded, "
            f"  (SELECT {handoff} FROM messages m WHERE m.conversation_id = c.id "
            "     AND m.role = 'assistant' ORDER BY m.id DESC LIMIT 1) AS last_handoff "
            "FROM conversations c WHERE c.agent_id = ? AND c.channel != 'eval' AND c.updated_at >= ?",
            (agent_id, since))
        split = {"confirmed": 0, "assumed": 0, "unresolved": 0, "open": 0}
        questions = declined = handed = 0
        conversations = 0
        for r in rows:
            if not r["questions"]:
                continue
            conversations += 1
            questions += r["questions"]
            declined += r["declined"]
            person = r["human"] > 0 or r["status"] in ("waiting", "human")
            handed += person
            if r["feedback"] == "helpful":
                split["confirmed"] += 1
            elif r["feedback"] == "not_helpful" or person or r["last_grounded"] == 0:
                split["unresolved"] += 1
            elif r["updated_at"] < idle and r["last_grounded"] == 1 and not r["last_handoff"]:
                split["assumed"] += 1
            else:
                split["open"] += 1
        return {"days": days, "conversations": conversations, "questions": questions,
                "unanswered_questions": declined,
                "unanswered_rate": round(declined / questions, 4) if questions else 0.0,
                "handoff_rate": round(handed / conversations, 4) if conversations else 0.0,
                "resolution": split,
                "since": datetime.fromisoformat(since).date().isoformat()}
