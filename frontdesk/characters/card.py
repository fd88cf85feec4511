"""Character Cards: reading and writing V2 (``chara_card_v2``) and V3 (``chara_card_v3``) cards
as JSON, as PNG (the card in a ``chara`` / ``ccv3`` tEXt chunk, base64 of the UTF-8 JSON) and
as CHARX (a zip with ``card.json`` and assets reached by ``embeded://path`` URIs).

Lossless by construction: the whole card object as it was read is kept (unknown top-level
fields, unknown ``data`` fields, every ``extensions`` object, lorebook entries' own fields)
and edits change only the fields they name. A malformed card raises :class:`InvalidInput`
naming the field (``data.character_book.entries[3].keys: must be a list of strings``).

Specs: github.com/malfoyslastname/character-card-spec-v2 (spec_v2.md) and
github.com/kwaroran/character-card-spec-v3 (SPEC_V3.md).
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput

V2, V3 = "chara_card_v2", "chara_card_v3"
#: The text fields of a card's ``data`` (V2; V3 keeps them).
TEXT_FIELDS = ("name", "description", "personality", "scenario", "first_mes", "mes_example",
               "creator_notes", "system_prompt", "post_history_instructions", "creator", "character_version")
LIST_FIELDS = ("alternate_greetings", "tags")
MAX_CARD_BYTES = 8 * 1024 * 1024  # a card's JSON
MAX_FILE_BYTES = 32 * 1024 * 1024  # a PNG or CHARX file, assets included
MAX_ASSETS = 200
_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class ParsedCard:
    """A card as read from a file: the card object, the avatar image (PNG bytes) and embedded assets."""

    card: dict[str, Any]
    avatar: bytes | None = None
    assets: dict[str, bytes] = field(default_factory=dict)  # path inside a CHARX -> bytes
    format: str = "json"


def _fail(where: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{where}: {problem}")


def _check_str(value: Any, where: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _fail(where, f"must be a string, not {type(value).__name__}")


def _check_str_list(value: Any, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, "must be a list of strings")


def _check_dict(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")


def _check_number(value: Any, where: str, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, "must be a number")


def _check_bool(value: Any, where: str, optional: bool = True) -> None:
    if value is None and optional:
        return
    if not isinstance(value, bool):
        raise _fail(where, "must be true or false")


def normalise(card: Any, where: str = "card") -> dict[str, Any]:
    """Validate a card object (V2 or V3; a V1 card, the bare fields, is lifted to V2) and return it.

    Missing optional fields get the spec's defaults; nothing present is removed or changed.
    """
    if not isinstance(card, dict):
        raise _fail(where, "a character card must be a JSON object")
    card = copy.deepcopy(card)
    spec = card.get("spec")
    if spec is None and "data" not in card and isinstance(card.get("name"), str):
        # V1 (TavernCard): the fields at the top level
        fields = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
        card = {**{k: v for k, v in card.items() if k not in fields},  # anything else a V1 card carried
                "spec": V2, "spec_version": "2.0", "data": {k: card.get(k, "") for k in fields}}
    spec = card.get("spec")
    if spec not in (V2, V3):
        raise _fail(f"{where}.spec", f"must be {V2!r} or {V3!r}, not {spec!r}")
    card.setdefault("spec_version", "2.0" if spec == V2 else "3.0")
    _check_str(card["spec_version"], f"{where}.spec_version")
    data = card.get("data")
    if not isinstance(data, dict):
        raise _fail(f"{where}.data", "must be an object with the character's fields")
    for name in TEXT_FIELDS:
        data.setdefault(name, "")
        _check_str(data[name], f"{where}.data.{name}")
    if not data["name"].strip():
        raise _fail(f"{where}.data.name", "must not be empty")
    for name in LIST_FIELDS:
        data.setdefault(name, [])
        _check_str_list(data[name], f"{where}.data.{name}")
    data.setdefault("extensions", {})
    _check_dict(data["extensions"], f"{where}.data.extensions")
    if spec == V3:
        data.setdefault("group_only_greetings", [])
        _check_str_list(data["group_only_greetings"], f"{where}.data.group_only_greetings")
        _check_str(data.get("nickname"), f"{where}.data.nickname", optional=True)
        if "source" in data and data["source"] is not None:
            _check_str_list(data["source"], f"{where}.data.source")
        for date in ("creation_date", "modification_date"):
            _check_number(data.get(date), f"{where}.data.{date}")
        if data.get("creator_notes_multilingual") is not None:
            notes = data["creator_notes_multilingual"]
            _check_dict(notes, f"{where}.data.creator_notes_multilingual")
            for lang, text in notes.items():
                _check_str(text, f"{where}.data.creator_notes_multilingual.{lang}")
        if data.get("assets") is not None:
            if not isinstance(data["assets"], list):
                raise _fail(f"{where}.data.assets", "must be a list")
            for i, asset in enumerate(data["assets"]):
                _check_dict(asset, f"{where}.data.assets[{i}]")
                for key in ("type", "uri", "name", "ext"):
                    _check_str(asset.get(key), f"{where}.data.assets[{i}].{key}")
    if data.get("character_book") is not None:
        check_book(data["character_book"], f"{where}.data.character_book")
    return card


def check_book(book: Any, where: str) -> None:
    """Validate a lorebook (``character_book``) in place, naming the entry and field at fault."""
    _check_dict(book, where)
    book.setdefault("extensions", {})
    _check_dict(book["extensions"], f"{where}.extensions")
    for key in ("name", "description"):
        _check_str(book.get(key), f"{where}.{key}", optional=True)
    for key in ("scan_depth", "token_budget"):
        _check_number(book.get(key), f"{where}.{key}")
    _check_bool(book.get("recursive_scanning"), f"{where}.recursive_scanning")
    entries = book.setdefault("entries", [])
    if not isinstance(entries, list):
        raise _fail(f"{where}.entries", "must be a list")
    for i, entry in enumerate(entries):
        at = f"{where}.entries[{i}]"
        _check_dict(entry, at)
        entry.setdefault("keys", [])
        _check_str_list(entry["keys"], f"{at}.keys")
        _check_str(entry.get("content"), f"{at}.content")
        entry.setdefault("extensions", {})
        _check_dict(entry["extensions"], f"{at}.extensions")
        entry.setdefault("enabled", True)
        _check_bool(entry["enabled"], f"{at}.enabled", optional=False)
        entry.setdefault("insertion_order", 0)
        _check_number(entry["insertion_order"], f"{at}.insertion_order", optional=False)
        for key in ("case_sensitive", "constant", "selective", "use_regex"):
            _check_bool(entry.get(key), f"{at}.{key}")
        _check_number(entry.get("priority"), f"{at}.priority")
        for key in ("name", "comment"):
            _check_str(entry.get(key), f"{at}.{key}", optional=True)
        if entry.get("secondary_keys") is not None:
            _check_str_list(entry["secondary_keys"], f"{at}.secondary_keys")
        if entry.get("position") not in (None, "before_char", "after_char"):
            raise _fail(f"{at}.position", "must be 'before_char' or 'after_char'")
        if entry.get("id") is not None and (isinstance(entry["id"], bool) or not isinstance(entry["id"], (int, float, str))):
            raise _fail(f"{at}.id", "must be a number or a string")


# -- reading ---------------------------------------------------------------------------------

def _json_card(raw: bytes | str, where: str) -> dict[str, Any]:
    if len(raw) > MAX_CARD_BYTES:
        raise _fail(where, f"the card is larger than {MAX_CARD_BYTES // (1024 * 1024)} MB")
    try:
        value = json.loads(raw)
        return normalise(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(where, f"not valid JSON ({exc})") from None
    except RecursionError:
        raise _fail(where, "the JSON is nested too deeply") from None


def read_card(raw: bytes, filename: str = "card") -> ParsedCard:
    """A card from the bytes of a ``.json``, ``.png`` or ``.charx`` file (detected by content)."""
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(filename, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return _read_png(raw, filename)
    if raw.startswith(b"PK\x03\x04"):
        return _read_charx(raw, filename)
    if raw.lstrip()[:1] in (b"{", b"["):
        return ParsedCard(_json_card(raw, filename))
    raise _fail(filename, "not a character card: expected JSON, a PNG with a chara/ccv3 chunk, or a CHARX zip")


def _read_png(raw: bytes, filename: str) -> ParsedCard:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.width * image.height > 40_000_000:
                raise _fail(filename, "the image is too large")
            texts = {k.lower(): v for k, v in getattr(image, "text", {}).items()}
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _fail(filename, f"not a readable PNG ({exc})") from None
    for chunk in ("ccv3", "chara"):  # V3 wins when both are there (SPEC_V3: PNG/APNG)
        if chunk in texts:
            try:
                decoded = base64.b64decode(texts[chunk], validate=False)
            except (binascii.Error, ValueError):
                raise _fail(f"{filename}: {chunk} chunk", "not base64") from None
            card = _json_card(decoded, f"{filename}: {chunk} chunk")
            return ParsedCard(card, avatar=strip_card_chunks(raw), format="png")
    raise _fail(filename, "this PNG has no character card (no 'chara' or 'ccv3' text chunk)")


def _read_charx(raw: bytes, filename: str) -> ParsedCard:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _fail(filename, f"not a readable CHARX zip ({exc})") from None
    if len(infos) > MAX_ASSETS + 10:
        raise _fail(filename, f"more than {MAX_ASSETS} files in the CHARX")
    if sum(i.file_size for i in infos) > MAX_FILE_BYTES * 2:
        raise _fail(filename, "the CHARX unpacks to more than 64 MB")
    names = {i.filename: i for i in infos if not i.is_dir()}
    if "card.json" not in names:
        raise _fail(filename, "a CHARX must have card.json at the root of the zip")
    try:
        card = _json_card(archive.read("card.json"), f"{filename}: card.json")
        assets = {name: archive.read(name) for name in names if name != "card.json"}
    except (zipfile.BadZipFile, RuntimeError, OSError, NotImplementedError) as exc:  # encrypted, corrupt
        raise _fail(filename, f"the CHARX cannot be read ({exc})") from None
    if card["spec"] != V3:
        raise _fail(f"{filename}: card.json.spec", f"a CHARX holds a {V3!r} card")
    avatar = None
    for asset in card["data"].get("assets") or []:
        if asset.get("type") == "icon" and asset.get("uri", "").startswith("embeded://"):
            path = asset["uri"].removeprefix("embeded://")
            if path not in assets:
                raise _fail(f"{filename}: card.json.data.assets", f"{asset['uri']} is not in the zip")
            if asset.get("name") == "main" or avatar is None:
                avatar = assets[path] if assets[path].startswith(b"\x89PNG") else avatar
    return ParsedCard(card, avatar=avatar, assets=assets, format="charx")


def strip_card_chunks(png: bytes) -> bytes:
    """The PNG without its card text chunks (the image only: the card is kept apart, as JSON)."""
    out, pos = [png[:8]], 8
    while pos + 8 <= len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        end = pos + 12 + length
        if kind == b"tEXt":
            keyword = png[pos + 8:pos + 8 + length].split(b"\x00", 1)[0].lower()
            if keyword in (b"chara", b"ccv3"):
                pos = end
                continue
        out.append(png[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


# -- writing ---------------------------------------------------------------------------------

def as_spec(card: dict[str, Any], spec: str) -> dict[str, Any]:
    """The card as a V2 or V3 object. Fields the other version lacks are kept (readers ignore them)."""
    out = copy.deepcopy(card)
    if out["spec"] == spec:
        return out
    out["spec"] = spec
    out["spec_version"] = "3.0" if spec == V3 else "2.0"
    if spec == V3:
        out["data"].setdefault("group_only_greetings", [])
    return out


def to_json(card: dict[str, Any]) -> bytes:
    return json.dumps(card, ensure_ascii=False, indent=2).encode()


def to_png(card: dict[str, Any], avatar: bytes | None) -> bytes:
    """A PNG card: the avatar (or a plain placeholder image) with ``chara`` (V2) and ``ccv3`` (V3) chunks,
    as SillyTavern writes them."""
    from PIL import Image, PngImagePlugin

    if avatar:
        with Image.open(io.BytesIO(avatar)) as opened:
            image = opened.copy()
    else:
        image = Image.new("RGB", (400, 600), (94, 114, 148))
    info = PngImagePlugin.PngInfo()
    for key, value in getattr(image, "text", {}).items():
        if key.lower() not in ("chara", "ccv3") and isinstance(value, str):
            info.add_text(key, value)
    info.add_text("chara", base64.b64encode(json.dumps(as_spec(card, V2), ensure_ascii=False).encode()).decode())
    info.add_text("ccv3", base64.b64encode(json.dumps(as_spec(card, V3), ensure_ascii=False).encode()).decode())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def to_charx(card: dict[str, Any], avatar: bytes | None, assets: dict[str, bytes]) -> bytes:
    """A CHARX: ``card.json`` (V3) and the assets; the avatar is the main icon at
    ``assets/icon/images/main.png`` unless the card already names an embedded main icon."""
    out = as_spec(card, V3)
    files = dict(assets)
    listed = out["data"].get("assets")
    icon = next((a for a in listed or [] if a.get("type") == "icon" and a.get("name") == "main"), None)
    if avatar and (icon is None or not icon.get("uri", "").startswith("embeded://")):
        path = "assets/icon/images/main.png"
        files[path] = avatar
        entry = {"type": "icon", "uri": f"embeded://{path}", "name": "main", "ext": "png"}
        others = [a for a in listed or [] if a is not icon]
        out["data"]["assets"] = [entry, *others]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("card.json", json.dumps(out, ensure_ascii=False, indent=2))
        for path, data in sorted(files.items()):
            archive.writestr(path, data)
    return buffer.getvalue()


def checked_handle(handle: str) -> str:
    if not _HANDLE.match(handle or ""):
        raise InvalidInput(f"character handle {handle!r} is not valid: 1-64 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit")
    return handle


def handle_for(name: str) -> str:
    """A handle made from a character's name ("Seraphina" -> "seraphina", "Dr. Ölf" -> "dr.-olf")."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    handle = re.sub(r"[^A-Za-z0-9_.-]+", "-", ascii_name.strip().lower()).strip("-._")[:64]
    return handle or "character"


_MACRO = re.compile(r"\{\{\s*(char|user)\s*\}\}|<(?:BOT|bot|USER|user)>", re.I)


def fill(text: str, char: str, user: str) -> str:
    """``{{char}}``/``{{user}}`` (any case; and V1's ``<BOT>``/``<USER>``) replaced; ``{{// ...}}`` removed."""
    text = re.sub(r"\{\{//.*?\}\}", "", text, flags=re.S)

    def swap(match: re.Match[str]) -> str:
        word = (match.group(1) or match.group(0).strip("<>")).lower()
        return char if word in ("char", "bot") else user

    return _MACRO.sub(swap, text)
