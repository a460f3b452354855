"""Plain request/response values passed between the HTTP layer and service routes."""
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str          # as sent, without the query; repeated leading slashes folded
    query: dict        # first value of each parameter
    headers: dict      # lower-cased names
    raw_body: bytes
    host: str

    @classmethod
    def parse(cls, method, target, headers, raw_body):
        parts = urlsplit(target)
        path = "/" + parts.path.lstrip("/")
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        lowered = {k.lower(): v for k, v in headers.items()}
        return cls(method.upper(), path, query, lowered, raw_body, lowered.get("host", "127.0.0.1"))

    def json(self):
        if not self.raw_body:
            return None
        return json.loads(self.raw_body.decode("utf-8"))

    @property
    def base_url(self):
        return f"https://{self.host}"


@dataclass
class Response:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)
