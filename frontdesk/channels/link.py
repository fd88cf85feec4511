"""The way to Meta: the app's secrets and one Graph API client, both made on first use."""

from __future__ import annotations

import threading

import httpx

from ..config import Settings
from .graph import GraphClient
from .secrets import MetaSecrets


class MetaLink:
    def __init__(self, settings: Settings, stopping: threading.Event, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self.stopping = stopping
        self._http = http
        self._secrets: MetaSecrets | None = None
        self._graph: GraphClient | None = None
        self._lock = threading.Lock()

    @property
    def secrets(self) -> MetaSecrets:
        if self._secrets is None:
            self._secrets = MetaSecrets.load(self.settings)
        return self._secrets

    @property
    def graph(self) -> GraphClient:
        with self._lock:
            if self._graph is None:
                self._graph = GraphClient(self.settings, self.stopping, http=self._http)
            return self._graph

    def close(self) -> None:
        with self._lock:
            if self._graph is not None:
                self._graph.close()
                self._graph = None
