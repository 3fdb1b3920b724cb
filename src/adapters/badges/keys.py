"""Private signing keys outside the event store: a folder of files only their owner can read,
or memory (for ``memory://`` stores and tests)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carepassport.adapters.badges.multikey import (
    load_secret_multikey,
    public_multikey,
    secret_multikey,
)
from carepassport.application.badges.ports import KeysUnavailable, Sign
from carepassport.domain.errors import AlreadyExists, InvalidValue

KEYS_ENV = "CAREPASSPORT_KEYS"


def _signer(key: Ed25519PrivateKey) -> Sign:
    return key.sign


class MemoryKeys:
    """Keys held by this process only (lost when it ends)."""

    def __init__(self) -> None:
        self._keys: dict[str, Ed25519PrivateKey] = {}

    @property
    def location(self) -> str:
        return "memory"

    def create(self, key_id: str) -> str:
        if key_id in self._keys:
            raise AlreadyExists(f"there is already a key {key_id!r}")
        key = Ed25519PrivateKey.generate()
        self._keys[key_id] = key
        return public_multikey(key.public_key())

    def signer(self, key_id: str) -> Sign:
        key = self._keys.get(key_id)
        if key is None:
            raise KeysUnavailable(f"the key {key_id!r} is not held by this process")
        return _signer(key)


class FolderKeys:
    """One file per key (``<key id>.json``: its Multikey pair), mode 0600 in a 0700 folder.

    A key file readable by others is refused, as ssh refuses such a private key."""

    def __init__(self, folder: Path | None, hint: str = "") -> None:
        self._folder = folder
        self._hint = hint
        self._loaded: dict[str, Ed25519PrivateKey] = {}

    @property
    def location(self) -> str:
        return str(self._folder) if self._folder else f"unset (set {KEYS_ENV})"

    def _path(self, key_id: str) -> Path:
        if self._folder is None:
            raise KeysUnavailable(
                f"no key folder: set {KEYS_ENV} to a folder for the signing keys{self._hint}"
            )
        if "/" in key_id or key_id.startswith("."):
            raise InvalidValue(f"key id {key_id!r} is not a simple name")
        return self._folder / f"{key_id}.json"

    def create(self, key_id: str) -> str:
        path = self._path(key_id)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise KeysUnavailable(f"cannot create the key folder {path.parent}: {error}") from None
        key = Ed25519PrivateKey.generate()
        public = public_multikey(key.public_key())
        record = {
            "type": "Multikey",
            "id": key_id,
            "publicKeyMultibase": public,
            "secretKeyMultibase": secret_multikey(key),
        }
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise AlreadyExists(f"the key file {path} already exists") from None
        except OSError as error:
            raise KeysUnavailable(f"cannot write the key file {path}: {error}") from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(record, file)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        self._loaded[key_id] = key
        return public

    def signer(self, key_id: str) -> Sign:
        key = self._loaded.get(key_id)
        if key is None:
            key = self._load(self._path(key_id))
            self._loaded[key_id] = key
        return _signer(key)

    @staticmethod
    def _load(path: Path) -> Ed25519PrivateKey:
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise KeysUnavailable(
                    f"the key file {path} can be read by others (mode {oct(mode & 0o777)}); "
                    "chmod 600 it"
                )
            record = json.loads(path.read_text("utf-8"))
            return load_secret_multikey(str(record["secretKeyMultibase"]))
        except FileNotFoundError:
            raise KeysUnavailable(f"the signing key file {path} is missing") from None
        except (OSError, ValueError, KeyError, TypeError, InvalidValue) as error:
            raise KeysUnavailable(f"the signing key file {path} cannot be read: {error}") from None
